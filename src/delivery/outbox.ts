/**
 * Claiming outbox rows with a lease. A claim is one short transaction: pick due rows with
 * FOR UPDATE SKIP LOCKED (several workers on one PostgreSQL take disjoint rows), stamp them with
 * `locked_until` / `locked_by`, commit. The work itself then runs with no transaction open (PGlite has one
 * connection, and a network call must never hold a lock). A worker that dies simply lets its lease run out;
 * the row becomes due again and another worker repeats the (idempotent) work.
 */
import { and, asc, eq, inArray, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import { outbox } from '../../db/schema/index.ts';
import { type Ctx, inTransaction } from '../services/context.ts';
import type { Job, JobResult, OutboxKind } from './registry.ts';

export type ClaimOptions = { workerId: string; kinds: OutboxKind[]; leaseMs: number; limit: number };

export async function claimJobs(ctx: Ctx, opts: ClaimOptions): Promise<Job[]> {
  if (!opts.kinds.length || opts.limit <= 0) return [];
  const now = ctx.now();
  return inTransaction(ctx, async (tx) => {
    const due = await tx.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.state, 'pending'),
          inArray(outbox.kind, opts.kinds),
          lte(outbox.runAt, now),
          or(isNull(outbox.lockedUntil), lt(outbox.lockedUntil, now)),
        ),
      )
      .orderBy(asc(outbox.runAt), asc(outbox.id))
      .limit(opts.limit)
      .for('update', { skipLocked: true });
    if (!due.length) return [];
    const claimed = await tx.db
      .update(outbox)
      .set({ lockedUntil: new Date(now.getTime() + opts.leaseMs), lockedBy: opts.workerId })
      .where(inArray(outbox.id, due.map((r) => r.id)))
      .returning({ id: outbox.id, kind: outbox.kind, subjectId: outbox.subjectId, attempts: outbox.attempts });
    return claimed;
  });
}

/**
 * Records a handler's answer. Guarded by `locked_by`: a worker whose lease ran out and was taken over must not
 * overwrite the newer claim's outcome (its work was idempotent, so nothing is lost by dropping its answer).
 */
export async function finishJob(ctx: Ctx, job: Job, workerId: string, result: JobResult): Promise<void> {
  const now = ctx.now();
  const mine = and(eq(outbox.id, job.id), eq(outbox.lockedBy, workerId), eq(outbox.state, 'pending'));
  switch (result.kind) {
    case 'done':
      await ctx.db.update(outbox).set({ state: 'done', doneAt: now, lockedUntil: null, lastError: null }).where(mine);
      return;
    case 'continue':
      await ctx.db.update(outbox).set({ runAt: now, lockedUntil: null }).where(mine);
      return;
    case 'retry':
      await ctx.db
        .update(outbox)
        .set({
          runAt: result.at,
          lockedUntil: null,
          lastError: result.error.slice(0, 2000),
          attempts: result.countAttempt === false ? job.attempts : job.attempts + 1,
        })
        .where(mine);
      return;
    case 'dead':
      await ctx.db
        .update(outbox)
        .set({ state: 'dead', doneAt: now, lockedUntil: null, lastError: result.error.slice(0, 2000), attempts: job.attempts + 1 })
        .where(mine);
      return;
  }
}

/** Inside a handler's own transaction: the row is done in the same commit as the work it stands for. */
export async function markJobDone(tx: Ctx, job: Job): Promise<void> {
  await tx.db.update(outbox).set({ state: 'done', doneAt: tx.now(), lockedUntil: null }).where(eq(outbox.id, job.id));
}

/** Inside a handler's own transaction: give up on the row in the same commit as recording the failure. */
export async function markJobDead(tx: Ctx, job: Job, error: string): Promise<void> {
  await tx.db
    .update(outbox)
    .set({ state: 'dead', doneAt: tx.now(), lockedUntil: null, lastError: error.slice(0, 2000), attempts: job.attempts + 1 })
    .where(eq(outbox.id, job.id));
}

/** Extends a running job's lease (long fan-outs), only while this worker still holds it. */
export async function renewLease(ctx: Ctx, job: Job, workerId: string, leaseMs: number): Promise<void> {
  await ctx.db
    .update(outbox)
    .set({ lockedUntil: new Date(ctx.now().getTime() + leaseMs) })
    .where(and(eq(outbox.id, job.id), eq(outbox.lockedBy, workerId)));
}

/** On a clean shutdown: hand this worker's claimed rows back at once instead of waiting for the lease. */
export async function releaseJobs(ctx: Ctx, workerId: string): Promise<number> {
  const rows = await ctx.db
    .update(outbox)
    .set({ lockedUntil: null })
    .where(and(eq(outbox.lockedBy, workerId), eq(outbox.state, 'pending'), sql`${outbox.lockedUntil} is not null`))
    .returning({ id: outbox.id });
  return rows.length;
}

/** Enqueues work in the caller's transaction; the (kind, subject) pair is unique, so a repeat is a no-op. */
export async function enqueueJob(tx: Ctx, kind: OutboxKind, subjectId: string, runAt?: Date): Promise<void> {
  await tx.db
    .insert(outbox)
    .values({ kind, subjectId, runAt: runAt ?? tx.now() })
    .onConflictDoNothing({ target: [outbox.kind, outbox.subjectId] });
}

/**
 * Puts finished (done or dead) work back in the queue, due now, as new; work still pending is left as it is. A
 * thousand subjects per statement (PostgreSQL takes at most 65,535 parameters in one).
 */
export async function requeueJobs(tx: Ctx, kind: OutboxKind, subjectIds: string[]): Promise<void> {
  const fresh = { state: 'pending' as const, attempts: 0, runAt: tx.now(), lockedUntil: null, lockedBy: null, lastError: null, doneAt: null };
  for (let i = 0; i < subjectIds.length; i += 1_000) {
    await tx.db
      .insert(outbox)
      .values(subjectIds.slice(i, i + 1_000).map((subjectId) => ({ kind, subjectId, ...fresh })))
      .onConflictDoUpdate({ target: [outbox.kind, outbox.subjectId], set: fresh, setWhere: ne(outbox.state, 'pending') });
  }
}

/** Rows of these kinds not yet done or dead (due or not): zero means there is nothing left to deliver. */
export async function pendingJobs(ctx: Ctx, kinds: OutboxKind[]): Promise<number> {
  if (!kinds.length) return 0;
  const [row] = await ctx.db
    .select({ n: sql<number>`count(*)::int` })
    .from(outbox)
    .where(and(eq(outbox.state, 'pending'), inArray(outbox.kind, kinds)));
  return row?.n ?? 0;
}
