/**
 * The dispatch hook: runs inside the transaction that handles an event's `event.dispatch` outbox row and turns
 * the event into one delivery per matching active endpoint, each with its own `webhook.delivery` job. Both
 * inserts ignore conflicts (unique endpoint+event, unique kind+subject), so dispatching an event again — after a
 * crash, or twice by mistake — never sends anything twice.
 *
 * A disabled endpoint gets the delivery too, recorded as failed and not sent: the log then shows what its
 * partner missed, and an operator can send it all once the receiver is back (redeliverWebhooks). An endpoint
 * still awaiting its owner's confirmation gets nothing.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { outbox, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts';
import type { Ctx } from '../services/context.ts';
import type { EventRow } from '../services/events.ts';
import { notSent } from './deliver.ts';
import { matchesAny } from './patterns.ts';

export async function dispatchWebhooks(tx: Ctx, event: EventRow): Promise<number> {
  const endpoints = await tx.db
    .select({ id: webhookEndpoints.id, events: webhookEndpoints.events, state: webhookEndpoints.state })
    .from(webhookEndpoints)
    .where(inArray(webhookEndpoints.state, ['active', 'disabled']));
  const matching = endpoints.filter((e) => matchesAny(e.events, event.type));
  const now = tx.now();
  const missed = matching.filter((e) => e.state === 'disabled');
  if (missed.length) {
    const log = [notSent(now, 'the endpoint is disabled')];
    await tx.db
      .insert(webhookDeliveries)
      .values(missed.map((e) => ({ endpointId: e.id, eventId: event.id, eventType: event.type, state: 'failed' as const, log, createdAt: now })))
      .onConflictDoNothing({ target: [webhookDeliveries.endpointId, webhookDeliveries.eventId] });
  }
  const targets = matching.filter((e) => e.state === 'active').map((e) => e.id);
  if (!targets.length) return 0;
  await tx.db
    .insert(webhookDeliveries)
    .values(targets.map((endpointId) => ({ endpointId, eventId: event.id, eventType: event.type, createdAt: now })))
    .onConflictDoNothing({ target: [webhookDeliveries.endpointId, webhookDeliveries.eventId] });
  // Re-read rather than trust RETURNING: a delivery left from an earlier dispatch still gets its job (no-op if it has one).
  const deliveries = await tx.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.eventId, event.id), inArray(webhookDeliveries.endpointId, targets)));
  await tx.db
    .insert(outbox)
    .values(deliveries.map((d) => ({ kind: 'webhook.delivery' as const, subjectId: d.id, runAt: now })))
    .onConflictDoNothing({ target: [outbox.kind, outbox.subjectId] });
  return deliveries.length;
}
