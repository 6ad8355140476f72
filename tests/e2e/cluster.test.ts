/**
 * WEB_CONCURRENCY: one server, several HTTP worker processes (src/server/cluster-primary.ts). The built server
 * with WEB_CONCURRENCY=2 on a fresh PostgreSQL database: both workers answer, /metrics answered by either sums
 * the two, a write through one shows on every worker, a crashed worker is replaced, a second clustered server on
 * the same port is refused, and SIGTERM stops every process with exit code 0.
 *
 * Which worker answered is read from /proc (the primary's children and the sockets each one holds), so the
 * server exposes nothing new for the test. Several workers need PostgreSQL (PGlite is one process per data
 * folder): those tests run only in the PostgreSQL pass (TEST_DATABASE_URL set), like tests/e2e/scale.test.ts.
 * The refusals at boot run in both passes.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { logLines } from '../support/logs.ts';
import { testDatabaseUrl } from '../support/pg.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { answerText, createTokenWithCli, exitOfServer, listeningSockets, portRefusals, tcpSockets, until } from './ops-support.ts';

const METRICS_TOKEN = 'e2e-metrics-token-0123456789abcdef';

describe('WEB_CONCURRENCY is refused at boot when it cannot work', () => {
  it('refuses a value that is not a whole number of processes, naming the variable', () => {
    for (const value of ['abc', '0', '1.5']) {
      expect(() => loadConfig({ WEB_CONCURRENCY: value, DATABASE_URL: 'postgres://u@localhost/db' }), value).toThrow(/WEB_CONCURRENCY/);
    }
    expect(loadConfig({}).webConcurrency).toBe(1);
    expect(loadConfig({ WEB_CONCURRENCY: '3', DATABASE_URL: 'postgres://u@localhost/db' }).webConcurrency).toBe(3);
  });

  it('refuses more than one process on the embedded PGlite, before forking anything', async () => {
    const boot = startServer({ WEB_CONCURRENCY: '2', DATABASE_URL: '' });
    await expect(boot).rejects.toThrow(/exited \(code 1\)[\s\S]*WEB_CONCURRENCY: .*DATABASE_URL/);
  });
});

describe.runIf(testDatabaseUrl())('WEB_CONCURRENCY=2 on PostgreSQL (needs TEST_DATABASE_URL: PGlite cannot be shared by two processes)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ WEB_CONCURRENCY: '2', VEDETTA_DEMO: 'off', METRICS_TOKEN, ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'a-long-enough-password' });
    // The second worker is forked once the first listens: wait until both answer.
    await until('both workers to answer', async () => ((await answeringWorkers(server, 20)).size === 2 ? true : undefined), 120_000, 200);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs a primary with two workers, and both answer requests', async () => {
    const workers = childrenOf(server.pid);
    expect(workers, server.logs()).toHaveLength(2);
    const answering = await answeringWorkers(server, 20);
    expect([...answering.keys()].sort()).toEqual([...workers].sort());
    expect([...answering.values()].reduce((a, b) => a + b, 0)).toBe(20);
  });

  it('answers /metrics from either worker with the sum over both', async () => {
    const healthz = (text: string) =>
      Number(
        parsePrometheus(text)
          .find((f) => f.name === 'vedetta_http_requests_total')
          ?.metrics.find((m) => m.labels?.route === '/healthz' && m.labels?.method === 'GET' && m.labels?.status === '200')?.value ?? 0,
      );
    const scrape = async () => {
      const res = await get(server, '/metrics', { Authorization: `Bearer ${METRICS_TOKEN}` });
      expect(res.status, res.text).toBe(200);
      return res.text;
    };
    const before = healthz(await scrape());
    const K = 30;
    // Each on a new connection, so both workers take some (checked above: connections go to both).
    for (let i = 0; i < K; i++) expect((await get(server, '/healthz')).status).toBe(200);
    // Several scrapes, each on a new connection: whichever worker answers reports the same sum.
    for (let i = 0; i < 4; i++) {
      const text = await scrape();
      expect(healthz(text)).toBe(before + K);
      // Figures read from the shared database are reported once, not summed over the workers.
      const families = parsePrometheus(text);
      expect(families.find((f) => f.name === 'vedetta_database_up')?.metrics.map((m) => Number(m.value))).toEqual([1]);
      expect(families.find((f) => f.name === 'vedetta_outbox_depth')?.metrics).toHaveLength(4);
    }
  });

  it('shows a write through the API on every worker', async () => {
    const key = `cluster-${Date.now()}`;
    // Both workers hold the page without the service first, so each must learn of the write (LISTEN/NOTIFY).
    for (let i = 0; i < 10; i++) expect((await get(server, '/')).text).not.toContain(`Servizio ${key}`);
    const token = await createTokenWithCli(server.env.DATABASE_URL!, 'write');
    const created = await fetch(`${server.url}/api/v1/services`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ key, name: { it: `Servizio ${key}`, en: `Service ${key}` } }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    await until(
      'the new service on the page from every worker',
      async () => {
        for (let i = 0; i < 10; i++) if (!(await get(server, '/')).text.includes(`Servizio ${key}`)) return undefined;
        return true;
      },
      10_000,
      100,
    );
  });

  it('replaces a worker that dies, and keeps answering meanwhile', { timeout: 120_000 }, async () => {
    const [victim, survivor] = childrenOf(server.pid) as [number, number];
    // A worker that dies while the primary waits for its figures: stopped first, so that the scrapes reaching the
    // survivor wait for it, then killed. It is left out of the sum and they are answered; a scrape that reached the
    // stopped worker itself is reset with it.
    process.kill(victim, 'SIGSTOP');
    const auth = { Authorization: `Bearer ${METRICS_TOKEN}` };
    const scrapes = Promise.all(Array.from({ length: 20 }, () => get(server, '/metrics', auth).then((res) => res.status, () => 'reset')));
    await sleep(500);
    process.kill(victim, 'SIGKILL');
    const outcomes = await scrapes;
    expect(outcomes.filter((outcome) => outcome !== 200 && outcome !== 'reset')).toEqual([]);
    expect(outcomes).toContain(200);
    // And the primary lives on (a failed write to the dead worker's channel, unheard, would have ended it).
    const primary = await Promise.race([server.exited.then((code) => `exited with ${code}`), sleep(500).then(() => 'running')]);
    expect(primary, server.logs()).toBe('running');
    // Gone (reaped by the primary), and the replacement comes a second later: meanwhile the survivor answers all.
    await until('the killed worker to be gone', async () => (existsSync(`/proc/${victim}`) ? undefined : true), 10_000);
    for (let i = 0; i < 10; i++) expect((await get(server, '/healthz')).status).toBe(200);
    const replacement = await until(
      'a replacement worker to answer',
      async () => {
        const answering = await answeringWorkers(server, 20);
        return answering.size === 2 && !answering.has(victim) ? [...answering.keys()].find((pid) => pid !== survivor) : undefined;
      },
      90_000,
      200,
    );
    expect(childrenOf(server.pid).sort()).toEqual([survivor, replacement].sort());
    expect(logLines(server.logs())).toContainEqual(expect.objectContaining({ msg: 'worker exited: forking a replacement', signal: 'SIGKILL' }));
  });

  // If every worker dies, the first replacement boots alone and checks the port as at boot: a socket that took it
  // meanwhile (the same user's, with SO_REUSEPORT, as another server's workers would be) is not joined. The
  // replacements keep failing with EADDRINUSE while it is there, and come back once it is gone.
  it('after every worker died, checks the port again before the replacements share it', { timeout: 180_000 }, async () => {
    const workers = childrenOf(server.pid);
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    await until('the workers to be gone', async () => (workers.some((pid) => existsSync(`/proc/${pid}`)) ? undefined : true), 10_000);
    const intruder = createNetServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      intruder.once('error', reject);
      intruder.listen({ port: server.port, host: '127.0.0.1', reusePort: true }, resolve);
    });
    try {
      const refusedBefore = portRefusals(server.logs());
      const refused = () => portRefusals(server.logs()) > refusedBefore;
      await until('a replacement to be refused the port', async () => (refused() ? true : undefined), 60_000, 200);
      // The intruder's socket only.
      expect(listeningSockets(server.port), server.logs()).toBe(1);
    } finally {
      await new Promise((resolve) => intruder.close(resolve));
    }
    await until('both replacements to answer', async () => ((await answeringWorkers(server, 20)).size === 2 ? true : undefined), 120_000, 500);
  });

  // The workers share the port (SO_REUSEPORT), an option that would let a second clustered server join it: the
  // first worker, forked alone, checks that the port is free, so a second server fails as any does on a taken port.
  it('refuses a second clustered server on its port with EADDRINUSE, and keeps every connection', { timeout: 120_000 }, async () => {
    const second = await exitOfServer(server.env);
    expect(second.code, second.output).toBe(1);
    expect(portRefusals(second.output), second.output).toBe(1);
    const answering = await answeringWorkers(server, 20);
    expect([...answering.values()].reduce((a, b) => a + b, 0)).toBe(20);
  });

  it('stops every process on SIGTERM, and the primary exits 0', async () => {
    const workers = childrenOf(server.pid);
    expect(workers).toHaveLength(2);
    process.kill(server.pid, 'SIGTERM');
    expect(await server.exited, server.logs()).toBe(0);
    expect(workers.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    expect(logLines(server.logs()).filter((l) => l.msg === 'stopped'), server.logs()).toHaveLength(2);
  });
});

/** One request on a new connection (the workers share the listening port per connection, not per request). */
function get(server: RunningServer, path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { agent: false, headers: { ...headers, Connection: 'close' } }, (res) => {
      answerText(res).then(resolve, reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Process ids whose parent is `pid`, from /proc/<pid>/stat (its 4th field, after the parenthesised name). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/**
 * Opens `connections` connections, has each answer one request and keeps them open, then counts, per child of
 * the primary, the established server-side sockets of the port it holds: which worker answered on which.
 */
async function answeringWorkers(server: RunningServer, connections: number): Promise<Map<number, number>> {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < connections; i++) sockets.push(await answeredConnection(server.port));
    const inodes = serverEnds(server.port, new Set(sockets.map((s) => s.localPort!)));
    const owners = new Map<number, number>();
    for (const pid of childrenOf(server.pid)) {
      let held = 0;
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          const inode = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`))?.[1];
          if (inode && inodes.has(inode)) held++;
        }
      } catch {
        continue; // a worker that ended meanwhile
      }
      if (held > 0) owners.set(pid, held);
    }
    return owners;
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

function answeredConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.once('data', (chunk) => (chunk.toString('latin1').startsWith('HTTP/1.1 200') ? resolve(socket) : reject(new Error(chunk.toString('latin1')))));
    socket.once('error', reject);
  });
}

/**
 * Inodes of the server's ends of our connections: established IPv4 sockets on the server's port whose peer is one
 * of `clientPorts` (not, say, a keep-alive connection another request of this test left open).
 */
function serverEnds(port: number, clientPorts: Set<number>): Set<string> {
  const ours = tcpSockets().filter((s) => s.localPort === port && clientPorts.has(s.remotePort) && s.state === 'established');
  return new Set(ours.map((s) => s.inode));
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
