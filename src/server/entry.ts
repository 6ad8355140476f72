/**
 * The production server (`node dist/server/entry.mjs`): Astro builds this file as the server entry (see the
 * adapter wrapper in astro.config.mjs). It only decides what this process is, BEFORE the app is loaded:
 *   - one process (WEB_CONCURRENCY unset or 1), or a cluster worker → src/server/http-server.ts: the app and
 *     its HTTP server;
 *   - the cluster primary (WEB_CONCURRENCY > 1) → src/server/cluster-primary.ts, which forks the workers and
 *     never loads the app: a database client, a delivery worker and a public cache of its own would be waste.
 * Everything is loaded with import(), so the primary's chunks hold neither Astro nor the app, and nothing but
 * the Node.js version check and memory-flags runs before its restart. Node's own warnings are log lines in both.
 */
// First: an older Node.js is refused with a clear message (see there), before anything else runs on it.
import './node-version.ts';
// Then: may restart this process with the flags that bound its memory (see there). The cluster primary
// restarts before it forks; its workers inherit the flags and do not restart again.
import './memory-flags.ts';
import cluster from 'node:cluster';
import { logProcessWarnings } from '../app/log.ts';

logProcessWarnings();

const { loadConfig } = await import('../config.ts');
// Here, so that a wrong value stops the cluster primary before it forks anything.
const config = loadConfig();
const workers = config.webConcurrency ?? 1;

if (workers > 1 && cluster.isPrimary) {
  const { runPrimary } = await import('./cluster-primary.ts');
  runPrimary({ workers, graceMs: config.shutdownGraceMs ?? 10_000, logLevel: config.logLevel });
} else {
  await import('./http-server.ts');
}
