/**
 * The `webhook.delivery` job: sign and POST one event to one endpoint, log the attempt, then decide — delivered,
 * retry later (see retry.ts), or failed. The network call runs with no transaction open; the outcome is written
 * in one short transaction. Disabling policy: an endpoint is disabled when a delivery to it has failed for good
 * (24 h of retries) and the endpoint has not answered one delivery with a 2xx since its failures began (so it
 * has been failing for at least 24 h); its owner is then e-mailed. One success resets the count.
 */
import { and, eq, lte, sql } from 'drizzle-orm';
import { events, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts';
import type { Locale } from '../domain/vocab.ts';
import { recordAudit } from '../services/audit.ts';
import { type Ctx, inTransaction } from '../services/context.ts';
import { buildPayload, PAYLOAD_VERSION } from './payload.ts';
import { webhookPolicy } from './policy.ts';
import { nextAttemptAt, RETRY_WINDOW_MS } from './retry.ts';
import { postWebhook } from './sender.ts';
import { countWebhookDelivery, webhookFailureReason } from '../app/metrics.ts';
import { signedHeaders } from './signing.ts';
import { notifyOwnerDisabled } from './owner-mail.ts';

/** Type of the message sent by "send a test event"; it is not part of the public event stream. */
export const TEST_EVENT_TYPE = 'webhook.test';
export const TEST_EVENT_PREFIX = 'test:';
/** The delivery log keeps the latest attempts only. */
export const LOG_LIMIT = 30;

export type DeliveryLogEntry = { at: string; status: number | null; error: string | null; ms: number; excerpt?: string };

export type DeliveryOutcome = { kind: 'done' } | { kind: 'retry'; at: Date; error: string } | { kind: 'dead'; error: string };

export async function runWebhookDelivery(ctx: Ctx, job: { subjectId: string }): Promise<DeliveryOutcome> {
  const [row] = await ctx.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, job.subjectId));
  // Deleted with its endpoint, or already settled by an earlier run of this job: nothing to do.
  if (!row || row.delivery.state !== 'pending') return { kind: 'done' };
  const { delivery, endpoint } = row;
  if (endpoint.state !== 'active') {
    await settle(ctx, delivery, { state: 'failed', sent: false, entry: notSent(ctx.now(), `the endpoint is ${endpoint.state}`) });
    return { kind: 'done' };
  }

  const body = await payloadFor(ctx, delivery, endpoint.locale);
  if (body === null) {
    await settle(ctx, delivery, { state: 'failed', sent: false, entry: notSent(ctx.now(), 'the event no longer exists') });
    return { kind: 'done' };
  }

  const started = ctx.now();
  const clockStart = performance.now();
  const result = await postWebhook(endpoint.url, signedHeaders(endpoint.secret, delivery.id, started, body), body, {
    allowPrivate: webhookPolicy().allowPrivate,
  });
  const log = entry(started, result.status, result.error, Math.round(performance.now() - clockStart), result.excerpt);
  if (result.ok) countWebhookDelivery({ outcome: 'delivered' });
  const now = ctx.now();

  if (result.ok) {
    await inTransaction(ctx, async (tx) => {
      await settle(tx, delivery, { state: 'delivered', sent: true, entry: log, deliveredAt: now });
      await tx.db
        .update(webhookEndpoints)
        .set({ consecutiveFailures: 0, failingSince: null })
        .where(eq(webhookEndpoints.id, endpoint.id));
    });
    return { kind: 'done' };
  }

  const attempt = delivery.attempts + 1;
  const next = nextAttemptAt(delivery.createdAt, attempt, now);
  const error = result.error ?? 'failed';
  const disabled = await inTransaction(ctx, async (tx) => {
    await settle(tx, delivery, { state: next ? 'pending' : 'failed', sent: true, entry: log });
    await tx.db
      .update(webhookEndpoints)
      .set({
        consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1`,
        failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${started.toISOString()}::timestamptz)`,
      })
      .where(eq(webhookEndpoints.id, endpoint.id));
    return next ? false : disableIfFailing(tx, endpoint.id, now);
  });
  countWebhookDelivery({ outcome: next ? 'failed' : 'dead', reason: webhookFailureReason(result.status) });
  if (next) return { kind: 'retry', at: next, error };
  return { kind: 'dead', error: disabled ? `${error}; endpoint disabled after 24 h of failures` : error };
}

async function payloadFor(ctx: Ctx, delivery: typeof webhookDeliveries.$inferSelect, locale: Locale): Promise<string | null> {
  if (delivery.eventId.startsWith(TEST_EVENT_PREFIX)) {
    return JSON.stringify({
      type: TEST_EVENT_TYPE,
      timestamp: delivery.createdAt.toISOString(),
      version: PAYLOAD_VERSION,
      data: { event_id: delivery.eventId, locale, message: locale === 'en' ? 'Test message from Vedetta.' : 'Messaggio di prova da Vedetta.' },
    });
  }
  const [event] = await ctx.db.select().from(events).where(eq(events.id, delivery.eventId));
  return event ? JSON.stringify(buildPayload(event, locale, ctx.siteUrl)) : null;
}

/** The log entry of a delivery settled without a request (also written by dispatch for a disabled endpoint). */
export function notSent(at: Date, why: string): DeliveryLogEntry {
  return entry(at, null, `not sent: ${why}`, 0);
}

function entry(at: Date, status: number | null, error: string | null, ms: number, excerpt?: string): DeliveryLogEntry {
  return { at: at.toISOString(), status, error, ms, ...(excerpt ? { excerpt } : {}) };
}

/** Appends one attempt to the log (the latest LOG_LIMIT are kept) and moves the delivery on. */
async function settle(
  tx: Ctx,
  delivery: typeof webhookDeliveries.$inferSelect,
  change: { state: 'pending' | 'delivered' | 'failed'; entry: DeliveryLogEntry; sent: boolean; deliveredAt?: Date },
): Promise<void> {
  // Only this job's lease holder writes a delivery, so reading the log first loses nothing.
  await tx.db
    .update(webhookDeliveries)
    .set({
      state: change.state,
      attempts: delivery.attempts + (change.sent ? 1 : 0),
      lastStatus: change.sent ? change.entry.status : delivery.lastStatus,
      log: [...delivery.log, change.entry].slice(-LOG_LIMIT),
      ...(change.deliveredAt ? { deliveredAt: change.deliveredAt } : {}),
    })
    .where(eq(webhookDeliveries.id, delivery.id));
}

/** Disables the endpoint when it has failed without a single success for the whole retry window. */
async function disableIfFailing(tx: Ctx, endpointId: string, now: Date): Promise<boolean> {
  const [disabled] = await tx.db
    .update(webhookEndpoints)
    .set({ state: 'disabled', disabledAt: now, disabledReason: 'failing', updatedAt: now })
    .where(
      and(
        eq(webhookEndpoints.id, endpointId),
        eq(webhookEndpoints.state, 'active'),
        lte(webhookEndpoints.failingSince, new Date(now.getTime() - RETRY_WINDOW_MS)),
      ),
    )
    .returning();
  if (!disabled) return false;
  await recordAudit(tx, { action: 'webhook.disabled', objectType: 'webhook_endpoint', objectId: endpointId, after: { state: 'disabled', reason: 'failing' } });
  await notifyOwnerDisabled(tx, disabled);
  return true;
}
