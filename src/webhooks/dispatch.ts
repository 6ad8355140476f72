/**
 * The dispatch hook: runs inside the transaction that handles an event's `event.dispatch` outbox row and turns
 * the event into one delivery per matching active endpoint, each with its own `webhook.delivery` job. Both
 * inserts ignore conflicts (unique endpoint+event, unique kind+subject), so dispatching an event again — after a
 * crash, or twice by mistake — never sends anything twice.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { outbox, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts';
import type { Ctx } from '../services/context.ts';
import type { EventRow } from '../services/events.ts';
import { matchesAny } from './patterns.ts';

export async function dispatchWebhooks(tx: Ctx, event: EventRow): Promise<number> {
  const endpoints = await tx.db
    .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.state, 'active'));
  const targets = endpoints.filter((e) => matchesAny(e.events, event.type)).map((e) => e.id);
  if (!targets.length) return 0;
  const now = tx.now();
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
