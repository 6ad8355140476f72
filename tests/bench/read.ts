/**
 * `npm run bench:read`: a flood of readers against the BUILT server, compared with the same bytes served as static
 * files on the same machine.
 *
 * 1. Boots `node <build>/server/entry.mjs` on the large data set (tests/bench/large-data.ts: 90 days of per-minute
 *    heartbeats for 6 services, 2,000 past incidents with 10 updates each, 100 milestones, 100,000 subscribers) in
 *    a copy of its cached PGlite folder, or on DATABASE_URL when set.
 * 2. Fetches the measured responses once (`/`, `/en/`, the open incident's page, `/api/v2/summary.json`,
 *    `/feed.rss`), writes those exact bytes to a folder and serves it with nginx (Debian's, installed with apt-get
 *    when absent and we are root) or, failing that, with a minimal static node:http server; it says which.
 * 3. After one unreported warm-up run on `/`, for each URL: with 50 connections, BENCH_ROUNDS rounds in which ours,
 *    the static server and (beside nginx) a bare node:http server holding the same bytes each take one run, in an
 *    order that turns every round; then one run each of ours and the static server with 1,000 connections. For each
 *    run: requests/s, p50 and p99 latency, errors, and for ours the server's CPU time per request (/proc). This
 *    machine's speed drifts by tens of per cent within a minute, so a ratio compares the two runs of ONE round and
 *    the table gives the median of the rounds' ratios with their range. The load generator is wrk (Debian's,
 *    installed likewise) or autocannon (a devDependency) when wrk cannot be had; it says which.
 * 4. Writes under read load, BENCH_ROUNDS rounds: 50 connections read `/` (the baseline), then read it again as
 *    long while an operator posts an update on the open incident through /api/v1 once a second (BENCH_SECONDS − 1
 *    updates, with a write-scoped token made before the server boots). A separate poller fetches `/` every 20 ms,
 *    through the public cache like any reader, and times when each update's marker first shows, from the API's
 *    answer and from the request's start; then the readers' p99 while publishing against the round's baseline
 *    (the median of the rounds). The poller revalidates with If-None-Match as a refreshing browser does, and runs
 *    in the baseline too, so only the publishing differs.
 *    With BENCH_PIN=1 (wrk, one server process, two CPUs or more) every server runs on CPU 0 (nginx with one worker)
 *    and wrk on CPU 1, as readers on other machines would: a per-core comparison that the scheduler's split of two
 *    cores between wrk and the servers does not move; the writes phase's poller and operator run on CPU 1 too. The
 *    targets are judged on the default, unpinned run.
 * 5. The server's peak resident memory (VmHWM in /proc/<pid>/status), over the whole run.
 * Targets (issue 6): home and summary.json ≥ 0.6× static with 50 connections, p99 ≤ 25 ms, zero errors at 1,000
 * connections, a published update visible on `/` within 1 s under 50 readers, the readers' p99 while publishing
 * ≤ 2× the baseline, peak RSS ≤ 250 MB.
 *
 * Env: BENCH_SECONDS per run (default 5); BENCH_ROUNDS (default 3); BENCH_ENCODING=identity for uncompressed
 * answers (default gzip); VEDETTA_TEST_BUILD_DIR for the build folder (default: the tests' build, rebuilt when stale); DATABASE_URL to run on PostgreSQL (it must be empty or hold the large data set, which
 * keeps the updates this bench posts); WEB_CONCURRENCY=N (PostgreSQL only) to measure N worker processes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../db/client.ts';
import { createApiToken } from '../../src/services/auth.ts';
import { freePort } from '../support/ports.ts';
import { loadLargeData, prepareLargeDataDir } from './large-data.ts';
import { median, percentile } from './percentile.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = [50, 1000] as const;
/**
 * What the clients accept. gzip (default): as browsers and CDNs ask, and both sides send the same gzip bytes
 * (nginx from a precompressed .gz next to each file, `gzip_static`). identity: the plain bytes.
 */
const ENCODING = process.env.BENCH_ENCODING === 'identity' ? 'identity' : 'gzip';
/** Servers on CPU 0, the load generator on CPU 1 (see the header). */
const PIN = process.env.BENCH_PIN === '1';
const METRICS_TOKEN = 'bench-metrics-token-0123456789';
/** Updates posted while the readers run, one a second: the last leaves over a second to be seen under load. */
const PUBLISHES = Math.max(1, Math.floor(SECONDS - 1));
const POLL_MS = 20;
const say = (line: string) => console.log(`[bench:read] ${line}`);

type Run = { rps: number; p50: number; p99: number; errors: number; requests: number };
/** One URL at one number of connections: a run per round for each server (bare: beside nginx, at 50 only). */
type Row = { label: string; connections: number; ours: (Run & { cpuUs: number })[]; stat: Run[]; bare: Run[] };
type LoadTool = {
  name: string;
  run(url: string, connections: number): Promise<Run>;
};
const CLIENT_HEADERS: Record<string, string> = { 'accept-encoding': ENCODING };

// ---- tools ----------------------------------------------------------------------------------------------------

function which(cmd: string): string | null {
  const r = spawnSync('bash', ['-c', `command -v ${cmd}`], {
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Debian packages, when we may install them (root); returns whether the command exists afterwards. */
function ensureDebianTool(cmd: string, pkg: string): boolean {
  if (which(cmd)) return true;
  if (process.getuid?.() !== 0) {
    say(`${cmd} is missing and this is not root: apt-get install -y ${pkg} would provide it`);
    return false;
  }
  say(`installing ${pkg} from Debian's packages…`);
  const r = spawnSync('bash', ['-c', `DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkg}`], { stdio: 'ignore' });
  if (r.status !== 0) say(`apt-get install ${pkg} failed (exit ${r.status})`);
  return which(cmd) !== null;
}

/** Runs a command with a raised open-files limit (1,000 connections need more than the usual 1,024 descriptors). */
function withFiles(cmd: string, args: string[]): [string, string[]] {
  return ['bash', ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n 4096; exec "$@"', '_', cmd, ...args]];
}

function wrkTool(): LoadTool {
  const unit = (v: string) => {
    const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  return {
    name: 'wrk (2 threads)',
    async run(url, connections) {
      const headers = Object.entries(CLIENT_HEADERS).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
      const wrk = ['-t2', `-c${connections}`, `-d${SECONDS}s`, '--timeout', '10s', '--latency', ...headers, url];
      const [cmd, args] = PIN ? withFiles('taskset', ['-c', '1', 'wrk', ...wrk]) : withFiles('wrk', wrk);
      const out = await capture(cmd, args);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
      const p50 = unit(/\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? '');
      const p99 = unit(/\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? '');
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const errors = (socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0) + non2xx;
      if (Number.isNaN(rps) || Number.isNaN(requests)) throw new Error(`cannot read wrk's output:\n${out}`);
      return { rps, p50, p99, errors, requests };
    },
  };
}

async function autocannonTool(): Promise<LoadTool> {
  const { default: autocannon } = await import('autocannon');
  return {
    name: 'autocannon (in this process)',
    async run(url, connections) {
      const r = await autocannon({
        url,
        connections,
        duration: SECONDS,
        timeout: 10,
        headers: CLIENT_HEADERS,
      });
      return {
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
        requests: r.requests.total,
      };
    },
  };
}

function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(out));
  });
}

function rawGet(url: string, encoding: string): Promise<{ status: number; type: string; encoding: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          type: String(res.headers['content-type'] ?? 'application/octet-stream'),
          encoding: String(res.headers['content-encoding'] ?? 'identity'),
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The server's cache lookups so far (hit / stale / miss), from its Prometheus metrics. */
async function cacheLookups(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  if (res.status !== 200) return `metrics unavailable (${res.status})`;
  const text = await res.text();
  const counts = [...text.matchAll(/^vedetta_cache_lookups_total\{result="(\w+)"\} (\d+)/gm)].map((m) => `${m[1]} ${m[2]}`);
  return counts.join(', ') || 'no cache lookups counted';
}

// ---- servers --------------------------------------------------------------------------------------------------

async function waitFor(url: string, child: ChildProcess | null, output: () => string) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode}):\n${output()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 300 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function dataSet(): Promise<{ dataDir?: string; label: string }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const database = await openDatabase({ databaseUrl: url });
    try {
      await database.migrate(join(ROOT, 'db/migrations'));
      await loadLargeData(database.db, { log: say });
    } catch (error) {
      if (!String(error).includes('needs an empty database')) throw error;
      say('DATABASE_URL already holds data: measuring it as it is');
    } finally {
      await database.close();
    }
    return { label: 'large data set on PostgreSQL (DATABASE_URL)' };
  }
  const cached = await prepareLargeDataDir((line) => say(line));
  const dataDir = mkdtempSync(join(tmpdir(), 'vedetta-bench-read-'));
  cpSync(cached, dataDir, { recursive: true });
  rmSync(join(dataDir, 'vedetta.lock'), { force: true });
  return {
    dataDir,
    label: 'large data set on PGlite (a copy of the cached folder)',
  };
}

async function startOurs(dataDir: string | undefined): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  process.env.VEDETTA_TEST_BUILD_DIR ??= join(ROOT, 'node_modules/.cache/vedetta-tests/dist');
  const { SERVER_ENTRY } = await import('../support/paths.ts');
  const { default: build } = await import('../setup/build.ts');
  await build();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    SITE_URL: url,
    VEDETTA_DEMO: 'off',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    METRICS_TOKEN,
    ADMIN_EMAIL: 'bench@example.test',
    ADMIN_PASSWORD: 'bench-password-not-used-1234',
  };
  if (dataDir) env.DATA_DIR = dataDir;
  const [cmd, args] = withFiles(process.execPath, [SERVER_ENTRY]);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  await waitFor(`${url}/faq`, child, () => output);
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, child, stop };
}

/**
 * A token for the operator of the writes phase, with the least scope that posts an update (write). Made before the
 * server boots, since the embedded database is one process's at a time; it expires on its own a day later.
 */
async function publishToken(dataDir: string | undefined): Promise<string> {
  const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir });
  try {
    const ctx = { db: database.db, now: () => new Date(), actor: { kind: 'system', id: 'bench' } as const, timeZone: 'UTC', siteUrl: '' };
    const { secret } = await createApiToken(ctx, {
      name: 'bench:read writes under read load',
      scopes: ['write'],
      expiresAt: new Date(Date.now() + 24 * 3_600_000),
    });
    return secret;
  } finally {
    await database.close();
  }
}

/**
 * The server's peak resident memory (VmHWM) per process: the child's pid is node's (`bash -c … exec node` keeps
 * it), and with WEB_CONCURRENCY > 1 that is the cluster primary, whose children are the workers. The total adds
 * each process's own peak: an upper bound of what they held at once.
 */
function peakRss(pid: number): { total: number; detail: string } {
  const vmHwmMb = (p: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  const workers = childPids(pid);
  const own = vmHwmMb(pid);
  if (workers.length === 0) return { total: own, detail: `${own.toFixed(0)} MB` };
  const each = workers.map(vmHwmMb);
  const total = own + each.reduce((a, b) => a + b, 0);
  return { total, detail: `${total.toFixed(0)} MB: primary ${own.toFixed(0)} MB + ${each.length} workers ${each.map((m) => m.toFixed(0)).join(', ')} MB` };
}

/** The server's child processes: with WEB_CONCURRENCY > 1, the cluster primary's workers. */
function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (getconf CLK_TCK; 100 on Linux). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) the server has used so far: its process and, with WEB_CONCURRENCY, its workers. */
function cpuSeconds(pid: number): number {
  const ticks = (p: number) => {
    // Fields after the command name: state is the 1st, utime the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  return [pid, ...childPids(pid)].reduce((sum, p) => sum + ticks(p), 0) / CLOCK_TICKS;
}

type Static = { name: string; url: string; stop(): Promise<void> };

async function startNginx(root: string): Promise<Static> {
  const port = await freePort();
  const conf = join(root, '..', 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${PIN ? 1 : 'auto'};
worker_rlimit_nofile 65536;
daemon off;
pid ${join(root, '..', 'nginx.pid')};
error_log ${join(root, '..', 'nginx-error.log')} warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  gzip_static on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { text/html html; application/json json; application/rss+xml rss; }
  default_type text/html;
  client_body_temp_path ${join(root, '..', 'tmp')};
  proxy_temp_path ${join(root, '..', 'tmp')};
  fastcgi_temp_path ${join(root, '..', 'tmp')};
  uwsgi_temp_path ${join(root, '..', 'tmp')};
  scgi_temp_path ${join(root, '..', 'tmp')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { try_files $uri $uri/index.html =404; }
  }
}
`,
  );
  mkdirSync(join(root, '..', 'tmp'), { recursive: true });
  const child = spawn('nginx', ['-c', conf, '-p', dirname(conf)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/index.html`, child, () => output);
  return {
    name: `nginx ${spawnSync('nginx', ['-v'], { encoding: 'utf8' })
      .stderr.trim()
      .replace(/^nginx version: /, '')}`,
    url,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await exited;
    },
  };
}

/**
 * Every file read once into memory, answered with a strong ETag, as a static server would: the fallback when nginx
 * cannot be had, and otherwise the bare node:http figure that our fast path is built to approach.
 */
async function startNodeStatic(files: Map<string, { body: Buffer; gzip: Buffer; type: string }>, name: string): Promise<Static> {
  const { createHash } = await import('node:crypto');
  const etags = new Map([...files].map(([path, f]) => [path, `"${createHash('sha1').update(f.body).digest('hex')}"`]));
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const file = files.get(path);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip : file.body;
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': body.length,
      etag: etags.get(path)!,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(body);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

// ---- writes under read load ----------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Times on performance.now(): the update's request sent, its 2xx answer, and the first poll showing it. */
type Publish = { marker: string; sent: number; answered: number; seen?: number };

/**
 * Posts `count` updates on the open incident, one a second, each with a marker of its own that the home page
 * shows as the incident's latest update, while a poller reads `/` as a reader would (no query string, so through
 * the public cache). No e-mails (`notify: false`): a fan-out to the 100,000 subscribers is bench:fanout's subject.
 * With count 0 only the poller runs, as long: the baseline, so that the two runs differ by the publishing alone.
 */
async function publishWhileReading(base: string, token: string, incident: { id: string; status: string }, count: number): Promise<Publish[]> {
  const run = Date.now().toString(36);
  const publishes: Publish[] = [];
  let polling = true;
  const poller = (async () => {
    // Revalidates like a browser that refreshes: a 304 until the page changes, so the poller stays a light reader.
    let etag = '';
    while (polling) {
      const asked = performance.now();
      // A failed poll (the flood can refuse a connection) only means "not seen yet".
      const html = await fetch(`${base}/`, { headers: { ...CLIENT_HEADERS, 'if-none-match': etag } })
        .then((r) => {
          if (r.status !== 200) return r.arrayBuffer().then(() => '');
          etag = r.headers.get('etag') ?? '';
          return r.text();
        })
        .catch(() => '');
      const at = performance.now();
      // The page shows only the latest update: a later marker means the earlier updates reached it too.
      const newest = publishes.findLastIndex((p) => html.includes(p.marker));
      for (const p of publishes.slice(0, newest + 1)) p.seen ??= at;
      await sleep(POLL_MS - (at - asked));
    }
  })();
  try {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      await sleep(start + 500 + i * 1000 - performance.now());
      const marker = `bench-${run}-${i + 1}`;
      const publish: Publish = { marker, sent: performance.now(), answered: NaN };
      publishes.push(publish);
      const res = await fetch(`${base}/api/v1/incidents/${incident.id}/updates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': marker },
        body: JSON.stringify({
          status: incident.status,
          body: { it: `Verifica di pubblicazione ${marker}.`, en: `Publishing check ${marker}.` },
          notify: false,
        }),
      });
      const answer = await res.text();
      if (!res.ok) throw new Error(`publishing update ${i + 1}: ${res.status} ${answer}`);
      publish.answered = performance.now();
    }
    if (count === 0) await sleep(start + SECONDS * 1000 - performance.now());
    const deadline = performance.now() + 10_000;
    while (publishes.some((p) => p.seen === undefined) && performance.now() < deadline) await sleep(POLL_MS);
  } finally {
    polling = false;
    await poller;
  }
  return publishes;
}

/** The percentile of the updates' times; undefined when one was never seen. */
function percentileSeen(values: (number | undefined)[], p: number): number | undefined {
  if (values.some((v) => v === undefined)) return undefined;
  return percentile((values as number[]).toSorted((a, b) => a - b), p);
}

// ---- main -----------------------------------------------------------------------------------------------------

async function main() {
  const tool: LoadTool = ensureDebianTool('wrk', 'wrk') ? wrkTool() : await autocannonTool();
  const haveNginx = ensureDebianTool('nginx', 'nginx-light') || ensureDebianTool('nginx', 'nginx');
  say(`load generator: ${tool.name}; Accept-Encoding: ${ENCODING}; ${SECONDS} s per run × ${ROUNDS} rounds`);
  if (PIN) {
    const why = [
      [!tool.name.startsWith('wrk'), 'no wrk'],
      [Number(process.env.WEB_CONCURRENCY ?? 1) > 1, 'WEB_CONCURRENCY > 1'],
      [availableParallelism() < 2, 'one CPU'],
      [!which('taskset'), 'no taskset'],
    ].find(([refused]) => refused)?.[1];
    if (why) throw new Error(`BENCH_PIN=1 cannot pin here (${why}): it needs wrk, taskset, two CPUs and one server process`);
    // This process, and every server it starts from now on (ours, nginx, the bare node:http one in here), on CPU 0.
    spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    say('pinned: the servers on CPU 0 (nginx with one worker), wrk on CPU 1');
  }

  const data = await dataSet();
  say(`data: ${data.label}`);
  const token = await publishToken(data.dataDir);
  say('booting the built server…');
  const ours = await startOurs(data.dataDir);
  const staticRoot = mkdtempSync(join(tmpdir(), 'vedetta-bench-static-'));
  let stat: Static | undefined;
  let bare: Static | undefined;
  try {
    const unresolved = (await (await fetch(`${ours.url}/api/v2/incidents/unresolved.json`)).json()) as {
      incidents: { id: string; status: string }[];
    };
    // The large data set's open outage: its page is measured, and the writes phase posts its updates there.
    const open = unresolved.incidents[0];
    if (!open) throw new Error('no open incident: the large data set has one (the demo outage); was it resolved?');
    const incidentId = open.id;
    const targets = [
      { label: 'home (it)', path: '/', file: '/index.html' },
      { label: 'home (en)', path: '/en/', file: '/en/index.html' },
      {
        label: 'incident',
        path: `/incidents/${incidentId}`,
        file: `/incidents/${incidentId}.html`,
      },
      {
        label: 'summary.json',
        path: '/api/v2/summary.json',
        file: '/api/v2/summary.json',
      },
      { label: 'feed.rss', path: '/feed.rss', file: '/feed.rss' },
    ];

    // The exact bytes our server sends, plain and gzip, for the static server (fetched raw: fetch would decode).
    const files = new Map<string, { body: Buffer; gzip: Buffer; type: string }>();
    for (const t of targets) {
      const plain = await rawGet(`${ours.url}${t.path}`, 'identity');
      const gz = await rawGet(`${ours.url}${t.path}`, 'gzip');
      if (plain.status !== 200 || gz.encoding !== 'gzip') throw new Error(`${t.path}: ${plain.status}, ${gz.encoding}`);
      files.set(t.file, { body: plain.body, gzip: gz.body, type: plain.type });
      mkdirSync(dirname(join(staticRoot, t.file)), { recursive: true });
      writeFileSync(join(staticRoot, t.file), plain.body);
      writeFileSync(join(staticRoot, `${t.file}.gz`), gz.body);
      say(`${t.label.padEnd(13)} ${t.path}  ${(plain.body.length / 1024).toFixed(1)} kB, gzip ${(gz.body.length / 1024).toFixed(1)} kB`);
    }
    // nginx's workers run as an unprivileged user: let them read the folder mkdtemp made private.
    for (const dir of [staticRoot, ...new Set([...files.keys()].map((f) => dirname(join(staticRoot, f))))]) chmodSync(dir, 0o755);
    stat = haveNginx ? await startNginx(staticRoot) : await startNodeStatic(files, 'minimal node:http static server (nginx unavailable)');
    say(`static server: ${stat.name}`);
    // Beside nginx, the same bytes from a bare node:http server: what one Node process can do at best.
    bare = haveNginx ? await startNodeStatic(files, 'bare node:http static server') : undefined;
    // The first load after boot measured the JIT and the first scheduler pass (the first URL came out ~0.5× where
    // the same bytes on the next URLs gave ~0.7×): one unreported run warms the server up, as traffic would.
    say('warming up: 50 connections on / (not reported)…');
    await tool.run(`${ours.url}/`, 50);

    const oursPid = ours.child.pid!;
    /** One run against our server, with the CPU time it took per request. */
    const runOurs = async (url: string, connections: number): Promise<Run & { cpuUs: number }> => {
      const before = cpuSeconds(oursPid);
      const run = await tool.run(url, connections);
      return { ...run, cpuUs: ((cpuSeconds(oursPid) - before) / run.requests) * 1e6 };
    };
    const rows: Row[] = [];
    for (const t of targets) {
      const staticPath = haveNginx ? t.file.replace(/\/index\.html$/, '/') : t.file;
      // A short warm-up so neither side is measured filling its caches.
      await tool.run(`${ours.url}${t.path}`, 10).catch(() => undefined);
      for (const connections of CONNECTIONS) {
        const row: Row = { label: t.label, connections, ours: [], stat: [], bare: [] };
        const sides: [string, () => Promise<void>][] = [
          ['ours', async () => void row.ours.push(await runOurs(`${ours.url}${t.path}`, connections))],
          ['static', async () => void row.stat.push(await tool.run(`${stat!.url}${staticPath}`, connections))],
        ];
        if (bare && connections === 50) sides.push(['bare node', async () => void row.bare.push(await tool.run(`${bare!.url}${t.file}`, connections))]);
        const rounds = connections === 50 ? ROUNDS : 1;
        for (let round = 0; round < rounds; round++) {
          // Each side goes first in turn, so the machine's drift within a round weighs on each alike.
          const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
          say(`${t.label}: ${connections} connections, round ${round + 1}/${rounds}: ${order.map(([name]) => name).join(', ')}…`);
          for (const [, run] of order) await run();
          const o = row.ours.at(-1)!;
          const s = row.stat.at(-1)!;
          say(
            `  ours ${o.rps.toFixed(0)} req/s p50 ${o.p50.toFixed(2)} ms p99 ${o.p99.toFixed(2)} ms errors ${o.errors}, ${o.cpuUs.toFixed(0)} µs CPU/req | static ${s.rps.toFixed(0)} req/s (${(o.rps / s.rps).toFixed(2)}×)${row.bare.length ? ` | bare node ${row.bare.at(-1)!.rps.toFixed(0)} req/s` : ''}`,
          );
        }
        rows.push(row);
      }
    }

    const home = `${ours.url}/`;
    // The poller and the operator are readers and a client: pinned, they join wrk on CPU 1 (nothing in this
    // process is measured from here on, the bare node:http server stays idle).
    if (PIN) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
    const writes: { baseline: Run; loaded: Run }[] = [];
    const publishes: Publish[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      say(`writes under read load, round ${round + 1}/${ROUNDS}: 50 connections and the poller on / for the baseline…`);
      const [baseline] = await Promise.all([tool.run(home, 50), publishWhileReading(ours.url, token, open, 0)]);
      say(`writes under read load, round ${round + 1}/${ROUNDS}: the same while publishing ${PUBLISHES} updates, one a second…`);
      const [loaded, posted] = await Promise.all([tool.run(home, 50), publishWhileReading(ours.url, token, open, PUBLISHES)]);
      writes.push({ baseline, loaded });
      publishes.push(...posted);
      say(
        `  baseline p99 ${baseline.p99.toFixed(2)} ms, while publishing p99 ${loaded.p99.toFixed(2)} ms (${(loaded.p99 / baseline.p99).toFixed(2)}×); updates seen ${posted.filter((p) => p.seen !== undefined).length}/${posted.length}`,
      );
    }

    const rss = peakRss(oursPid);
    const lookups = await cacheLookups(ours.url);

    const fmt = (n: number, d = 0) => n.toFixed(d);
    /** The median of the rounds' ratios, with their range when there are several. */
    const ratio = (ours: Run[], other: Run[]) => {
      const each = ours.map((o, i) => o.rps / other[i]!.rps);
      const m = median(each);
      const range = each.length > 1 ? ` (${fmt(Math.min(...each), 2)}-${fmt(Math.max(...each), 2)})` : '';
      return { value: m, text: `${fmt(m, 2)}×${range}` };
    };
    console.log('');
    console.log(`Medians over ${ROUNDS} rounds at 50 connections (one run at 1,000); ratios: the median of the rounds' ours/other, with their range.`);
    console.log('');
    console.log(`| response | conns | ours req/s | p50 ms | p99 ms | errors | CPU µs/req | static req/s | static p99 ms | ours/static | bare node req/s | ours/bare node |`);
    console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    for (const r of rows) {
      const bareCells = r.bare.length ? `${fmt(median(r.bare.map((b) => b.rps)))} | ${ratio(r.ours, r.bare).text}` : '– | –';
      console.log(
        `| ${r.label} | ${r.connections} | ${fmt(median(r.ours.map((o) => o.rps)))} | ${fmt(median(r.ours.map((o) => o.p50)), 2)} | ${fmt(median(r.ours.map((o) => o.p99)), 2)} | ${r.ours.reduce((n, o) => n + o.errors, 0)} | ${fmt(median(r.ours.map((o) => o.cpuUs)))} | ${fmt(median(r.stat.map((s) => s.rps)))} | ${fmt(median(r.stat.map((s) => s.p99)), 2)} | ${ratio(r.ours, r.stat).text} | ${bareCells} |`,
      );
    }
    console.log('');
    console.log(
      `Writes under read load: / with 50 connections and a poller reading / every ${POLL_MS} ms, then the same with ${PUBLISHES} updates posted through /api/v1 one a second; ${ROUNDS} rounds`,
    );
    console.log('');
    console.log(`| round | baseline req/s | p50 ms | p99 ms | errors | while publishing req/s | p50 ms | p99 ms | errors | p99 ratio |`);
    console.log(`|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    writes.forEach(({ baseline: b, loaded: l }, i) =>
      console.log(
        `| ${i + 1} | ${fmt(b.rps)} | ${fmt(b.p50, 2)} | ${fmt(b.p99, 2)} | ${b.errors} | ${fmt(l.rps)} | ${fmt(l.p50, 2)} | ${fmt(l.p99, 2)} | ${l.errors} | ${fmt(l.p99 / b.p99, 2)}× |`,
      ),
    );
    const p99Ratio = median(writes.map((w) => w.loaded.p99 / w.baseline.p99));
    console.log(`p99 while publishing / baseline, median of the rounds: ${fmt(p99Ratio, 2)}×`);
    console.log('');
    console.log(`| update | API answer ms | visible ms after the answer | visible ms after the request start |`);
    console.log(`|---:|---:|---:|---:|`);
    const ms = (v: number | undefined) => (v === undefined ? 'never seen' : fmt(v));
    const afterAnswer = publishes.map((p) => (p.seen === undefined ? undefined : p.seen - p.answered));
    const afterStart = publishes.map((p) => (p.seen === undefined ? undefined : p.seen - p.sent));
    publishes.forEach((p, i) => console.log(`| ${i + 1} | ${fmt(p.answered - p.sent)} | ${ms(afterAnswer[i])} | ${ms(afterStart[i])} |`));
    const visibleMax = percentileSeen(afterAnswer, 1);
    const visibleMaxFromStart = percentileSeen(afterStart, 1);
    console.log(
      `visible after the answer: p50 ${ms(percentileSeen(afterAnswer, 0.5))} ms, max ${ms(visibleMax)} ms; after the request start: p50 ${ms(percentileSeen(afterStart, 0.5))} ms, max ${ms(visibleMaxFromStart)} ms`,
    );
    console.log('');
    console.log(`peak RSS of the server: ${rss.detail} (VmHWM)${process.env.WEB_CONCURRENCY ? `, WEB_CONCURRENCY=${process.env.WEB_CONCURRENCY}` : ''}`);
    console.log(`public cache lookups: ${lookups}`);
    console.log(
      `static server: ${stat.name}${bare ? `; reference: ${bare.name}` : ''}; load: ${tool.name}${PIN ? ' on CPU 1, the servers on CPU 0' : ''}; Accept-Encoding: ${ENCODING}; ${SECONDS} s per run; data: ${data.label}`,
    );

    const checks: [string, boolean][] = [];
    for (const r of rows.filter((r) => r.connections === 50 && (r.label === 'home (it)' || r.label === 'summary.json'))) {
      const { value, text } = ratio(r.ours, r.stat);
      const p99 = median(r.ours.map((o) => o.p99));
      checks.push([`${r.label} ≥ 0.6× static at 50 connections (${text})`, value >= 0.6]);
      checks.push([`${r.label} p99 ≤ 25 ms at 50 connections (${fmt(p99, 2)} ms)`, p99 <= 25]);
    }
    const errors1000 = rows.filter((r) => r.connections === 1000).reduce((n, r) => n + r.ours.reduce((m, o) => m + o.errors, 0), 0);
    checks.push([`zero errors at 1,000 connections (${errors1000})`, errors1000 === 0]);
    checks.push([
      `every update is visible on / within 1 s of the API's answer under 50 readers (max ${ms(visibleMax)} ms; ${ms(visibleMaxFromStart)} ms from the request start)`,
      visibleMax !== undefined && visibleMax <= 1000,
    ]);
    checks.push([`readers' p99 while publishing ≤ 2× the baseline (median of the rounds: ${fmt(p99Ratio, 2)}×)`, p99Ratio <= 2]);
    checks.push([`peak RSS ≤ 250 MB (${rss.total.toFixed(0)} MB)`, rss.total <= 250]);
    for (const [label, ok] of checks) console.log(`${ok ? '✓' : '✗'} ${label}`);
  } finally {
    await stat?.stop();
    await bare?.stop();
    await ours.stop();
    rmSync(staticRoot, { recursive: true, force: true });
    if (data.dataDir) rmSync(data.dataDir, { recursive: true, force: true });
  }
}

if (!existsSync(join(ROOT, 'node_modules/.bin/astro'))) throw new Error('run npm install first');
await main();
