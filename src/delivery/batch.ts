/**
 * `email.batch`: sends one batch of up to 100 messages as one provider request, and records the answer.
 *
 * Exactly once, whatever dies when:
 * - The payload is rebuilt deterministically from stored data only (the fan-out's content, the message's
 *   recipient snapshot, or a one-off message's stored content; links carry no time), so every attempt sends
 *   the same bytes. The idempotency key is the batch id plus a SHA-256 fingerprint of those bytes.
 * - Killed before the request: nothing was sent; the row's lease runs out and the batch is sent later.
 * - Killed during or after the request, before the answer is recorded: the retry sends the same bytes under the
 *   same key, and the provider answers with the first request's result instead of sending again (24 h window).
 * - The answer is recorded in one transaction (message states and provider ids, the batch, the outbox row), and
 *   only messages still `queued` are touched, so a late duplicate answer changes nothing.
 * The recipients of a batch never change after it is created (no filtering at send time): a different payload
 * under a new key after an unrecorded success would mail everyone in it twice.
 */
import { countEmailOutcome } from '../app/metrics.ts';
import { createHash } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { emailBatches, emailFanouts, emailMessages } from '../../db/schema/index.ts';
import { getLinkSigner } from '../mail/links.ts';
import { type Ctx, inTransaction } from '../services/context.ts';
import { markJobDead, markJobDone } from './outbox.ts';
import type { ProviderLimiter } from './rate-limit.ts';
import { backoff, type Job, type JobHandler, type JobResult } from './registry.ts';
import type { AlertMail, ComposedEmail } from './mail-port.ts';
import type { OutgoingEmail, SendOutcome, Transport } from './transport.ts';

export type BatchOptions = {
  transport: Transport;
  limiter: ProviderLimiter;
  from: string;
  alertMail: AlertMail;
  /** Transient failures are retried this many times (backoff from 5 s to 1 h), then the messages fail. */
  maxAttempts?: number;
  /** Test seam: throw WorkerCrash at one of these points to stand for the process being killed there. */
  checkpoint?: (point: 'before-send' | 'after-send', job: Job) => void | Promise<void>;
};

type MessageRow = typeof emailMessages.$inferSelect;
type BatchRow = typeof emailBatches.$inferSelect;

export function batchHandler(opts: BatchOptions): JobHandler {
  const maxAttempts = opts.maxAttempts ?? 10;
  return async (ctx, job) => {
    const [batch] = await ctx.db.select().from(emailBatches).where(eq(emailBatches.id, job.subjectId));
    if (!batch) return { kind: 'dead', error: `batch ${job.subjectId} not found` };
    if (batch.state !== 'pending') return { kind: 'done' };
    const messages = await ctx.db.select().from(emailMessages).where(eq(emailMessages.batchId, batch.id)).orderBy(asc(emailMessages.position));
    if (!messages.length) {
      await ctx.db.update(emailBatches).set({ state: 'sent', sentAt: ctx.now() }).where(eq(emailBatches.id, batch.id));
      return { kind: 'done' };
    }
    const emails = await buildPayload(ctx, opts, batch, messages);
    const idempotencyKey = batchIdempotencyKey(batch.id, emails);
    if (batch.idempotencyKey !== idempotencyKey) {
      await ctx.db.update(emailBatches).set({ idempotencyKey }).where(eq(emailBatches.id, batch.id));
    }

    await opts.checkpoint?.('before-send', job);
    await opts.limiter.acquire();
    const outcome = await opts.transport.sendBatch(emails, { idempotencyKey, messageIds: messages.map((m) => m.id) });
    countEmailOutcome('alert', emails.length, outcome);
    await opts.checkpoint?.('after-send', job);
    return record(ctx, opts, job, batch, messages, outcome, maxAttempts);
  };
}

async function record(
  ctx: Ctx,
  opts: BatchOptions,
  job: Job,
  batch: BatchRow,
  messages: MessageRow[],
  outcome: SendOutcome,
  maxAttempts: number,
): Promise<JobResult> {
  const now = ctx.now();
  switch (outcome.kind) {
    case 'sent': {
      const failed = new Map(outcome.errors.map((e) => [e.index, e.message]));
      await inTransaction(ctx, async (tx) => {
        await setMessageStates(
          tx,
          batch.id,
          messages.map((m, i) => ({
            id: m.id,
            state: failed.has(i) ? 'failed' : 'sent',
            providerId: outcome.ids[i] ?? null,
            error: failed.get(i) ?? null,
          })),
        );
        await tx.db
          .update(emailBatches)
          .set({ state: 'sent', sentAt: now, attempts: batch.attempts + 1, lastError: null })
          .where(and(eq(emailBatches.id, batch.id), eq(emailBatches.state, 'pending')));
        await markJobDone(tx, job);
      });
      return { kind: 'done' };
    }
    case 'rate_limited': {
      // Everyone waits, not only this worker; the wait is not a failure of this batch.
      await opts.limiter.pushBack(new Date(Date.now() + outcome.retryAfterMs));
      return { kind: 'retry', at: new Date(now.getTime() + outcome.retryAfterMs), error: outcome.error, countAttempt: false };
    }
    case 'transient': {
      await ctx.db
        .update(emailBatches)
        .set({ attempts: batch.attempts + 1, lastError: outcome.error })
        .where(eq(emailBatches.id, batch.id));
      if (job.attempts + 1 < maxAttempts) return { kind: 'retry', at: backoff(now, job.attempts), error: outcome.error };
      await failBatch(ctx, job, batch, messages, `gave up after ${maxAttempts} attempts: ${outcome.error}`, 'dead');
      return { kind: 'dead', error: outcome.error };
    }
    case 'permanent':
      // The provider refused the request as such: repeating it would be refused again. Recorded per message.
      await failBatch(ctx, job, batch, messages, outcome.error, 'done');
      return { kind: 'done' };
  }
}

async function failBatch(ctx: Ctx, job: Job, batch: BatchRow, messages: MessageRow[], error: string, row: 'done' | 'dead') {
  await inTransaction(ctx, async (tx) => {
    await setMessageStates(tx, batch.id, messages.map((m) => ({ id: m.id, state: 'failed', providerId: null, error })));
    await tx.db
      .update(emailBatches)
      .set({ state: 'failed', lastError: error, attempts: batch.attempts + 1 })
      .where(and(eq(emailBatches.id, batch.id), eq(emailBatches.state, 'pending')));
    if (row === 'dead') await markJobDead(tx, job, error);
    else await markJobDone(tx, job);
  });
}

/** One UPDATE for the whole batch; only messages still queued change (a repeated answer is a no-op). */
async function setMessageStates(
  tx: Ctx,
  batchId: string,
  rows: { id: string; state: 'sent' | 'failed'; providerId: string | null; error: string | null }[],
) {
  const now = tx.now();
  const values = sql.join(
    rows.map((r) => sql`(${r.id}, ${r.state}, ${r.providerId}::text, ${r.error?.slice(0, 1000) ?? null}::text)`),
    sql`, `,
  );
  await tx.db.execute(sql`
    update ${emailMessages} as m
    set state = v.state, provider_id = v.provider_id, error = v.error,
        sent_at = case when v.state = 'sent' then ${now.toISOString()}::timestamptz else null end,
        updated_at = ${now.toISOString()}::timestamptz
    from (values ${values}) as v(id, state, provider_id, error)
    where m.id = v.id and m.batch_id = ${batchId} and m.state = 'queued'`);
}

/** The request body, rebuilt identically on every attempt (see the top of this file). */
export async function buildPayload(ctx: Ctx, opts: Pick<BatchOptions, 'from' | 'alertMail'>, batch: BatchRow, messages: MessageRow[]): Promise<OutgoingEmail[]> {
  if (!batch.fanoutId) return messages.map((m) => toOutgoing(opts.from, m.content as ComposedEmail));
  const [fanout] = await ctx.db.select({ content: emailFanouts.content }).from(emailFanouts).where(eq(emailFanouts.id, batch.fanoutId));
  if (!fanout?.content) throw new Error(`fan-out ${batch.fanoutId} has no content`);
  const links = await getLinkSigner(ctx);
  return messages.map((m) =>
    toOutgoing(opts.from, opts.alertMail.compose(fanout.content!, { subscriberId: m.subscriberId!, email: m.email, locale: m.locale }, links)),
  );
}

function toOutgoing(from: string, email: ComposedEmail): OutgoingEmail {
  return { from, to: email.to, subject: email.subject, html: email.html, text: email.text, headers: email.headers };
}

/** `<batch id>.<sha256 of the payload>`: a changed payload can never reuse a key the provider has seen. */
export function batchIdempotencyKey(batchId: string, emails: OutgoingEmail[]): string {
  return `${batchId}.${createHash('sha256').update(JSON.stringify(emails)).digest('hex')}`;
}
