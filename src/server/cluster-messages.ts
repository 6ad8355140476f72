/**
 * What the cluster primary (src/server/cluster-primary.ts) and its workers (src/server/cluster-worker.ts) say to
 * each other over node:cluster's IPC channel, besides the metrics exchange (src/server/cluster-metrics.ts).
 */

/** worker → primary: its server listens, so the server as a whole has booted. */
export const WORKER_LISTENING = 'vedetta:listening';
/** primary → worker: drain and exit as on SIGTERM. */
export const STOP_WORKER = 'vedetta:stop';

/**
 * Set in the environment of a worker the primary forks while no other listens (at boot, or after all died): it
 * boots alone, no sibling holds the port, so it checks that nothing else does (src/server/http-server.ts). The
 * workers forked once it listens join its sockets.
 */
export const CLAIMS_PORT_ENV = 'VEDETTA_CLAIMS_PORT';

export function isMessage(value: unknown, type: string): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;
}
