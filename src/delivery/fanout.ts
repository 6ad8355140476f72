/**
 * `email.fanout`: one alert to every confirmed subscriber who chose its services.
 *
 * 1. The content is rendered ONCE (the incident as it was when the fan-out started) and stored on the fan-out,
 *    so every batch, and every retry of a batch, is built from the same bytes.
 * 2. Confirmed subscribers are walked in id order, a chunk per transaction (keyset pagination, never the whole
 *    list in memory). Each chunk becomes batches of up to 100 messages (the recipient is snapshotted: id,
 *    address, language) plus their `email.batch` outbox rows, and the fan-out's `cursor` moves past the chunk
 *    in the SAME transaction. A crash loses at most an uncommitted chunk, which the next run redoes from the
 *    cursor; a committed chunk is never redone. The fan-out row is locked for the chunk, so two workers on one
 *    fan-out take turns instead of both adding batches.
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { emailBatches, emailFanouts, emailMessages, events, subscribers } from '../../db/schema/index.ts';
import { newId } from '../../db/ids.ts';
import { type Ctx, inTransaction } from '../services/context.ts';
import { enqueueJob } from './outbox.ts';
import type { Job, JobHandler } from './registry.ts';
import type { AlertMail } from './mail-port.ts';

export const BATCH_SIZE = 100;

export type FanoutOptions = {
  alertMail: AlertMail;
  /** Subscribers read per transaction, rounded up to whole batches (default 1000 = 10 batches). */
  chunkSize?: number;
  /** A long fan-out yields after this long so the lease stays short (default 10 s). */
  sliceMs?: number;
  /** Test seam: called after each committed chunk (throw WorkerCrash there to stand for a kill). */
  checkpoint?: (point: 'fanout-chunk', job: Job) => void | Promise<void>;
};

export function fanoutHandler(opts: FanoutOptions): JobHandler {
  // Whole batches per chunk, so only the last batch of a fan-out is ever short.
  const chunkSize = Math.max(1, Math.ceil((opts.chunkSize ?? 1000) / BATCH_SIZE)) * BATCH_SIZE;
  const sliceMs = opts.sliceMs ?? 10_000;
  return async (ctx, job) => {
    let [fanout] = await ctx.db.select().from(emailFanouts).where(eq(emailFanouts.id, job.subjectId));
    if (!fanout) return { kind: 'dead', error: `fan-out ${job.subjectId} not found` };
    if (fanout.state !== 'expanding') return { kind: 'done' };
    if (!fanout.content) {
      const content = await renderContent(ctx, opts.alertMail, fanout);
      if (!content) {
        await ctx.db.update(emailFanouts).set({ state: 'done', expandedAt: ctx.now() }).where(eq(emailFanouts.id, fanout.id));
        return { kind: 'done' };
      }
      // First writer wins: a racing worker's rendering is dropped, so all batches share one content.
      await ctx.db
        .update(emailFanouts)
        .set({ content })
        .where(and(eq(emailFanouts.id, fanout.id), sql`${emailFanouts.content} is null`));
      [fanout] = await ctx.db.select().from(emailFanouts).where(eq(emailFanouts.id, job.subjectId));
    }
    const started = Date.now();
    while (await expandChunk(ctx, fanout!.id, chunkSize)) {
      await opts.checkpoint?.('fanout-chunk', job);
      if (Date.now() - started > sliceMs) return { kind: 'continue' };
    }
    return { kind: 'done' };
  };
}

async function renderContent(ctx: Ctx, alertMail: AlertMail, fanout: typeof emailFanouts.$inferSelect) {
  if (fanout.eventId) {
    const [event] = await ctx.db.select().from(events).where(eq(events.id, fanout.eventId));
    return event ? alertMail.render(ctx, { event }) : null;
  }
  if (fanout.maintenanceId) return alertMail.render(ctx, { reminderFor: fanout.maintenanceId });
  return null;
}

/**
 * Who receives an alert about `serviceKeys`: everyone following all services, plus those who chose one of
 * them. An alert naming no service is about the whole site and goes to every confirmed subscriber.
 */
export function audienceFilter(serviceKeys: string[]) {
  const confirmed = eq(subscribers.state, 'confirmed');
  if (!serviceKeys.length) return confirmed;
  const keys = sql`array[${sql.join(
    serviceKeys.map((k) => sql`${k}`),
    sql`, `,
  )}]::text[]`;
  return and(confirmed, sql`(${subscribers.allServices} or ${subscribers.serviceKeys} ?| ${keys})`);
}

/** One transaction: the next chunk of recipients into batches, and the cursor past them. False when finished. */
async function expandChunk(ctx: Ctx, fanoutId: string, chunkSize: number): Promise<boolean> {
  return inTransaction(ctx, async (tx) => {
    const [fanout] = await tx.db.select().from(emailFanouts).where(eq(emailFanouts.id, fanoutId)).for('update');
    if (!fanout || fanout.state !== 'expanding') return false;
    const recipients = await tx.db
      .select({ id: subscribers.id, email: subscribers.email, locale: subscribers.locale })
      .from(subscribers)
      .where(and(audienceFilter(fanout.serviceKeys), fanout.cursor ? gt(subscribers.id, fanout.cursor) : undefined))
      .orderBy(asc(subscribers.id))
      .limit(chunkSize);
    const now = tx.now();
    if (!recipients.length) {
      await tx.db.update(emailFanouts).set({ state: 'queued', expandedAt: now }).where(eq(emailFanouts.id, fanoutId));
      return false;
    }
    const [{ next }] = (await tx.db
      .select({ next: sql<number>`coalesce(max(${emailBatches.seq}) + 1, 0)::int` })
      .from(emailBatches)
      .where(eq(emailBatches.fanoutId, fanoutId))) as [{ next: number }];
    for (let i = 0, seq = next; i < recipients.length; i += BATCH_SIZE, seq++) {
      const group = recipients.slice(i, i + BATCH_SIZE);
      const batchId = newId();
      await tx.db.insert(emailBatches).values({ id: batchId, fanoutId, seq, createdAt: now });
      await tx.db.insert(emailMessages).values(
        group.map((r, position) => ({
          kind: 'alert' as const,
          fanoutId,
          batchId,
          position,
          subscriberId: r.id,
          email: r.email,
          locale: r.locale,
          createdAt: now,
          updatedAt: now,
        })),
      );
      await enqueueJob(tx, 'email.batch', batchId);
    }
    await tx.db
      .update(emailFanouts)
      .set({ cursor: recipients.at(-1)!.id, recipients: sql`${emailFanouts.recipients} + ${recipients.length}` })
      .where(eq(emailFanouts.id, fanoutId));
    return true;
  });
}
