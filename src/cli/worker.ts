/**
 * `npm run worker`: a process that only delivers (e-mail and webhooks) and runs the scheduler, with the same
 * configuration as the server. Run several next to servers started with WORKER=off; on one PostgreSQL they
 * share the outbox without doubling work. SIGTERM/SIGINT: finish running sends, hand claimed rows back, exit.
 *
 *   --exit-when-idle   exit once no outbox work is pending (scripts, tests)
 *   --lease-ms N       how long a claim lasts before another worker may take it over (default 60000)
 */
import { parseArgs } from 'node:util';
import { configureLog, log } from '../app/log.ts';
import { startRuntime } from '../app/runtime.ts';
import { loadConfig } from '../config.ts';
import { pendingJobs } from '../delivery/outbox.ts';
import { installDelivery } from '../delivery/setup.ts';
import { handledKinds } from '../delivery/registry.ts';
import { WORKER_ACTOR } from '../delivery/worker.ts';

const { values: args } = parseArgs({
  options: { 'exit-when-idle': { type: 'boolean', default: false }, 'lease-ms': { type: 'string' } },
});
const leaseMs = args['lease-ms'] ? Number(args['lease-ms']) : undefined;
if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && leaseMs >= 1000)) {
  console.error('--lease-ms: a whole number of milliseconds, at least 1000');
  process.exit(2);
}

const config = loadConfig();
configureLog({ level: config.logLevel });
const runtime = await startRuntime(config, { firstAdmin: false, delivery: false });
const delivery = installDelivery(runtime, config, { leaseMs });
log.info('worker started', { workerId: delivery.worker.workerId, database: runtime.database.kind });

let stopping: Promise<void> | undefined;
const shutdown = (code: number) =>
  (stopping ??= (async () => {
    await delivery.stop();
    await runtime.close();
    process.exit(code);
  })());
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

if (args['exit-when-idle']) {
  const timer = setInterval(() => {
    void pendingJobs(runtime.ctx({ ...WORKER_ACTOR }), handledKinds()).then((n) => {
      if (n === 0) {
        clearInterval(timer);
        void shutdown(0);
      }
    });
  }, 500);
}
