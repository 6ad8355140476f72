import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { log } from './log.ts';

/**
 * Graceful stop for whichever HTTP server runs this process (the Astro node adapter's, or a custom entry's).
 * The server object is not handed to src/fetch.ts, so it is learnt from Node's documented
 * `http.server.request.start` diagnostics channel, which also lets us count the requests in flight at the
 * socket level, fast path included. On SIGTERM: stop listening, close idle keep-alive sockets, let in-flight
 * requests finish (up to a deadline), then stop the background work and close the database.
 */

type RequestStart = { request: IncomingMessage; response: ServerResponse; socket: Socket; server: Server };

const servers = new Set<Server>();
let inFlight = 0;
let draining = false;
let onIdle: (() => void) | null = null;

subscribe('http.server.request.start', (message) => {
  const { response, server } = message as RequestStart;
  servers.add(server);
  inFlight++;
  // 'close' fires once whether the response finished or the client went away, so the count cannot leak.
  response.once('close', () => {
    inFlight--;
    if (inFlight === 0) onIdle?.();
  });
  if (draining) {
    // A request that arrived on a kept-alive socket while draining: answer it, then let the socket go.
    response.shouldKeepAlive = false;
    server.closeIdleConnections();
  }
});

/** True from the stop signal on: /readyz answers 503 so load balancers take this instance out first. */
export function isDraining(): boolean {
  return draining;
}

export function requestsInFlight(): number {
  return inFlight;
}

/**
 * Stops accepting connections and waits for the requests in flight, at most `deadlineMs`; sockets still busy
 * after that are cut. Resolves with how many requests were still running at the deadline (0 = clean drain).
 */
export async function drainHttp(deadlineMs: number): Promise<number> {
  draining = true;
  for (const server of servers) {
    server.close();
    server.closeIdleConnections();
  }
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadlineMs);
      onIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    onIdle = null;
  }
  const left = inFlight;
  for (const server of servers) server.closeAllConnections();
  return left;
}

/**
 * Installs the SIGTERM/SIGINT handler: drain HTTP, then `close` (scheduler, worker releasing its leases, the
 * database: PGlite flushes and gives up its folder lock), then exit 0. A second signal exits at once.
 */
export function installShutdown(close: () => Promise<void>, opts: { graceMs: number }) {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn('second stop signal: exiting without waiting', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('stopping', { signal, inFlight, graceMs: opts.graceMs });
    void (async () => {
      let code = 0;
      try {
        const left = await drainHttp(opts.graceMs);
        if (left > 0) log.warn('requests still running at the stop deadline were cut', { left });
        await close();
        log.info('stopped', { signal });
      } catch (error) {
        log.error('stop failed', { error });
        code = 1;
      }
      process.exit(code);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
