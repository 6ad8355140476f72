/**
 * What the delivery worker knows how to do, and the seams other modules plug into:
 *
 * - `registerJobHandler(kind, handler)`: the worker claims an outbox row of that kind (with a lease, outside any
 *   transaction) and calls `handler(ctx, job)`. The handler must be idempotent: after a crash the same row is
 *   claimed again once its lease has run out. Its answer decides what happens to the row.
 * - `registerDispatchHook(hook)`: called for every event inside the transaction that handles its
 *   `event.dispatch` row, so whatever the hook enqueues (webhook deliveries) commits together with the e-mail
 *   fan-out and exactly once per event.
 *
 * Modules register themselves at import time; `src/delivery/plugins.ts` is where those imports live.
 */
import type { OUTBOX_KINDS } from '../../db/schema/outbox.ts';
import type { Ctx } from '../services/context.ts';
import type { EventRow } from '../services/events.ts';

export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** The claimed outbox row, as a handler sees it. `attempts` counts earlier tries (0 on the first). */
export type Job = { id: string; kind: OutboxKind; subjectId: string; attempts: number };

export type JobResult =
  /** Finished: the row is marked done and never claimed again. */
  | { kind: 'done' }
  /** Not finished but healthy (a long fan-out yielding): due again at once, no attempt counted. */
  | { kind: 'continue' }
  /**
   * Try again at `at` (the lease is cleared and `run_at` moved). `countAttempt: false` for waits that are not
   * failures (the provider's rate limit).
   */
  | { kind: 'retry'; at: Date; error: string; countAttempt?: boolean }
  /** Give up: the row is marked dead with the error, for an operator to look at. */
  | { kind: 'dead'; error: string };

/** `ctx.db` is the database itself (not a transaction): open short transactions with `inTransaction`. */
export type JobHandler = (ctx: Ctx, job: Job) => Promise<JobResult>;

/** Runs inside the event.dispatch transaction: write rows with `tx.db`, never call the network. */
export type DispatchHook = (tx: Ctx, event: EventRow) => Promise<void>;

const handlers = new Map<OutboxKind, JobHandler>();
const dispatchHooks = new Set<DispatchHook>();

export function registerJobHandler(kind: OutboxKind, handler: JobHandler): void {
  handlers.set(kind, handler);
}

export function registerDispatchHook(hook: DispatchHook): void {
  dispatchHooks.add(hook);
}

export function jobHandlerFor(kind: OutboxKind): JobHandler | undefined {
  return handlers.get(kind);
}

/** Kinds the worker may claim: only those with a handler, so a missing module leaves its rows pending. */
export function handledKinds(): OutboxKind[] {
  return [...handlers.keys()];
}

export function registeredDispatchHooks(): DispatchHook[] {
  return [...dispatchHooks];
}

/** A retry time with exponential backoff and jitter: 5 s, 10 s, 20 s … capped at `maxMs` (default 1 h). */
export function backoff(now: Date, attempts: number, maxMs = 3_600_000): Date {
  const base = Math.min(maxMs, 5_000 * 2 ** Math.min(attempts, 20));
  const jitter = base * 0.2 * Math.random();
  return new Date(now.getTime() + base + jitter);
}
