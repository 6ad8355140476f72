import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import { backlogSamples, services, statusIntervals } from '../../db/schema/index.ts';
import type { ServiceStatus, StatusSource } from '../domain/vocab.ts';
import { recordAudit } from './audit.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { emitEvent } from './events.ts';
import { BacklogSampleInput, CreateServiceInput, type In, SetServiceStatusInput, UpdateServiceInput } from './inputs.ts';
import { authorize } from './permissions.ts';

export type ServiceRow = typeof services.$inferSelect;

export async function createService(ctx: Ctx, input: In<typeof CreateServiceInput>): Promise<ServiceRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(CreateServiceInput, input);
  return inTransaction(ctx, async (tx) => {
    const taken = () => new ServiceError('conflict', `A service with key "${data.key}" already exists.`, { key: 'already used' });
    const [existing] = await tx.db.select({ id: services.id }).from(services).where(eq(services.key, data.key));
    if (existing) throw taken();
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
      // A concurrent creation of the same key passed the check above too: no unique-violation error, a conflict.
      .onConflictDoNothing({ target: services.key })
      .returning();
    if (!row) throw taken();
    const service = row;
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

/** `field` is the input field that named the keys, for the error (`service` for a single reference). */
export async function serviceIdsByKey(ctx: Ctx, keys: string[], field = 'services'): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await ctx.db
    .select({ id: services.id, key: services.key })
    .from(services)
    .where(inArray(services.key, keys));
  const map = new Map(rows.map((r) => [r.key, r.id]));
  const missing = keys.filter((k) => !map.has(k));
  if (missing.length > 0) {
    throw new ServiceError('validation_failed', `Unknown service: ${missing.join(', ')}.`, {
      [field]: `unknown: ${missing.join(', ')}`,
    });
  }
  return map;
}

/** The service a request addresses (by its key, as in its URL): an unknown one is not found, like any object. */
async function addressedService(ctx: Ctx, key: string): Promise<ServiceRow> {
  const [row] = await ctx.db.select().from(services).where(eq(services.key, key));
  if (!row) throw notFound('service', key);
  return row;
}

/**
 * Closes the service's open status interval and opens a new one at `at`. Returns the status it replaced,
 * or null when nothing changed (same status from the same source).
 */
export async function setServiceStatus(
  ctx: Ctx,
  input: In<typeof SetServiceStatusInput>,
): Promise<{ serviceId: string; oldStatus: ServiceStatus | null; newStatus: ServiceStatus }> {
  authorize(ctx.actor, 'write');
  const data = parseInput(SetServiceStatusInput, input);
  const service = await addressedService(ctx, data.service);
  const at = data.at ?? ctx.now();
  return inTransaction(ctx, async (tx) => {
    const change = await applyStatus(tx, service.id, data.status, data.source, at, {
      incidentId: data.incidentId,
      maintenanceId: data.maintenanceId,
    });
    // Incidents and maintenance announce their changes with their own events; one made by hand is news too.
    if (data.source === 'manual' && change.oldStatus !== change.newStatus) {
      await announceStatusChange(tx, service, change.oldStatus, change.newStatus, at, 'manual');
    }
    return change;
  });
}

/**
 * The event of a service's status changing outside an incident or a maintenance: on the page's feeds and to
 * webhooks, never e-mailed (automated changes can flap, and a change by hand has its incident when it matters).
 */
export async function announceStatusChange(
  tx: Ctx,
  service: ServiceRow,
  from: ServiceStatus | null,
  to: ServiceStatus,
  at: Date,
  source: 'manual' | 'heartbeat',
) {
  await emitEvent(tx, {
    type: 'service.status_changed',
    subjectId: service.id,
    serviceKeys: [service.key],
    title: service.name,
    notify: false,
    occurredAt: at,
    data: { service: service.key, from, to, source },
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
    // One status change per service at a time. Locking only the open interval is not enough: a change waiting
    // on it finds it closed by the first one, and the new open interval is not in its snapshot yet.
    await tx.db.select({ id: services.id }).from(services).where(eq(services.id, serviceId)).for('no key update');
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
  authorize(ctx.actor, 'write');
  const data = parseInput(BacklogSampleInput, input);
  const { id: serviceId } = await addressedService(ctx, data.service);
  const [row] = await ctx.db
    .insert(backlogSamples)
    .values({
      serviceId,
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

/** What the console shows for a service: the row with its current status and heartbeat state. */
export type ServiceAdminView = ServiceRow & {
  status: ServiceStatus;
  statusSource: StatusSource;
  statusSince: Date;
  /** Set when the service has a heartbeat timeout and its last heartbeat is older than that. */
  heartbeatOverdue: boolean;
};

/**
 * Changes a service's names, description, group, order, temporary window or heartbeat timeout. The key stays:
 * it is in public URLs and in every automation that reports on the service.
 */
export async function updateService(ctx: Ctx, input: In<typeof UpdateServiceInput>): Promise<ServiceRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(UpdateServiceInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(services).where(eq(services.key, data.service)).for('update');
    if (!current) throw notFound('service', data.service);
    const availableFrom = data.availableFrom === undefined ? current.availableFrom : data.availableFrom;
    const availableUntil = data.availableUntil === undefined ? current.availableUntil : data.availableUntil;
    if (availableFrom && availableUntil && availableFrom >= availableUntil) {
      throw new ServiceError('validation_failed', 'The end of the availability window must be after its start.', {
        availableUntil: 'must be after availableFrom',
      });
    }
    const patch: Partial<typeof services.$inferInsert> = { availableFrom, availableUntil };
    if (data.name !== undefined) patch.name = data.name;
    if (data.description !== undefined) patch.description = data.description;
    if (data.groupName !== undefined) patch.groupName = data.groupName;
    if (data.sortOrder !== undefined) patch.sortOrder = data.sortOrder;
    if (data.heartbeatTimeoutSeconds !== undefined) patch.heartbeatTimeoutSeconds = data.heartbeatTimeoutSeconds;
    const [row] = await tx.db.update(services).set(patch).where(eq(services.id, current.id)).returning();
    await recordAudit(tx, { action: 'service.update', objectType: 'service', objectId: current.id, before: current, after: row });
    return row!;
  });
}

/** Every service with its current status, in page order, for the console. */
export async function listServices(ctx: Ctx): Promise<ServiceAdminView[]> {
  authorize(ctx.actor, 'read');
  return servicesWithStatus(ctx);
}

export async function getServiceForEdit(ctx: Ctx, input: { service: string }): Promise<ServiceAdminView> {
  authorize(ctx.actor, 'read');
  const [row] = await servicesWithStatus(ctx, String(input?.service ?? ''));
  if (!row) throw notFound('service', String(input?.service ?? ''));
  return row;
}

async function servicesWithStatus(ctx: Ctx, key?: string): Promise<ServiceAdminView[]> {
  const now = ctx.now();
  const rows = await ctx.db
    .select({ service: services, open: statusIntervals })
    .from(services)
    .leftJoin(statusIntervals, and(eq(statusIntervals.serviceId, services.id), isNull(statusIntervals.endedAt)))
    .where(key === undefined ? undefined : eq(services.key, key))
    .orderBy(asc(services.sortOrder), asc(services.key));
  return rows.map(({ service, open }) => ({
    ...service,
    status: open?.status ?? 'operational',
    statusSource: open?.source ?? 'manual',
    statusSince: open?.startedAt ?? service.createdAt,
    heartbeatOverdue:
      service.heartbeatTimeoutSeconds != null &&
      service.lastHeartbeatAt != null &&
      now.getTime() - service.lastHeartbeatAt.getTime() > service.heartbeatTimeoutSeconds * 1000,
  }));
}
