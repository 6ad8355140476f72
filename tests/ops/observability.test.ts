/**
 * Health probes, request ids, JSON logs, metrics and the 503 for an unreachable database, through the same
 * Hono pieces src/fetch.ts mounts, on the real test database (PGlite or PostgreSQL). "Unreachable" is a real
 * postgres.js client pointed at a closed loopback port: the driver's own connection error, not a stand-in.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import parsePrometheus, { type Family } from 'parse-prometheus-text-format';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../db/client.ts';
import { outbox } from '../../db/schema/outbox.ts';
import { configureLog } from '../../src/app/log.ts';
import { countCacheLookup, countEmailsSent, countWebhookDelivery } from '../../src/app/metrics.ts';
import { createApi } from '../../src/http/api.ts';
import { createPublicRoutes } from '../../src/http/public/index.ts';
import { databaseFaults, onAppError } from '../../src/http/faults.ts';
import { createHealthRoutes } from '../../src/http/health.ts';
import { createMetricsRoute, observability } from '../../src/http/observability.ts';
import { createApiToken } from '../../src/services/auth.ts';
import { type Actor, type Ctx, SYSTEM_ACTOR } from '../../src/services/context.ts';
import { isDatabaseUnavailable } from '../../src/services/ops.ts';
import { makeCtx, useTestDatabase } from '../support/db.ts';
import { MIGRATIONS_DIR } from '../support/paths.ts';

const t = useTestDatabase();
const TOKEN = 'metrics-token-for-tests-0123456789';
const PUBLIC: Actor = { kind: 'public', id: 'anonymous' };

function buildApp(ctx: Ctx, opts: { metricsToken?: string; migrationsDir?: string; draining?: boolean } = {}) {
  const app = new Hono();
  app.use('*', observability());
  app.route(
    '/',
    createHealthRoutes({
      ctx: () => ctx,
      migrationsDir: opts.migrationsDir ?? MIGRATIONS_DIR,
      timeoutMs: 2_000,
      draining: () => opts.draining ?? false,
    }),
  );
  app.route('/', createMetricsRoute({ token: opts.metricsToken, ctx: () => ctx }));
  app.use('*', databaseFaults({ ctx: () => ctx }));
  app.route('/api', createApi({ ctx: (actor) => ({ ...ctx, actor: actor ?? PUBLIC }), databaseKind: 'pglite' }));
  // A page that fails the way an Astro page does when its query fails: Astro turns the error into a 500.
  app.get('/broken-page', (c) => c.html('<h1>500</h1>', 500));
  app.onError(onAppError);
  return app;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let logLines: Record<string, unknown>[] = [];
beforeAll(() => {
  configureLog({ level: 'debug', write: (line) => logLines.push(JSON.parse(line)) });
});
afterEach(() => {
  logLines = [];
});
afterAll(() => configureLog({}));

describe('/healthz and /readyz', () => {
  it('healthz answers 200 without touching the database, never cached', async () => {
    const unreachable = await openDatabase({ databaseUrl: `postgres://nobody@127.0.0.1:${await closedPort()}/none` });
    try {
      const res = await buildApp(makeCtx(unreachable.db)).request('/healthz');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ status: 'ok' });
    } finally {
      await unreachable.close();
    }
  });

  it('readyz answers 200 when the database answers and every shipped migration is applied', () =>
    t.run(async (ctx) => {
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
      const res = await buildApp(ctx).request('/readyz');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({
        status: 'ready',
        database: 'ok',
        migrations: { applied: journal.entries.length, expected: journal.entries.length },
      });
    }));

  it('readyz answers 503 when the build ships a migration the database has not applied', () =>
    t.run(async (ctx) => {
      const dir = mkdtempSync(join(tmpdir(), 'vedetta-journal-'));
      mkdirSync(join(dir, 'meta'));
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as {
        entries: { idx: number; when: number; tag: string }[];
      };
      const last = journal.entries.at(-1)!;
      journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 60_000, tag: '9999_not_applied' });
      writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(journal));
      try {
        const res = await buildApp(ctx, { migrationsDir: dir }).request('/readyz');
        expect(res.status).toBe(503);
        const body = await res.json();
        expect(body.migrations).toEqual({ applied: journal.entries.length - 1, expected: journal.entries.length, state: 'pending' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  it('readyz answers 503 while the instance drains, so balancers stop sending it traffic', () =>
    t.run(async (ctx) => {
      const res = await buildApp(ctx, { draining: true }).request('/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'draining' });
    }));

  it('readyz answers 503 with Retry-After when the database is unreachable', async () => {
    const unreachable = await openDatabase({ databaseUrl: `postgres://nobody@127.0.0.1:${await closedPort()}/none` });
    try {
      const res = await buildApp(makeCtx(unreachable.db)).request('/readyz');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      const body = await res.json();
      expect(body).toMatchObject({ status: 'unavailable', database: 'unreachable' });
      expect(body.reason).toContain('ECONNREFUSED');
    } finally {
      await unreachable.close();
    }
  });
});

describe('request ids and logs', () => {
  it('echoes a well-formed X-Request-Id, repeats it in API error bodies and in the log line', () =>
    t.run(async (ctx) => {
      const res = await buildApp(ctx).request('/api/nowhere', { headers: { 'X-Request-Id': 'lb-1234.abc' } });
      expect(res.status).toBe(404);
      expect(res.headers.get('x-request-id')).toBe('lb-1234.abc');
      expect((await res.json()).requestId).toBe('lb-1234.abc');
      const line = logLines.find((l) => l.requestId === 'lb-1234.abc');
      expect(line).toMatchObject({ level: 'info', msg: 'request', method: 'GET', route: '/api/*', status: 404 });
      expect(typeof line?.ms).toBe('number');
      expect(Number.isNaN(Date.parse(String(line?.time)))).toBe(false);
    }));

  it('replaces a malformed or oversized X-Request-Id with a generated one, the same in header, body and log', () =>
    t.run(async (ctx) => {
      const app = buildApp(ctx);
      for (const bad of ['has spaces in it', 'x'.repeat(129), 'quote"brace{']) {
        const res = await app.request('/api/nowhere', { headers: { 'X-Request-Id': bad } });
        const id = res.headers.get('x-request-id');
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect((await res.json()).requestId).toBe(id);
        expect(logLines.at(-1)?.requestId).toBe(id);
      }
    }));

  it('logs a bug behind a 500, in the API or a public route, as one line with the request id and the stack', async () => {
    const broken = () => {
      throw new Error('a bug in a handler');
    };
    const app = new Hono();
    app.use('*', observability());
    app.route('/', createPublicRoutes({ ctx: broken }));
    app.route('/api', createApi({ ctx: broken, databaseKind: 'pglite' }));
    for (const [path, id] of [
      ['/api/v2/summary.json', 'bug-public-1'],
      ['/api/v1/public/summary', 'bug-public-2'],
      ['/api/v1/incidents', 'bug-api-1'],
    ] as const) {
      const res = await app.request(path, { headers: { 'X-Request-Id': id, Authorization: 'Bearer vdt_not-a-real-token' } });
      expect(res.status, path).toBe(500);
      const line = logLines.find((l) => l.requestId === id && l.msg === 'unhandled error');
      expect(line, path).toMatchObject({ level: 'error', method: 'GET', error: { message: 'a bug in a handler' } });
      expect((line?.error as { stack?: string }).stack).toContain('a bug in a handler');
    }
  });

  it('labels requests with the route pattern, not the raw path', () =>
    t.run(async (ctx) => {
      const { secret } = await createApiToken({ ...ctx, actor: SYSTEM_ACTOR }, { name: 'logs', scopes: ['read'] });
      const res = await buildApp(ctx).request('/api/v1/incidents/does-not-exist', { headers: { Authorization: `Bearer ${secret}` } });
      expect(res.status).toBe(404);
      expect(logLines.at(-1)).toMatchObject({ route: '/api/v1/incidents/:id', status: 404 });
    }));
});

describe('the database is unreachable', () => {
  let unreachable: Database;
  beforeAll(async () => {
    unreachable = await openDatabase({ databaseUrl: `postgres://nobody@127.0.0.1:${await closedPort()}/none` });
  });
  afterAll(() => unreachable.close());

  it('an API write answers 503 database_unavailable with Retry-After, not 500, logged as the outage it is', async () => {
    const res = await buildApp(makeCtx(unreachable.db)).request('/api/v1/incidents', {
      method: 'POST',
      headers: { Authorization: 'Bearer vdt_whatever', 'Content-Type': 'application/json', 'X-Request-Id': 'outage-1' },
      body: JSON.stringify({ title: { it: 'x' }, impact: 'minor', body: { it: 'x' }, services: [] }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = await res.json();
    expect(body.error.code).toBe('database_unavailable');
    expect(body.requestId).toBe('outage-1');
    expect(logLines.filter((l) => l.requestId === 'outage-1').map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'database unreachable: answered 503'],
      ['error', 'request'],
    ]);
  });

  it('a public JSON route or feed answers 503 with Retry-After, logged as the outage it is, not as a bug', async () => {
    const app = new Hono();
    app.use('*', observability());
    app.route('/', createPublicRoutes({ ctx: () => ({ ...makeCtx(unreachable.db), actor: PUBLIC }) }));
    for (const [path, id] of [
      ['/api/v2/summary.json', 'outage-public-1'],
      ['/feed.rss', 'outage-public-2'],
    ] as const) {
      const res = await app.request(path, { headers: { 'X-Request-Id': id } });
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after'), path).toBe('5');
      // A cross-origin reader (the widget) can read the status and Retry-After of the JSON API's 503.
      if (path.startsWith('/api/')) expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(logLines.filter((l) => l.requestId === id).map((l) => [l.level, l.msg])).toEqual([
        ['warn', 'database unreachable: answered 503'],
        ['error', 'request'], // every 5xx
      ]);
    }
  });

  it('a page that failed because of it answers the 503 page in its language; a real bug stays a 500', async () => {
    const down = await buildApp(makeCtx(unreachable.db)).request('/broken-page');
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.headers.get('content-type')).toContain('text/html');
    expect(await down.text()).toContain('<html lang="it">');
    await t.run(async (ctx) => {
      const bug = await buildApp(ctx).request('/broken-page');
      expect(bug.status).toBe(500);
    });
  });

  it('the driver error is recognised through drizzle’s wrapping; a query error is not an outage', async () => {
    const error = await unreachable.db.execute('select 1' as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDatabaseUnavailable(error)).toBe(true);
    await t.run(async (ctx) => {
      const queryError = await ctx.db.transaction((tx) => tx.execute('select * from no_such_table' as never)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(queryError).not.toBeNull();
      expect(isDatabaseUnavailable(queryError)).toBe(false);
    });
  });
});

describe('/metrics', () => {
  const scrape = (app: Hono, auth?: string) => app.request('/metrics', auth ? { headers: { Authorization: auth } } : {});
  const family = (families: Family[], name: string) => families.find((f) => f.name === name);

  it('does not exist without METRICS_TOKEN', () =>
    t.run(async (ctx) => {
      expect((await scrape(buildApp(ctx), `Bearer ${TOKEN}`)).status).toBe(404);
    }));

  it('refuses a missing, malformed or wrong token alike', () =>
    t.run(async (ctx) => {
      const app = buildApp(ctx, { metricsToken: TOKEN });
      for (const auth of [undefined, TOKEN, 'Basic abc', `Bearer ${TOKEN}x`, 'Bearer short']) {
        const res = await scrape(app, auth);
        expect(res.status, String(auth)).toBe(401);
        expect(await res.text()).toBe('Unauthorized');
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      }
    }));

  it('serves a parseable exposition whose counters and outbox gauge move', () =>
    t.run(async (ctx) => {
      const app = buildApp(ctx, { metricsToken: TOKEN });
      const read = async () => {
        const res = await scrape(app, `Bearer ${TOKEN}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
        expect(res.headers.get('cache-control')).toBe('no-store');
        const text = await res.text();
        return Object.assign(parsePrometheus(text), { text });
      };
      const counter = (families: Family[], name: string, labels: Record<string, string>) =>
        Number(family(families, name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0);

      const before = await read();
      await app.request('/api/nowhere');
      await app.request('/api/nowhere');
      countCacheLookup('hit');
      countEmailsSent('alert', 100);
      countWebhookDelivery({ outcome: 'failed', reason: 'http_5xx' });
      await ctx.db.insert(outbox).values({ kind: 'webhook.delivery', subjectId: `ops-test-${Date.now()}` });
      const after = await read();

      const notFound = { method: 'GET', route: '/api/*', status: '404' };
      expect(counter(after, 'vedetta_http_requests_total', notFound) - counter(before, 'vedetta_http_requests_total', notFound)).toBe(2);
      expect(family(after, 'vedetta_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
      // The parser folds a labelled histogram into one sample, so its per-route count is read from the text.
      const latencyCount = (text: string) =>
        Number(/^vedetta_http_request_duration_seconds_count\{method="GET",route="\/api\/\*",status="404"\} (\d+)$/m.exec(text)?.[1] ?? 0);
      expect(latencyCount(after.text) - latencyCount(before.text)).toBe(2);
      expect(counter(after, 'vedetta_cache_lookups_total', { result: 'hit' }) - counter(before, 'vedetta_cache_lookups_total', { result: 'hit' })).toBe(1);
      expect(counter(after, 'vedetta_emails_sent_total', { kind: 'alert' }) - counter(before, 'vedetta_emails_sent_total', { kind: 'alert' })).toBe(100);
      expect(
        counter(after, 'vedetta_webhook_failures_total', { reason: 'http_5xx' }) - counter(before, 'vedetta_webhook_failures_total', { reason: 'http_5xx' }),
      ).toBe(1);
      expect(
        counter(after, 'vedetta_outbox_depth', { kind: 'webhook.delivery' }) - counter(before, 'vedetta_outbox_depth', { kind: 'webhook.delivery' }),
      ).toBe(1);
      // Every kind is reported, so an alert on a kind never goes silent for lack of a series.
      expect(family(after, 'vedetta_outbox_depth')?.metrics.map((m) => m.labels?.kind).sort()).toEqual(
        ['email.batch', 'email.fanout', 'event.dispatch', 'webhook.delivery'],
      );
      expect(counter(after, 'vedetta_database_up', {})).toBe(1);
      // prom-client's process metrics come along (memory is what the benchmarks watch too).
      expect(family(after, 'process_resident_memory_bytes')).toBeDefined();
    }));

  it('still answers when the database is down, saying so in vedetta_database_up', async () => {
    const unreachable = await openDatabase({ databaseUrl: `postgres://nobody@127.0.0.1:${await closedPort()}/none` });
    try {
      const res = await scrape(buildApp(makeCtx(unreachable.db), { metricsToken: TOKEN }), `Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      const families = parsePrometheus(await res.text());
      expect(family(families, 'vedetta_database_up')?.metrics[0]?.value).toBe('0');
    } finally {
      await unreachable.close();
    }
  });
});
