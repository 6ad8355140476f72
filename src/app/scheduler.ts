/**
 * The background clock of one instance: starts and completes maintenance windows on time, declares services
 * down when their heartbeats stop, and prunes expired rows (sessions, keys, and what src/services/retention.ts
 * keeps only for a while). Every job is idempotent and claims its rows with FOR UPDATE SKIP LOCKED, so any number
 * of instances may run it at once. A failing job is logged, never thrown: the next tick tries again. The timer is
 * unref'd (it never keeps the process alive) and ticks never overlap.
 */
import { type LoopLog, loopLog } from './log.ts';
import type { Ctx } from '../services/context.ts';
import { expireHeartbeats } from '../services/heartbeats.ts';
import { pruneIdempotencyKeys } from '../services/idempotency.ts';
import { pruneLoginAttempts, pruneSessions } from '../services/auth.ts';
import { runScheduledTransitions } from '../services/maintenance.ts';
import { pruneExpiredRecords } from '../services/retention.ts';

export const DEFAULT_SCHEDULER_INTERVAL_MS = 5_000;
/** Pruning is cheap but pointless every few seconds. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

export type SchedulerTick = {
  started: string[];
  completed: string[];
  expired: string[];
  errors: number;
};

export type Scheduler = {
  /** Runs one tick now (also what the timer calls); resolves when it is done. */
  runOnce(): Promise<SchedulerTick>;
  /** Stops the timer and waits for a running tick to finish. */
  stop(): Promise<void>;
};

/** Anything that hands out service contexts: the runtime, or a test's stand-in. */
export type SchedulerHost = { ctx(actor?: Ctx['actor']): Ctx };

export const SCHEDULER_ACTOR = { kind: 'system', id: 'scheduler' } as const;

export function startScheduler(
  runtime: SchedulerHost,
  opts: { intervalMs?: number; log?: LoopLog; autoStart?: boolean } = {},
): Scheduler {
  const intervalMs = Math.max(100, opts.intervalMs ?? DEFAULT_SCHEDULER_INTERVAL_MS);
  const log = opts.log ?? loopLog;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SchedulerTick> | undefined;
  let stopped = false;
  let lastPrune = Number.NEGATIVE_INFINITY;

  const job = async <T>(name: string, fn: () => Promise<T>, tick: SchedulerTick): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      tick.errors++;
      log.error(`scheduler: ${name} failed (will retry on the next tick)`, error);
      return undefined;
    }
  };

  const tick = async (): Promise<SchedulerTick> => {
    const result: SchedulerTick = { started: [], completed: [], expired: [], errors: 0 };
    const ctx = runtime.ctx({ ...SCHEDULER_ACTOR });
    const transitions = await job('maintenance transitions', () => runScheduledTransitions(ctx), result);
    if (transitions) {
      result.started = transitions.started;
      result.completed = transitions.completed;
      for (const f of transitions.failed) {
        result.errors++;
        log.error(`scheduler: maintenance ${f.id} could not change state`, f.error);
      }
      if (transitions.started.length) log.info(`maintenance started: ${transitions.started.join(', ')}`);
      if (transitions.completed.length) log.info(`maintenance completed: ${transitions.completed.join(', ')}`);
    }
    const heartbeats = await job('heartbeat expiry', () => expireHeartbeats(ctx), result);
    if (heartbeats?.expired.length) {
      result.expired = heartbeats.expired;
      log.info(`heartbeat missing, marked major_outage: ${heartbeats.expired.join(', ')}`);
    }
    const now = ctx.now().getTime();
    if (now - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = now;
      await job('pruning', async () => {
        await pruneIdempotencyKeys(ctx);
        await pruneLoginAttempts(ctx);
        await pruneSessions(ctx);
        const pruned = Object.entries(await pruneExpiredRecords(ctx)).filter(([, n]) => n > 0);
        if (pruned.length) log.info(`pruned past retention: ${pruned.map(([what, n]) => `${what} ${n}`).join(', ')}`);
      }, result);
    }
    return result;
  };

  const runOnce = (): Promise<SchedulerTick> => {
    // One tick at a time: a slow tick delays the next instead of overlapping it.
    running ??= tick().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce()
        .catch((error: unknown) => log.error('scheduler: tick failed', error))
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  if (opts.autoStart !== false) schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
