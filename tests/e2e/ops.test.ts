/**
 * Operations against the BUILT server, as an orchestrator sees it: probes, the token-protected metrics, JSON
 * log lines carrying the request id, and a graceful stop on SIGTERM that lets a request in flight finish,
 * refuses new connections, closes the database (PGlite gives up its folder lock) and exits 0.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { startServer, useServer } from '../support/server.ts';
import { logLines } from '../support/logs.ts';
import { answerText, exitOfServer, listeningSockets, portRefusals, until as pollUntil } from './ops-support.ts';

const METRICS_TOKEN = 'e2e-metrics-token-0123456789abcdef';

// The shared poller (tests/e2e/ops-support.ts) with this file's 20 s deadline.
const until = <T>(what: string, check: () => Promise<T | undefined>) => pollUntil(what, check, 20_000);

/** Opens a new TCP connection and closes it at once: whether anything accepted it. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('probes, metrics and logs', () => {
  const server = useServer({ VEDETTA_DEMO: 'off', METRICS_TOKEN });

  // The server shares its port among several sockets of its own (SO_REUSEPORT, src/server/http-server.ts), an
  // option that would let a second server join it: it must fail as any server does on a taken port.
  it('refuses a second server on its port with EADDRINUSE, and keeps all its listening sockets', { timeout: 120_000 }, async () => {
    const before = listeningSockets(server.port);
    if (before !== null) expect(before).toBeGreaterThan(1);
    const second = await exitOfServer({ HOST: '127.0.0.1', PORT: String(server.port), VEDETTA_DEMO: 'off', DATABASE_URL: '' });
    expect(second.code, second.output).toBe(1);
    expect(portRefusals(second.output), second.output).toBe(1);
    expect(listeningSockets(server.port)).toBe(before);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers /healthz and /readyz with no-store', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.status).toBe('ready');
    expect(body.migrations.applied).toBe(body.migrations.expected);
  });

  it('serves /metrics only with the token, in a format Prometheus parses, counting the requests it saw', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    await (await fetch(`${server.url}/`)).text();
    const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const families = parsePrometheus(text);
    const requests = families.find((f) => f.name === 'vedetta_http_requests_total');
    // The home page is labelled with Astro's route pattern.
    const home = requests?.metrics.find((m) => m.labels?.route === '/' && m.labels?.method === 'GET');
    expect(Number(home?.value)).toBeGreaterThanOrEqual(1);
    expect(families.find((f) => f.name === 'vedetta_outbox_depth')?.metrics.length).toBe(4);
  });

  it('runs with the settings that bound its memory, Liftoff-only WebAssembly on the embedded database only', () => {
    // src/server/memory-flags.ts re-executes the process (same pid) with them before anything else starts.
    const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--max-semi-space-size=8');
    expect(argv).toContain('--heap-growing-percent=50');
    expect(argv.includes('--liftoff-only')).toBe(server.env.DATABASE_URL === undefined);
    const environ = readFileSync(`/proc/${server.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');
  });

  it('writes one JSON log line per request with the id it echoed', async () => {
    const res = await fetch(`${server.url}/api/v1/incidents`, { headers: { 'X-Request-Id': 'e2e-log-check-1' } });
    expect(res.headers.get('x-request-id')).toBe('e2e-log-check-1');
    await res.text();
    const line = await until('the log line', async () => logLines(server.logs()).find((l) => l.requestId === 'e2e-log-check-1'));
    expect(line).toMatchObject({ level: 'info', msg: 'request', method: 'GET', route: '/api/v1/incidents', status: 401 });
  });

  // Last in this group, so that it reads everything the server wrote for the tests above: its boot, the second
  // server refused, pages, the API, the metrics. Astro's own messages come through src/app/astro-log.ts.
  it('writes nothing but JSON log lines, Astro\'s own included, and no warning about features it uses', () => {
    const lines = logLines(server.logs());
    expect(lines.find((l) => l.msg === 'listening')).toMatchObject({ level: 'info', url: server.url });
    // No ADMIN_PASSWORD: the generated one is in its own field, at warn so that LOG_LEVEL=warn still shows it.
    const firstRun = lines.find((l) => l.msg.startsWith('first run:'));
    expect(firstRun).toMatchObject({ level: 'warn', email: expect.any(String), password: expect.stringMatching(/^\S{16,}$/) });
    // Nothing else above info: Astro checks the features src/fetch.ts used for the first request only, and counts
    // `actions` as set in a project without any; its warnings about them are not passed on.
    expect(lines.filter((l) => l.level !== 'info' && l !== firstRun)).toEqual([]);
  });
});

// The machines this runs on ship an older Node.js than the server needs (package.json pins its own for npm scripts).
const OLDER_NODE = '/usr/bin/node';
const olderNode = existsSync(OLDER_NODE) && Number(/^v(\d+)/.exec(execFileSync(OLDER_NODE, ['--version'], { encoding: 'utf8' }))?.[1]) < 24;

describe.runIf(olderNode)(`started with the machine's older Node.js (${OLDER_NODE})`, () => {
  it('refuses to start, naming the Node.js it needs, instead of failing further on', { timeout: 60_000 }, async () => {
    const refused = await exitOfServer({ HOST: '127.0.0.1', PORT: '0', VEDETTA_DEMO: 'off', DATABASE_URL: '' }, 30_000, OLDER_NODE);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.output).toMatch(/needs Node\.js >=24.*this is v\d+/);
  });
});

describe('SIGTERM', () => {
  // Boots its own server (a new PGlite folder takes seconds on a busy machine), hence the longer timeout.
  it('finishes the request in flight, refuses new connections, releases the PGlite folder and exits 0', { timeout: 240_000 }, async () => {
    const server = await startServer({ VEDETTA_DEMO: 'off', METRICS_TOKEN, SHUTDOWN_GRACE_MS: '20000' });
    try {
      const inFlight = async () => {
        const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
        const family = parsePrometheus(await res.text()).find((f) => f.name === 'vedetta_http_requests_in_flight');
        return Number(family?.metrics[0]?.value);
      };
      // A sign-in form whose body arrives in two parts: the page waits for the whole form, so the request is in
      // flight for as long as the test holds the second part back.
      const body = 'email=someone%40example.com&password=not-the-password&_nonce=x';
      const half = Math.floor(body.length / 2);
      let req!: ClientRequest;
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        req = request(
          `${server.url}/admin/sign-in`,
          {
            method: 'POST',
            headers: {
              'Content-Type': 'application/x-www-form-urlencoded',
              'Content-Length': String(Buffer.byteLength(body)),
              Origin: server.url,
            },
          },
          (res) => {
            answerText(res).then(resolve, reject);
          },
        );
        req.on('error', reject);
      });
      // Awaited further down; a failure before that stops the server, and the cut request must not surface as an
      // unhandled rejection on top of the failure.
      answer.catch(() => undefined);
      req.write(body.slice(0, half));
      const port = server.port;
      // Several listening sockets share the port (src/server/http-server.ts), so a burst of new connections is
      // accepted several at a time per turn of the event loop.
      const sockets = listeningSockets(port);
      if (sockets !== null) expect(sockets).toBeGreaterThan(1);
      // The scrape itself is one request in flight; the held sign-in is the second.
      await until('the sign-in request to be in flight', async () => ((await inFlight()) >= 2 ? true : undefined));

      process.kill(server.pid, 'SIGTERM');
      // New connections are refused once the server stopped listening, while the held request is still open. Polled
      // on the sockets themselves: one failed request could also be a stalled or reset connection on a busy machine.
      // Well within the 20 s grace, after which the process would end and close them anyway.
      const closed = async () => ((listeningSockets(port) ?? 0) === 0 && !(await connects(port)) ? true : undefined);
      await pollUntil('every listening socket to close', closed, 10_000);
      // All of them: the kernel spreads new connections among the sockets, so 20 in a row would reach one left open.
      const refused = await Promise.all(Array.from({ length: 20 }, () => connects(port)));
      expect(refused.filter(Boolean)).toEqual([]);
      req.end(body.slice(half));
      const done = await answer;
      expect(done.status).toBeGreaterThanOrEqual(200);
      expect(done.status).toBeLessThan(500);
      expect(done.text).toContain('<html');

      expect(await server.exited).toBe(0);
      expect(existsSync(join(server.dataDir, 'vedetta.lock'))).toBe(false);
      expect(logLines(server.logs()).map((l) => l.msg)).toEqual(expect.arrayContaining(['stopping', 'stopped']));
    } finally {
      await server.stop();
    }
  });
});
