/**
 * Automation: a monitored service reports "I am alive" every few seconds; when the reports stop for longer than
 * its timeout, the page shows it down on its own, and the next report brings it back.
 *
 * Rules
 * - A check is armed by the first heartbeat: a service that never reported is not declared down.
 * - Expiry turns the service major_outage with source 'heartbeat', once per silence: if an operator then sets
 *   another status by hand, expiry does not fight them until a new heartbeat has arrived and stopped again.
 * - Expiry leaves alone a service already in major_outage (from an incident or by hand) and one under maintenance.
 * - A heartbeat only undoes what a heartbeat did: a major_outage set by an incident or by hand stays.
 * - Plain heartbeats are not audited (they come every few seconds); the status changes they cause are. Each is
 *   counted in its minute (`heartbeat_minutes`): a bounded record of when the monitor was alive.
 */
import { and, desc, eq, gt, isNotNull, isNull, sql } from 'drizzle-orm';
import { heartbeatMinutes, services, statusIntervals } from '../../db/schema/index.ts';
import type { ServiceStatus } from '../domain/vocab.ts';
import { type ServiceRow, announceStatusChange, applyStatus } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { notFound, parseInput } from './errors.ts';
import { HeartbeatInput, type In } from './inputs.ts';
import { authorize } from './permissions.ts';

export type HeartbeatResult = {
  service: ServiceRow;
  /** The status change the heartbeat caused, if it ended a heartbeat outage. */
  restored: { from: ServiceStatus; to: ServiceStatus } | null;
};

/** Records a heartbeat; ends an outage that a missing heartbeat had caused, restoring the status from before it. */
export async function recordHeartbeat(ctx: Ctx, input: In<typeof HeartbeatInput>): Promise<HeartbeatResult> {
  authorize(ctx.actor, 'write');
  const data = parseInput(HeartbeatInput, input);
  return inTransaction(ctx, async (tx) => {
    const now = tx.now();
    // The row lock orders this heartbeat against a concurrent expiry of the same service.
    const [current] = await tx.db.select().from(services).where(eq(services.key, data.service)).for('update');
    if (!current) throw notFound('service', data.service);
    const lastHeartbeatAt = current.lastHeartbeatAt && current.lastHeartbeatAt > now ? current.lastHeartbeatAt : now;
    const [service] = await tx.db.update(services).set({ lastHeartbeatAt }).where(eq(services.id, current.id)).returning();
    await tx.db
      .insert(heartbeatMinutes)
      .values({ serviceId: current.id, minute: startOfMinute(now) })
      .onConflictDoUpdate({
        target: [heartbeatMinutes.serviceId, heartbeatMinutes.minute],
        set: { count: sql`${heartbeatMinutes.count} + 1` },
      });

    const open = await openInterval(tx, current.id);
    if (!open || open.source !== 'heartbeat' || open.status !== 'major_outage') return { service: service!, restored: null };

    const [previous] = await tx.db
      .select()
      .from(statusIntervals)
      .where(and(eq(statusIntervals.serviceId, current.id), eq(statusIntervals.endedAt, open.startedAt)))
      .orderBy(desc(statusIntervals.startedAt))
      .limit(1);
    const to = previous?.status ?? 'operational';
    const at = open.startedAt > now ? open.startedAt : now;
    await applyStatus(tx, current.id, to, 'heartbeat', at, {
      incidentId: previous?.incidentId ?? undefined,
      maintenanceId: previous?.maintenanceId ?? undefined,
    });
    await announceStatusChange(tx, service!, 'major_outage', to, at, 'heartbeat');
    return { service: service!, restored: { from: 'major_outage', to } };
  });
}

/**
 * Turns every armed service whose last heartbeat is older than its timeout to major_outage (source 'heartbeat').
 * Idempotent and safe from several instances at once: each service is claimed with FOR UPDATE SKIP LOCKED.
 */
export async function expireHeartbeats(ctx: Ctx): Promise<{ expired: string[] }> {
  authorize(ctx.actor, 'write');
  const now = ctx.now();
  const watched = await ctx.db
    .select({ id: services.id, timeout: services.heartbeatTimeoutSeconds, last: services.lastHeartbeatAt })
    .from(services)
    .where(and(isNotNull(services.heartbeatTimeoutSeconds), isNotNull(services.lastHeartbeatAt)));
  const due = watched.filter((s) => now.getTime() - s.last!.getTime() > s.timeout! * 1000);
  const expired: string[] = [];
  for (const candidate of due) {
    const key = await inTransaction(ctx, async (tx) => {
      const [service] = await tx.db.select().from(services).where(eq(services.id, candidate.id)).for('update', { skipLocked: true });
      // Gone, taken by another instance, or a heartbeat arrived meanwhile.
      if (!service?.heartbeatTimeoutSeconds || !service.lastHeartbeatAt) return null;
      if (now.getTime() - service.lastHeartbeatAt.getTime() <= service.heartbeatTimeoutSeconds * 1000) return null;
      const open = await openInterval(tx, service.id);
      if (open && (open.status === 'major_outage' || open.status === 'under_maintenance')) return null;
      // Once per silence: a heartbeat outage already declared since the last heartbeat is not declared again.
      const [fired] = await tx.db
        .select({ id: statusIntervals.id })
        .from(statusIntervals)
        .where(
          and(
            eq(statusIntervals.serviceId, service.id),
            eq(statusIntervals.source, 'heartbeat'),
            eq(statusIntervals.status, 'major_outage'),
            gt(statusIntervals.startedAt, service.lastHeartbeatAt),
          ),
        )
        .limit(1);
      if (fired) return null;
      const at = open && open.startedAt > now ? open.startedAt : now;
      const change = await applyStatus(tx, service.id, 'major_outage', 'heartbeat', at);
      await announceStatusChange(tx, service, change.oldStatus, 'major_outage', at, 'heartbeat');
      return service.key;
    });
    if (key) expired.push(key);
  }
  return { expired };
}

function startOfMinute(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000);
}

async function openInterval(tx: Ctx, serviceId: string) {
  const [open] = await tx.db
    .select()
    .from(statusIntervals)
    .where(and(eq(statusIntervals.serviceId, serviceId), isNull(statusIntervals.endedAt)));
  return open;
}

