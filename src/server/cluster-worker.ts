/**
 * The worker side of WEB_CONCURRENCY (the primary is src/server/cluster-primary.ts); nothing in a single
 * process. Imported by src/server/http-server.ts BEFORE the app, because the app's boot (migrations, the first
 * administrator, the demo) takes seconds, and meanwhile the primary may already tell this process to stop.
 */
import cluster from 'node:cluster';
import { isDraining } from '../app/lifecycle.ts';
import { readProcessMetricsWith, registry } from '../app/metrics.ts';
import { isMessage, STOP_WORKER, WORKER_LISTENING } from './cluster-messages.ts';
import { shareMetricsWithPrimary } from './cluster-metrics.ts';

if (cluster.isWorker) {
  readProcessMetricsWith(shareMetricsWithPrimary(registry));
  process.on('message', (message) => {
    // The stop signal often reached this process directly too (Ctrl-C signals the terminal's whole process
    // group, systemd the unit's every process), and a second signal cuts the drain short (src/app/lifecycle.ts).
    // A signal, not a call: the app's handler is what drains, and a worker still booting has none and just ends.
    if (isMessage(message, STOP_WORKER) && !isDraining()) process.kill(process.pid, 'SIGTERM');
  });
}

/** Called once the HTTP server listens: until then an exit is a failed boot, not a crash (see the primary). */
export function announceListening() {
  if (cluster.isWorker) process.send!({ type: WORKER_LISTENING });
}
