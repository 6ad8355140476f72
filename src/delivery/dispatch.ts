/**
 * `event.dispatch`: turns one published event into the work it causes, in one transaction that also marks the
 * outbox row done, so the fan-out and whatever the dispatch hooks enqueue (webhook deliveries) exist exactly
 * once per event even when two workers race on an expired lease.
 */
import { eq } from 'drizzle-orm';
import { emailFanouts, events, outbox } from '../../db/schema/index.ts';
import { inTransaction } from '../services/context.ts';
import type { EventRow } from '../services/events.ts';
import { enqueueJob, markJobDone } from './outbox.ts';
import { type JobHandler, registeredDispatchHooks } from './registry.ts';

/**
 * Subscribers are e-mailed about what operators publish with "notify" on. Automatic service status changes
 * are not e-mailed on their own: the incident that explains them is (and they can flap).
 */
export function wantsEmail(event: Pick<EventRow, 'notify' | 'type'>): boolean {
  return event.notify && event.type !== 'service.status_changed';
}

export const dispatchEvent: JobHandler = (ctx, job) =>
  inTransaction(ctx, async (tx) => {
    // Lock our own outbox row: a second worker holding a stale claim waits here, then sees it done.
    const [row] = await tx.db.select({ state: outbox.state }).from(outbox).where(eq(outbox.id, job.id)).for('update');
    if (row?.state !== 'pending') return { kind: 'done' } as const;
    const [event] = await tx.db.select().from(events).where(eq(events.id, job.subjectId));
    if (!event) return { kind: 'dead', error: `event ${job.subjectId} not found` } as const;
    if (wantsEmail(event)) {
      const [fanout] = await tx.db
        .insert(emailFanouts)
        .values({
          key: `event:${event.id}`,
          eventId: event.id,
          incidentId: event.incidentId,
          maintenanceId: event.maintenanceId,
          serviceKeys: event.serviceKeys,
        })
        .onConflictDoNothing({ target: emailFanouts.key })
        .returning({ id: emailFanouts.id });
      if (fanout) await enqueueJob(tx, 'email.fanout', fanout.id);
    }
    for (const hook of registeredDispatchHooks()) await hook(tx, event);
    await markJobDone(tx, job);
    return { kind: 'done' } as const;
  });
