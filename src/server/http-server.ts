/**
 * The HTTP server of one process (loaded by src/server/entry.ts: the single process, or each cluster worker).
 * It is part of the bundle Astro builds from the entry, so it shares the bundle's one module graph (one database
 * client, one public cache) with src/fetch.ts.
 *
 * Why a server of our own: the node adapter's standalone server turns every request into a WHATWG Request, runs
 * Astro's pipeline and our Hono app, then streams a WHATWG Response back (on 2 cores: ~2k req/s for a trivial
 * route, against ~8k for a bare node:http server). A reader of a cached page needs none of that. So:
 *   hit  → written here straight from the public cache (bytes, precompressed variants, ETag/304);
 *   miss → the adapter's own handler (static files, then Astro + src/fetch.ts, whose middleware renders once
 *          and stores the result for the next readers);
 *   stale (written since) → one request claims the re-render and takes the miss path; the others get the
 *          previous content here until the new one is stored.
 * PORT and HOST are honoured as by the standalone adapter. Graceful stop (SIGTERM drain) is done by
 * src/app/lifecycle.ts, which finds this server through Node's http diagnostics channel.
 */
// Before the app boots (see there).
import { announceListening } from './cluster-worker.ts';
import './no-autostart.ts';
import cluster from 'node:cluster';
import { type IncomingMessage, Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type ListenOptions, type Server as NetServer } from 'node:net';
import { handler, options } from '@astrojs/node/server.js';
import { logAstroAsJson } from '../app/astro-log.ts';
import { log } from '../app/log.ts';
import { countCacheLookup } from '../app/metrics.ts';
import { cacheKey } from '../http/cache/policy.ts';
import { answer, publicCache } from '../http/cache/store.ts';
import { CLAIMS_PORT_ENV } from './cluster-messages.ts';

function fastPath(req: IncomingMessage, res: ServerResponse): boolean {
  const key = cacheKey(req.method, req.url, req.headers.authorization);
  if (key === null) return false;
  let entry = publicCache.fresh(key);
  let result: 'hit' | 'stale' = 'hit';
  if (!entry) {
    const previous = publicCache.last(key);
    if (!previous) return false;
    const release = publicCache.claimRebuild(key);
    if (release) {
      res.once('close', release);
      return false;
    }
    // One request is re-rendering this page: the others get the previous content meanwhile.
    entry = previous;
    result = 'stale';
  }
  const a = answer(entry, {
    acceptEncoding: req.headers['accept-encoding'],
    ifNoneMatch: req.headers['if-none-match'],
    head: req.method === 'HEAD',
  });
  res.writeHead(a.status, a.headers);
  res.end(a.body ?? undefined);
  countCacheLookup(result);
  return true;
}

/**
 * libuv accepts one connection per turn of the event loop (since 1.45: "unix: don't accept() connections in a
 * loop", libuv PR #3696), and under a flood one turn answers every connection that has a request waiting. Measured
 * with 1,000 keep-alive connections opened at once (wrk, 2 cores): ~30 turns a second, so the last connections of the
 * burst sat in the kernel's accept queue for seconds while the first ones were answered in milliseconds (p99 2-6 s;
 * the kernel counted no dropped SYN and no queue overflow). Each listening socket on the port gets its own accept
 * per turn, so on Linux the server opens several (SO_REUSEPORT: the kernel spreads new connections among them) and
 * hands what they accept to the one HTTP server, which then owns those connections like its own (timeouts, idle
 * closing, the drain). Other systems refuse the option: one socket there. How many: more take a burst in sooner
 * (2 s of wrk at 1,000 connections, 5 alternated rounds: p99 medians of 502 / 158 / 165 / 108 ms with 32 / 128 /
 * 256 / 512 sockets), but then more requests are in flight at once, and the peak memory after such a run was ~8 MB
 * higher with 256 or 512 (medians 224 against 216 MB; bench:read 250 against 245 MB, at the 250 MB target). 32 keeps
 * the peak within the target; the README's Performance section has the figures.
 */
const ACCEPT_SOCKETS = process.platform === 'linux' ? 32 : 1;

class FloodServer extends Server {
  readonly acceptors: NetServer[] = [];

  /** The drain (src/app/lifecycle.ts) closes the server it knows: every listening socket stops with it. */
  override close(callback?: (error?: Error) => void): this {
    for (const acceptor of this.acceptors) acceptor.close();
    return super.close(callback);
  }
}

logAstroAsJson();

const server = new FloodServer((req, res) => {
  if (!fastPath(req, res)) void handler(req, res);
});

const port = process.env.PORT ? Number(process.env.PORT) : (options.port ?? 8080);
const configuredHost = typeof options.host === 'string' ? options.host : options.host ? '0.0.0.0' : 'localhost';
const host = process.env.HOST ?? configuredHost;
// Cluster workers on Linux likewise each open listening sockets of their own on the port (`exclusive`, or
// node:cluster would hand them the primary's) and the kernel spreads new connections among all of them.
// node:cluster's default instead has the primary accept every connection and pass it to a worker over IPC. Measured
// with 2 workers on 2 cores (wrk -t2 -c50, /api/v2/summary.json, gzip, PostgreSQL, 3 interleaved runs): keep-alive
// 29-32k req/s either way (one process: 23-26k); a new connection per request 10.7-12.2k with reusePort against
// 5.1-5.9k round-robin, below one process's 9.4-10.5k: the primary is the bottleneck. Other systems: round-robin.
const shared: Pick<ListenOptions, 'reusePort' | 'exclusive'> = ACCEPT_SOCKETS > 1 ? { reusePort: true, exclusive: true } : {};
// A flood opens connections faster than they are accepted: a deeper accept queue (capped by the kernel's
// net.core.somaxconn) keeps SYNs from being dropped and retried seconds later.
const listenOptions = { port, host, backlog: 4096, ...shared };

function listening(target: NetServer, opts: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    target.once('error', reject);
    target.listen(opts, () => {
      target.off('error', reject);
      resolve();
    });
  });
}

/**
 * SO_REUSEPORT would also let a second Vedetta (anything of the same user's that sets the option) join the port
 * and take half its connections, where a server is expected to fail with EADDRINUSE. A plain socket bound first
 * fails as that. In a cluster the worker booting alone (no sibling listens yet) does it for all; the others join
 * their siblings' sockets. (A second server starting in the same millisecond can still slip in between.)
 */
async function refuseTakenPort(): Promise<void> {
  const claimsPort = cluster.isPrimary || process.env[CLAIMS_PORT_ENV] === '1';
  if (!shared.reusePort || !claimsPort || port === 0) return;
  const probe = createNetServer();
  await listening(probe, { port, host, exclusive: true });
  await new Promise((resolve) => probe.close(resolve));
}

async function listen(): Promise<void> {
  await refuseTakenPort();
  await listening(server, listenOptions);
  // PORT=0 asks for any free port: the others join the one the first socket got.
  const joined = { ...listenOptions, port: (server.address() as AddressInfo).port };
  for (let i = 1; i < ACCEPT_SOCKETS; i++) {
    // The options the HTTP server gives the sockets it accepts itself (half-open for the HTTP parser, no Nagle).
    server.acceptors.push(createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => server.emit('connection', socket)));
  }
  await Promise.all(server.acceptors.map((acceptor) => listening(acceptor, joined)));
  log.info('listening', { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` });
  announceListening();
}

listen().catch((error: unknown) => {
  log.error('cannot listen', { error });
  process.exit(1);
});
