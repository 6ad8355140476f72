/**
 * WEB_CONCURRENCY > 1: this process forks that many HTTP workers with node:cluster and only looks after them.
 * Each worker is the whole server (src/server/http-server.ts: its own database client, its own public cache
 * kept fresh by LISTEN/NOTIFY), exactly as separate instances on one PostgreSQL are; this process never loads
 * the app.
 *
 * - Boot: while no worker listens, one boots alone, and the others are forked once it listens. On an empty
 *   database it runs the migrations and creates the first administrator or the demo, which two processes
 *   starting together would race on (the loser's boot fails); and it checks that the port is free before its
 *   siblings share it (src/server/http-server.ts). If a worker exits before any has listened, the server cannot
 *   boot (a configuration or database error, logged by the worker): everything stops, exit 1, rather than
 *   forking it again forever.
 * - A worker that dies later is forked again, after a delay that doubles while the replacements keep dying,
 *   so a crash loop does not spin; the other workers serve meanwhile. If they all died, the first replacement
 *   boots alone again, as at boot.
 * - SIGTERM/SIGINT: every worker is told to stop and drains as a single process does (src/app/lifecycle.ts);
 *   this process exits 0 once all are gone, or 1 if one failed to stop or had to be killed at the deadline.
 *   A second signal kills the workers at once.
 */
import cluster, { type Worker } from 'node:cluster';
import { createLogger, type LogLevel } from '../app/log.ts';
import { CLAIMS_PORT_ENV, isMessage, STOP_WORKER, WORKER_LISTENING } from './cluster-messages.ts';
import { sumWorkerMetricsOnRequest } from './cluster-metrics.ts';

const RESTART_FIRST_DELAY_MS = 1_000;
const RESTART_MAX_DELAY_MS = 30_000;
/** A worker that lived this long did not die of a crash loop: the next replacement comes after the first delay again. */
const STABLE_AFTER_MS = 60_000;
/** After its drain deadline a worker still stops its scheduler and delivery worker and closes the database. */
const STOP_MARGIN_MS = 15_000;

export function runPrimary(opts: { workers: number; graceMs: number; logLevel?: LogLevel }) {
  const log = createLogger({ level: opts.logLevel });
  const alive = new Map<number, { worker: Worker; forkedAt: number; listening: boolean }>();
  const restarts = new Set<NodeJS.Timeout>();
  let booted = false;
  /** Forks waiting for the worker booting alone to listen. */
  let held = 0;
  let restartDelay = RESTART_FIRST_DELAY_MS;
  let stopping: { code: number } | undefined;

  const fields = (worker: Worker) => ({ worker: worker.id, pid: worker.process.pid });

  const listeningWorkers = () => [...alive.values()].filter((entry) => entry.listening).map((entry) => entry.worker);

  const fork = () => {
    const worker = cluster.fork(listeningWorkers().length > 0 ? {} : { [CLAIMS_PORT_ENV]: '1' });
    const entry = { worker, forkedAt: Date.now(), listening: false };
    alive.set(worker.id, entry);
    log.info('worker started', fields(worker));
    // Unheard, an error of the worker's process (it could not be forked, or signalled) would end this one.
    worker.on('error', (error) => log.error('worker process error', { ...fields(worker), error }));
    worker.on('message', (message) => {
      if (!isMessage(message, WORKER_LISTENING)) return;
      entry.listening = true;
      booted = true;
      if (stopping) return;
      for (; held > 0; held--) fork();
    });
  };

  /** Forks now, unless a worker is booting alone (none listens yet): then once it listens. */
  const forkOrHold = () => {
    if (alive.size > 0 && listeningWorkers().length === 0) held++;
    else fork();
  };

  const stop = (code: number) => {
    stopping = { code };
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    if (alive.size === 0) return finish();
    for (const { worker } of alive.values()) {
      worker.send({ type: STOP_WORKER }, (error: Error | null) => {
        if (error) worker.process.kill('SIGTERM');
      });
    }
    setTimeout(() => {
      for (const { worker } of alive.values()) {
        log.error('worker did not stop in time: killed', { ...fields(worker), deadlineMs: opts.graceMs + STOP_MARGIN_MS });
        worker.process.kill('SIGKILL');
      }
    }, opts.graceMs + STOP_MARGIN_MS).unref();
  };

  const finish = (): never => {
    log.info('all workers exited', { exitCode: stopping!.code });
    process.exit(stopping!.code);
  };

  cluster.on('exit', (worker, code, signal) => {
    const forkedAt = alive.get(worker.id)?.forkedAt ?? Date.now();
    alive.delete(worker.id);
    const exit = { ...fields(worker), code, signal };
    if (stopping) {
      // A worker still booting has no stop handler yet: the forwarded SIGTERM (or the terminal's SIGINT) ends it.
      const clean = code === 0 || signal === 'SIGTERM' || signal === 'SIGINT';
      if (clean) log.info('worker stopped', exit);
      else {
        log.error('worker failed to stop cleanly', exit);
        stopping.code = 1;
      }
      if (alive.size === 0) finish();
    } else if (!booted) {
      log.error('a worker exited before the server ever listened (see its error above): stopping', exit);
      stop(1);
    } else {
      if (Date.now() - forkedAt > STABLE_AFTER_MS) restartDelay = RESTART_FIRST_DELAY_MS;
      log.error('worker exited: forking a replacement', { ...exit, inMs: restartDelay });
      const timer = setTimeout(() => {
        restarts.delete(timer);
        forkOrHold();
      }, restartDelay);
      restarts.add(timer);
      restartDelay = Math.min(restartDelay * 2, RESTART_MAX_DELAY_MS);
    }
  });

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn('second stop signal: killing the workers', { signal });
      for (const { worker } of alive.values()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    log.info('stopping the workers', { signal, workers: alive.size, graceMs: opts.graceMs });
    stop(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  sumWorkerMetricsOnRequest(listeningWorkers);
  held = opts.workers - 1;
  fork();
}
