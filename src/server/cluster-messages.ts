/**
 * What the cluster primary (src/server/cluster-primary.ts) and its workers (src/server/cluster-worker.ts) say to
 * each other over node:cluster's IPC channel, besides the metrics exchange (src/server/cluster-metrics.ts).
 */

/** worker → primary: its server listens, so the server as a whole has booted. */
export const WORKER_LISTENING = 'vedetta:listening';
/** primary → worker: drain and exit as on SIGTERM. */
export const STOP_WORKER = 'vedetta:stop';

/**
 * Set in the environment of the worker the primary forks first, alone: no sibling holds the port yet, so that one
 * checks that nothing else does (src/server/http-server.ts). The workers forked after it join its sockets.
 */
export const CLAIMS_PORT_ENV = 'VEDETTA_CLAIMS_PORT';

export function isMessage(value: unknown, type: string): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;
}
