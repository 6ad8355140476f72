import { and, eq, inArray, isNull } from 'drizzle-orm';
import { backlogSamples, services, statusIntervals } from '../../db/schema/index.ts';
import type { ServiceStatus, StatusSource } from '../domain/vocab.ts';
import { recordAudit } from './audit.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { BacklogSampleInput, CreateServiceInput, type In, SetServiceStatusInput } from './inputs.ts';

export type ServiceRow = typeof services.$inferSelect;

export async function createService(ctx: Ctx, input: In<typeof CreateServiceInput>): Promise<ServiceRow> {
  const data = parseInput(CreateServiceInput, input);
  return inTransaction(ctx, async (tx) => {
    const [existing] = await tx.db.select({ id: services.id }).from(services).where(eq(services.key, data.key));
    if (existing) {
      throw new ServiceError('conflict', `A service with key "${data.key}" already exists.`, {
        key: 'already used',
      });
    }
    const [row] = await tx.db
      .insert(services)
      .values({
        key: data.key,
        name: data.name,
        description: data.description,
        groupName: data.groupName,
        sortOrder: data.sortOrder,
        availableFrom: data.availableFrom,
        availableUntil: data.availableUntil,
      })
      .returning();
    const service = row!;
    await tx.db.insert(statusIntervals).values({
      serviceId: service.id,
      status: data.status,
      source: 'manual',
      startedAt: data.since ?? data.availableFrom ?? tx.now(),
    });
    await recordAudit(tx, { action: 'service.create', objectType: 'service', objectId: service.id, after: service });
    return service;
  });
}

export async function serviceIdsByKey(ctx: Ctx, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await ctx.db
    .select({ id: services.id, key: services.key })
    .from(services)
    .where(inArray(services.key, keys));
  const map = new Map(rows.map((r) => [r.key, r.id]));
  const missing = keys.filter((k) => !map.has(k));
  if (missing.length > 0) {
    throw new ServiceError('validation_failed', `Unknown service: ${missing.join(', ')}.`, {
      services: `unknown: ${missing.join(', ')}`,
    });
  }
  return map;
}

/**
 * Closes the service's open status interval and opens a new one at `at`. Returns the status it replaced,
 * or null when nothing changed (same status from the same source).
 */
export async function setServiceStatus(
  ctx: Ctx,
  input: In<typeof SetServiceStatusInput>,
): Promise<{ serviceId: string; oldStatus: ServiceStatus | null; newStatus: ServiceStatus }> {
  const data = parseInput(SetServiceStatusInput, input);
  const ids = await serviceIdsByKey(ctx, [data.service]);
  const serviceId = ids.get(data.service)!;
  return applyStatus(ctx, serviceId, data.status, data.source, data.at ?? ctx.now(), {
    incidentId: data.incidentId,
    maintenanceId: data.maintenanceId,
  });
}

/** The one place that rewrites the status history; callers have already resolved and validated the service. */
export async function applyStatus(
  ctx: Ctx,
  serviceId: string,
  status: ServiceStatus,
  source: StatusSource,
  at: Date,
  links: { incidentId?: string; maintenanceId?: string } = {},
) {
  return inTransaction(ctx, async (tx) => {
    const [open] = await tx.db
      .select()
      .from(statusIntervals)
      .where(and(eq(statusIntervals.serviceId, serviceId), isNull(statusIntervals.endedAt)))
      .for('update');
    if (open && open.startedAt > at) {
      throw new ServiceError(
        'validation_failed',
        `The status history already runs past ${at.toISOString()}; a change cannot be dated before the current status began.`,
        { at: 'before the current status began' },
      );
    }
    if (open && open.status === status) return { serviceId, oldStatus: status, newStatus: status };
    if (open) {
      await tx.db.update(statusIntervals).set({ endedAt: at }).where(eq(statusIntervals.id, open.id));
    }
    await tx.db.insert(statusIntervals).values({
      serviceId,
      status,
      source,
      startedAt: at,
      incidentId: links.incidentId,
      maintenanceId: links.maintenanceId,
    });
    await recordAudit(tx, {
      action: 'service.status',
      objectType: 'service',
      objectId: serviceId,
      before: open ? { status: open.status } : null,
      after: { status, source, at },
    });
    return { serviceId, oldStatus: open?.status ?? null, newStatus: status };
  });
}

export async function recordBacklogSample(ctx: Ctx, input: In<typeof BacklogSampleInput>) {
  const data = parseInput(BacklogSampleInput, input);
  const ids = await serviceIdsByKey(ctx, [data.service]);
  const [row] = await ctx.db
    .insert(backlogSamples)
    .values({
      serviceId: ids.get(data.service)!,
      metric: data.metric,
      label: data.label,
      count: data.count,
      oldestAgeSeconds: data.oldestAgeSeconds,
      measuredAt: data.measuredAt ?? ctx.now(),
    })
    .returning();
  return row!;
}

export async function countServices(ctx: Ctx): Promise<number> {
  return ctx.db.$count(services);
}
