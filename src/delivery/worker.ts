/**
 * The delivery worker loop: claims due outbox rows (see outbox.ts), runs each with the handler registered for
 * its kind, a few at a time, and records the answer. It polls (every `pollMs`) and can be woken at once.
 * Any number of workers, in one process or many, may run against one database.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type LoopLog, loopLog } from '../app/log.ts';
import type { Ctx } from '../services/context.ts';
import { claimJobs, finishJob, releaseJobs } from './outbox.ts';
import { backoff, handledKinds, type Job, type JobHandler, type JobResult, jobHandlerFor, type OutboxKind } from './registry.ts';

export const WORKER_ACTOR = { kind: 'system', id: 'worker' } as const;

/**
 * Thrown (by tests, at an injected point) to stand for the process dying right there: the worker stops at once,
 * records nothing and releases nothing, exactly like a SIGKILL. Its leases then have to run out.
 */
export class WorkerCrash extends Error {
  constructor(point: string) {
    super(`simulated crash at ${point}`);
    this.name = 'WorkerCrash';
  }
}

export type WorkerOptions = {
  workerId?: string;
  /** How long a claim lasts before another worker may take the row over (default 60 s). */
  leaseMs?: number;
  /** How often to look for due rows when idle (default 500 ms). */
  pollMs?: number;
  /** Jobs run at once by this worker (default 4: sends overlap their network wait). */
  concurrency?: number;
  /** Handlers by kind (default: the registry). */
  handlers?: (kind: OutboxKind) => JobHandler | undefined;
  kinds?: () => OutboxKind[];
  /** Unexpected handler errors are retried with backoff up to this many attempts, then the row is dead. */
  maxAttempts?: number;
  log?: LoopLog;
  /** false: no loop; the caller drives it with `drain()` (tests). */
  autoStart?: boolean;
};

export type Worker = {
  readonly workerId: string;
  /** Runs due jobs until none is due and none is running; resolves with how many were run. */
  drain(): Promise<number>;
  /** Look for work now instead of at the next poll. */
  wake(): void;
  /** Stops claiming, waits for running jobs, and hands claimed rows back (unless `release: false`). */
  stop(opts?: { release?: boolean }): Promise<void>;
  /** Set when a WorkerCrash stopped this worker. */
  readonly crashed: WorkerCrash | null;
};

export type WorkerHost = { ctx(actor?: Ctx['actor']): Ctx };

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function startWorker(host: WorkerHost, opts: WorkerOptions = {}): Worker {
  const workerId = opts.workerId ?? newWorkerId();
  const leaseMs = opts.leaseMs ?? 60_000;
  const pollMs = opts.pollMs ?? 500;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const maxAttempts = opts.maxAttempts ?? 10;
  const handlerFor = opts.handlers ?? jobHandlerFor;
  const kinds = opts.kinds ?? handledKinds;
  const log = opts.log ?? loopLog;

  let stopped = false;
  let crashed: WorkerCrash | null = null;
  const inflight = new Set<Promise<void>>();
  let wakeUp: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  const ctx = () => host.ctx({ ...WORKER_ACTOR });

  const runJob = async (job: Job): Promise<void> => {
    const handler = handlerFor(job.kind);
    let result: JobResult;
    try {
      if (!handler) throw new Error(`no handler for ${job.kind}`);
      result = await handler(ctx(), job);
    } catch (error) {
      if (error instanceof WorkerCrash) {
        crashed ??= error;
        stopped = true;
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      log.error(`worker: ${job.kind} ${job.subjectId} failed (attempt ${job.attempts + 1})`, error);
      result = job.attempts + 1 >= maxAttempts ? { kind: 'dead', error: message } : { kind: 'retry', at: backoff(ctx().now(), job.attempts), error: message };
    }
    if (crashed) return;
    await finishJob(ctx(), job, workerId, result);
  };

  const start = (job: Job) => {
    const p: Promise<void> = runJob(job)
      .catch((error: unknown) => log.error(`worker: could not record ${job.kind} ${job.subjectId}`, error))
      .finally(() => {
        inflight.delete(p);
        wakeUp?.();
      });
    inflight.add(p);
  };

  /** One round: fill free slots with due jobs; returns how many were claimed. */
  const fill = async (): Promise<number> => {
    const free = concurrency - inflight.size;
    if (stopped || free <= 0) return 0;
    const jobs = await claimJobs(ctx(), { workerId, kinds: kinds(), leaseMs, limit: free });
    for (const job of jobs) start(job);
    return jobs.length;
  };

  const waitForSignal = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  const run = async () => {
    while (!stopped) {
      try {
        const claimed = await fill();
        if (stopped) break;
        // Nothing new: sleep until a job finishes (a slot frees up), a wake-up, or the next poll.
        if (claimed === 0 || inflight.size >= concurrency) await waitForSignal(pollMs);
      } catch (error) {
        log.error('worker: claiming failed (will retry)', error);
        await waitForSignal(pollMs * 4);
      }
    }
    await Promise.allSettled([...inflight]);
  };

  if (opts.autoStart !== false) loop = run();

  return {
    workerId,
    get crashed() {
      return crashed;
    },
    async drain() {
      let total = 0;
      for (;;) {
        const claimed = await fill();
        total += claimed;
        if (stopped) break;
        if (claimed === 0 && inflight.size === 0) break;
        if (claimed === 0 || inflight.size >= concurrency) await Promise.race([...inflight]);
      }
      await Promise.allSettled([...inflight]);
      if (crashed) throw crashed;
      return total;
    },
    wake() {
      wakeUp?.();
    },
    async stop({ release = true } = {}) {
      stopped = true;
      wakeUp?.();
      await loop;
      await Promise.allSettled([...inflight]);
      if (release && !crashed) await releaseJobs(ctx(), workerId);
    },
  };
}
