import { and, asc, desc, eq, inArray, isNull, lte, ne, notInArray, or } from 'drizzle-orm';
import { maintenanceServices, maintenances, services, statusIntervals } from '../../db/schema/index.ts';
import { allowedNext, maintenanceTransitionError } from '../domain/lifecycle.ts';
import type { LocalizedText, MaintenanceStatus, ServiceStatus } from '../domain/vocab.ts';
import { recordAudit } from './audit.ts';
import { emitEvent } from './events.ts';
import { applyStatus, serviceIdsByKey } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { type In, ListMaintenancesInput, MaintenanceStepInput, ScheduleMaintenanceInput, UpdateMaintenanceInput } from './inputs.ts';
import { authorize } from './permissions.ts';

/**
 * Announces a window. It starts and completes on its own at the scheduled times (`runScheduledTransitions`), or
 * by hand with `startMaintenance` / `completeMaintenance`. (A window written directly as in_progress, like the
 * demo's past ones, does not move service statuses by itself.) `notify` is stored on the window: every later
 * step e-mails subscribers or not as it says, whoever (or whatever) takes the step.
 */
export async function scheduleMaintenance(ctx: Ctx, input: In<typeof ScheduleMaintenanceInput>) {
  authorize(ctx.actor, 'write');
  const data = parseInput(ScheduleMaintenanceInput, input);
  return inTransaction(ctx, async (tx) => {
    // Announced as upcoming, a window already over would be closed by the scheduler the next minute as if cancelled.
    if (data.status === 'scheduled' && data.scheduledEnd <= tx.now()) {
      throw new ServiceError('validation_failed', 'A window that is already over cannot be scheduled.', {
        scheduledEnd: 'must be in the future',
      });
    }
    const ids = await serviceIdsByKey(tx, data.services);
    const [row] = await tx.db
      .insert(maintenances)
      .values({
        title: data.title,
        body: data.body,
        status: data.status,
        scheduledStart: data.scheduledStart,
        scheduledEnd: data.scheduledEnd,
        // The demo records past windows as under way or done: they ran as planned, and their times say so.
        startedAt: data.status === 'scheduled' ? null : data.scheduledStart,
        completedAt: data.status === 'completed' ? data.scheduledEnd : null,
        notify: data.notify,
        createdAt: tx.now(),
        updatedAt: tx.now(),
      })
      .returning();
    const maintenance = row!;
    await tx.db.insert(maintenanceServices).values([...ids.values()].map((serviceId) => ({ maintenanceId: maintenance.id, serviceId })));
    await recordAudit(tx, { action: 'maintenance.schedule', objectType: 'maintenance', objectId: maintenance.id, after: maintenance });
    await emitEvent(tx, {
      type: 'maintenance.scheduled',
      subjectId: maintenance.id,
      maintenanceId: maintenance.id,
      serviceKeys: [...data.services].sort(),
      title: maintenance.title,
      body: maintenance.body,
      notify: maintenance.notify,
      occurredAt: tx.now(),
      data: {
        status: maintenance.status,
        scheduledStart: maintenance.scheduledStart.toISOString(),
        scheduledEnd: maintenance.scheduledEnd.toISOString(),
      },
    });
    return maintenance;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Lifecycle: scheduled → in_progress → (verifying) → completed, by hand or on schedule.
//
// Starting puts the window's services under_maintenance (source 'maintenance', linked to the window) and
// remembers the status each had. It never hides a real problem: a service an incident or a missing heartbeat
// has already taken below operational keeps that status. Completing restores the remembered status, but only
// where the window still holds the service: if an incident (or anyone) changed it meanwhile, that later, more
// informed status stays. When two windows overlap on a service, the one completing first hands it to the other.

export type MaintenanceRow = typeof maintenances.$inferSelect;
const ACTIVE: MaintenanceStatus[] = ['in_progress', 'verifying'];

export async function startMaintenance(ctx: Ctx, input: In<typeof MaintenanceStepInput>): Promise<MaintenanceRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(MaintenanceStepInput, input);
  return inTransaction(ctx, async (tx) => startLocked(tx, await lockForStep(tx, data.maintenanceId, 'in_progress'), stepTime(tx, data.at)));
}

/** Work done, checking the result: the services stay under maintenance. */
export async function verifyMaintenance(ctx: Ctx, input: In<typeof MaintenanceStepInput>): Promise<MaintenanceRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(MaintenanceStepInput, input);
  return inTransaction(ctx, async (tx) => {
    const current = await lockForStep(tx, data.maintenanceId, 'verifying');
    if (current.status === 'verifying') return current;
    const [row] = await tx.db
      .update(maintenances)
      .set({ status: 'verifying', updatedAt: tx.now() })
      .where(eq(maintenances.id, current.id))
      .returning();
    await recordAudit(tx, { action: 'maintenance.verify', objectType: 'maintenance', objectId: current.id, before: current, after: row });
    return row!;
  });
}

/** Ends the window (or cancels it, if it never started) and gives the services back. */
export async function completeMaintenance(ctx: Ctx, input: In<typeof MaintenanceStepInput>): Promise<MaintenanceRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(MaintenanceStepInput, input);
  return inTransaction(ctx, async (tx) => completeLocked(tx, await lockForStep(tx, data.maintenanceId, 'completed'), stepTime(tx, data.at)));
}

/**
 * Edits a window. Texts can change at any time; the services only while it is scheduled; the start only until
 * it starts; the end until it completes (extending a running window is how to keep it from auto-completing).
 */
export async function updateMaintenance(ctx: Ctx, input: In<typeof UpdateMaintenanceInput>): Promise<MaintenanceRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(UpdateMaintenanceInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(maintenances).where(eq(maintenances.id, data.maintenanceId)).for('update');
    if (!current) throw notFound('maintenance', data.maintenanceId);
    const refuse = (field: string, why: string) => {
      throw new ServiceError('validation_failed', `The maintenance is ${current.status.replace('_', ' ')}: ${why}.`, { [field]: why });
    };
    if (data.services !== undefined && current.status !== 'scheduled') refuse('services', 'its services can only change while it is scheduled');
    if (data.scheduledStart !== undefined && current.status !== 'scheduled' && data.scheduledStart.getTime() !== current.scheduledStart.getTime()) {
      refuse('scheduledStart', 'it has already started');
    }
    if (data.scheduledEnd !== undefined && current.status === 'completed' && data.scheduledEnd.getTime() !== current.scheduledEnd.getTime()) {
      refuse('scheduledEnd', 'it is over');
    }
    const scheduledStart = data.scheduledStart ?? current.scheduledStart;
    const scheduledEnd = data.scheduledEnd ?? current.scheduledEnd;
    if (scheduledEnd <= scheduledStart) {
      throw new ServiceError('validation_failed', 'The end of the window must be after its start.', { scheduledEnd: 'must be after scheduledStart' });
    }
    const before = { ...current, services: await serviceKeysOf(tx, current.id) };
    const [row] = await tx.db
      .update(maintenances)
      .set({
        title: data.title ?? current.title,
        body: data.body === undefined ? current.body : data.body,
        scheduledStart,
        scheduledEnd,
        notify: data.notify ?? current.notify,
        updatedAt: tx.now(),
      })
      .where(eq(maintenances.id, current.id))
      .returning();
    if (data.services !== undefined) {
      const ids = await serviceIdsByKey(tx, data.services);
      await tx.db.delete(maintenanceServices).where(eq(maintenanceServices.maintenanceId, current.id));
      await tx.db.insert(maintenanceServices).values([...ids.values()].map((serviceId) => ({ maintenanceId: current.id, serviceId })));
    }
    const maintenance = row!;
    const serviceKeys = await serviceKeysOf(tx, current.id);
    await recordAudit(tx, { action: 'maintenance.edit', objectType: 'maintenance', objectId: current.id, before, after: { ...maintenance, services: serviceKeys } });
    const moved =
      scheduledStart.getTime() !== current.scheduledStart.getTime() || scheduledEnd.getTime() !== current.scheduledEnd.getTime();
    if (moved && current.status !== 'completed') {
      // Readers planning around the window hear that it moved.
      await emitEvent(tx, {
        type: 'maintenance.scheduled',
        subjectId: maintenance.id,
        maintenanceId: maintenance.id,
        serviceKeys,
        title: maintenance.title,
        body: maintenance.body,
        notify: maintenance.notify,
        occurredAt: tx.now(),
        data: {
          status: maintenance.status,
          rescheduled: true,
          scheduledStart: scheduledStart.toISOString(),
          scheduledEnd: scheduledEnd.toISOString(),
          // Readers who planned around the old window need it to see what moved.
          previousStart: current.scheduledStart.toISOString(),
          previousEnd: current.scheduledEnd.toISOString(),
        },
      });
    }
    return maintenance;
  });
}

export type ScheduledRun = { started: string[]; completed: string[]; failed: { id: string; error: string }[] };

/**
 * Starts every scheduled window whose start has passed and completes every running one whose end has passed.
 * Idempotent, and safe to call every few seconds from several instances: each window is claimed with
 * FOR UPDATE SKIP LOCKED in its own transaction, so two instances never handle the same one and one failing
 * window does not hold up the others.
 */
export async function runScheduledTransitions(ctx: Ctx): Promise<ScheduledRun> {
  authorize(ctx.actor, 'write');
  const run: ScheduledRun = { started: [], completed: [], failed: [] };
  const tried = new Set<string>();
  for (let i = 0; i < 500; i++) {
    let claimed: string | undefined;
    try {
      const done = await inTransaction(ctx, async (tx) => {
        const now = tx.now();
        const [due] = await tx.db
          .select()
          .from(maintenances)
          .where(
            and(
              or(
                and(eq(maintenances.status, 'scheduled'), lte(maintenances.scheduledStart, now)),
                and(inArray(maintenances.status, ACTIVE), lte(maintenances.scheduledEnd, now)),
              ),
              tried.size ? notInArray(maintenances.id, [...tried]) : undefined,
            ),
          )
          .orderBy(asc(maintenances.scheduledStart), asc(maintenances.id))
          .limit(1)
          .for('update', { skipLocked: true });
        if (!due) return null;
        claimed = due.id;
        tried.add(due.id);
        if (due.status === 'scheduled' && due.scheduledEnd > now) {
          await startLocked(tx, due, now);
          return { id: due.id, step: 'started' as const };
        }
        // Running and over, or (the scheduler was down) a whole window that passed without starting.
        await completeLocked(tx, due, now);
        return { id: due.id, step: 'completed' as const };
      });
      if (!done) break;
      run[done.step].push(done.id);
    } catch (error) {
      if (!claimed) throw error;
      run.failed.push({ id: claimed, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return run;
}

export type MaintenanceForEdit = MaintenanceRow & {
  services: { id: string; key: string; name: LocalizedText; status: ServiceStatus; previousStatus: ServiceStatus | null; heldByThisWindow: boolean }[];
  serviceKeys: string[];
  allowedNext: readonly MaintenanceStatus[];
};

/** Windows for the console: `active` (not completed) soonest first, `past` latest first, or `all`. */
export async function listMaintenances(ctx: Ctx, input: In<typeof ListMaintenancesInput> = {}): Promise<MaintenanceForEdit[]> {
  authorize(ctx.actor, 'read');
  const data = parseInput(ListMaintenancesInput, input);
  const rows = await ctx.db
    .select()
    .from(maintenances)
    .where(data.filter === 'active' ? ne(maintenances.status, 'completed') : data.filter === 'past' ? eq(maintenances.status, 'completed') : undefined)
    .orderBy(...(data.filter === 'past' ? [desc(maintenances.scheduledEnd)] : [asc(maintenances.scheduledStart)]), asc(maintenances.id))
    .limit(data.limit);
  return withServices(ctx, rows);
}

export async function getMaintenanceForEdit(ctx: Ctx, input: { maintenanceId: string }): Promise<MaintenanceForEdit> {
  authorize(ctx.actor, 'read');
  const id = String(input?.maintenanceId ?? '');
  const [row] = await ctx.db.select().from(maintenances).where(eq(maintenances.id, id));
  if (!row) throw notFound('maintenance', id);
  return (await withServices(ctx, [row]))[0]!;
}

async function withServices(ctx: Ctx, rows: MaintenanceRow[]): Promise<MaintenanceForEdit[]> {
  if (rows.length === 0) return [];
  const links = await ctx.db
    .select({ maintenanceId: maintenanceServices.maintenanceId, previousStatus: maintenanceServices.previousStatus, service: services, open: statusIntervals })
    .from(maintenanceServices)
    .innerJoin(services, eq(services.id, maintenanceServices.serviceId))
    .leftJoin(statusIntervals, and(eq(statusIntervals.serviceId, services.id), isNull(statusIntervals.endedAt)))
    .where(inArray(maintenanceServices.maintenanceId, rows.map((r) => r.id)))
    .orderBy(asc(services.sortOrder), asc(services.key));
  return rows.map((r) => {
    const mine = links.filter((l) => l.maintenanceId === r.id);
    return {
      ...r,
      services: mine.map((l) => ({
        id: l.service.id,
        key: l.service.key,
        name: l.service.name,
        status: l.open?.status ?? 'operational',
        previousStatus: l.previousStatus,
        heldByThisWindow: l.open?.maintenanceId === r.id && l.open.source === 'maintenance',
      })),
      serviceKeys: mine.map((l) => l.service.key).sort(),
      allowedNext: allowedNext('maintenance', r.status),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------

function stepTime(tx: Ctx, at: Date | undefined): Date {
  const now = tx.now();
  if (!at) return now;
  if (at.getTime() > now.getTime() + 60_000) {
    throw new ServiceError('validation_failed', 'A maintenance step cannot be dated in the future.', { at: 'in the future' });
  }
  return at;
}

async function lockForStep(tx: Ctx, id: string, to: MaintenanceStatus): Promise<MaintenanceRow> {
  const [current] = await tx.db.select().from(maintenances).where(eq(maintenances.id, id)).for('update');
  if (!current) throw notFound('maintenance', id);
  const reason = maintenanceTransitionError(current.status, to);
  if (reason) throw new ServiceError('validation_failed', reason, { status: reason });
  return current;
}

async function serviceKeysOf(tx: Ctx, maintenanceId: string): Promise<string[]> {
  const rows = await tx.db
    .select({ key: services.key })
    .from(maintenanceServices)
    .innerJoin(services, eq(services.id, maintenanceServices.serviceId))
    .where(eq(maintenanceServices.maintenanceId, maintenanceId));
  return rows.map((r) => r.key).sort();
}

async function openIntervalOf(tx: Ctx, serviceId: string) {
  const [open] = await tx.db
    .select()
    .from(statusIntervals)
    .where(and(eq(statusIntervals.serviceId, serviceId), isNull(statusIntervals.endedAt)))
    .for('update');
  return open;
}

/** Moves a locked, scheduled window to in_progress and takes its services over. */
async function startLocked(tx: Ctx, current: MaintenanceRow, at: Date): Promise<MaintenanceRow> {
  if (current.status === 'in_progress') return current;
  const links = await tx.db.select().from(maintenanceServices).where(eq(maintenanceServices.maintenanceId, current.id));
  for (const link of links) {
    const open = await openIntervalOf(tx, link.serviceId);
    const status = open?.status ?? 'operational';
    // A real problem stays visible: maintenance does not paper over an incident's or a heartbeat's outage.
    if (open && status !== 'operational' && (open.source === 'incident' || open.source === 'heartbeat')) continue;
    if (open?.status === 'under_maintenance' && open.source === 'maintenance' && open.maintenanceId && open.maintenanceId !== current.id) {
      const [holder] = await tx.db.select({ status: maintenances.status }).from(maintenances).where(eq(maintenances.id, open.maintenanceId));
      // Another running window already holds it: this one takes it over when that one completes.
      if (holder && ACTIVE.includes(holder.status)) continue;
    }
    await tx.db
      .update(maintenanceServices)
      // Under maintenance already (by hand, or a window that has ended): there is nothing else to go back to.
      .set({ previousStatus: status === 'under_maintenance' ? 'operational' : status })
      .where(and(eq(maintenanceServices.maintenanceId, current.id), eq(maintenanceServices.serviceId, link.serviceId)));
    await applyStatus(tx, link.serviceId, 'under_maintenance', 'maintenance', at, { maintenanceId: current.id });
    if (open?.status === 'under_maintenance') {
      // Same status (set by hand): applyStatus kept the interval, so link it to this window explicitly.
      await tx.db.update(statusIntervals).set({ source: 'maintenance', maintenanceId: current.id }).where(eq(statusIntervals.id, open.id));
    }
  }
  const [row] = await tx.db
    .update(maintenances)
    .set({ status: 'in_progress', startedAt: at, updatedAt: tx.now() })
    .where(eq(maintenances.id, current.id))
    .returning();
  const maintenance = row!;
  await recordAudit(tx, { action: 'maintenance.start', objectType: 'maintenance', objectId: current.id, before: current, after: maintenance });
  await emitEvent(tx, {
    type: 'maintenance.started',
    subjectId: maintenance.id,
    maintenanceId: maintenance.id,
    serviceKeys: await serviceKeysOf(tx, maintenance.id),
    title: maintenance.title,
    body: maintenance.body,
    notify: maintenance.notify,
    occurredAt: at,
    data: { status: 'in_progress', scheduledEnd: maintenance.scheduledEnd.toISOString() },
  });
  return maintenance;
}

/** Moves a locked window to completed and gives back the services it still holds. */
async function completeLocked(tx: Ctx, current: MaintenanceRow, at: Date): Promise<MaintenanceRow> {
  const cancelled = current.status === 'scheduled';
  if (!cancelled) {
    const links = await tx.db.select().from(maintenanceServices).where(eq(maintenanceServices.maintenanceId, current.id));
    for (const link of links) {
      const open = await openIntervalOf(tx, link.serviceId);
      if (!open || open.source !== 'maintenance' || open.maintenanceId !== current.id) continue;
      const restore = link.previousStatus ?? 'operational';
      const [next] = await tx.db
        .select({ id: maintenances.id, previousStatus: maintenanceServices.previousStatus })
        .from(maintenanceServices)
        .innerJoin(maintenances, eq(maintenances.id, maintenanceServices.maintenanceId))
        .where(and(eq(maintenanceServices.serviceId, link.serviceId), ne(maintenances.id, current.id), inArray(maintenances.status, ACTIVE)))
        .orderBy(asc(maintenances.scheduledEnd))
        .limit(1);
      if (next) {
        // Overlapping windows: the other one keeps the service under maintenance and restores it later.
        await tx.db.update(statusIntervals).set({ maintenanceId: next.id }).where(eq(statusIntervals.id, open.id));
        await tx.db
          .update(maintenanceServices)
          .set({ previousStatus: next.previousStatus ?? restore })
          .where(and(eq(maintenanceServices.maintenanceId, next.id), eq(maintenanceServices.serviceId, link.serviceId)));
        continue;
      }
      await applyStatus(tx, link.serviceId, restore, 'maintenance', at < open.startedAt ? open.startedAt : at, { maintenanceId: current.id });
    }
  }
  const [row] = await tx.db
    .update(maintenances)
    .set({ status: 'completed', completedAt: at, updatedAt: tx.now() })
    .where(eq(maintenances.id, current.id))
    .returning();
  const maintenance = row!;
  await recordAudit(tx, {
    action: cancelled ? 'maintenance.cancel' : 'maintenance.complete',
    objectType: 'maintenance',
    objectId: current.id,
    before: current,
    after: maintenance,
  });
  await emitEvent(tx, {
    type: 'maintenance.completed',
    subjectId: maintenance.id,
    maintenanceId: maintenance.id,
    serviceKeys: await serviceKeysOf(tx, maintenance.id),
    title: maintenance.title,
    body: maintenance.body,
    notify: maintenance.notify,
    occurredAt: at,
    data: { status: 'completed', cancelled },
  });
  return maintenance;
}
