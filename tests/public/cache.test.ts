/**
 * The public cache (src/http/cache) on a real database: the triggers that bump the content version, how a process
 * learns of it (NOTIFY, poll, refresh after its own writes), and the HTTP answers built from it (ETag/304,
 * gzip/brotli, Cache-Control, what is never cached, expiry at time-driven changes with a moved clock).
 *
 * Writes here COMMIT (services on the file's database, outside a test transaction): the triggers are deferred to
 * the commit, as is the NOTIFY. Every test makes its own rows and compares versions before and after.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { publicCacheMiddleware } from '../../src/http/cache/middleware.ts';
import { cacheKey, hasPrivateForm } from '../../src/http/cache/policy.ts';
import { PublicCache } from '../../src/http/cache/store.ts';
import { type VersionWatcher, watchContentVersion } from '../../src/http/cache/watch.ts';
import { createPublicRoutes } from '../../src/http/public/index.ts';
import { recordHeartbeat } from '../../src/services/heartbeats.ts';
import { getHomePage } from '../../src/services/read.ts';
import { readContentVersion } from '../../src/services/content-version.ts';
import type { Ctx } from '../../src/services/context.ts';
import { useTestDatabase } from '../support/db.ts';
import { clock, makeCtx, makeIncident, makeService, OPERATOR, type Clock } from '../integration/factories.ts';

const t = useTestDatabase();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const NEVER = 3_600_000; // a poll interval no test waits for

async function watcher(cache: PublicCache, ctx: () => Ctx, opts: { pollMs?: number; listen?: boolean } = {}): Promise<VersionWatcher> {
  const database = opts.listen === false ? { listen: async () => async () => {} } : { listen: t.listen };
  const w = await watchContentVersion({
    database,
    ctx,
    cache,
    pollMs: opts.pollMs ?? NEVER,
    log: { info() {}, error() {} },
  });
  stops.push(() => w.stop());
  return w;
}

/** The site as src/fetch.ts mounts it: the cache middleware in front of the public routes. */
async function site(at: Clock) {
  const cache = new PublicCache();
  cache.useClock(() => at.now().getTime());
  const anonymous = () => ({
    ...makeCtx(t.db, { now: at }),
    actor: { kind: 'public' as const, id: 'anonymous' },
  });
  const w = await watcher(cache, anonymous);
  let builds = 0;
  const app = new Hono();
  app.use('*', publicCacheMiddleware({ cache, ctx: anonymous, watcher: w }));
  app.route(
    '/',
    createPublicRoutes({
      ctx: () => {
        builds++;
        return anonymous();
      },
    }),
  );
  // A public-looking path whose page carries a form that posts: never stored.
  app.get('/faq', (c) => c.html('<form method="post" action="/subscribe"><input name="_csrf" value="x"></form>'));
  // A page whose answer the test chooses: a storable page, then one that is gone or failing.
  const history = { status: 200 as 200 | 404 | 500, text: 'history v1' };
  app.get('/history', (c) => c.html(history.text, history.status));
  const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });
  return { cache, watcher: w, get, builds: () => builds, history };
}

describe('content version', () => {
  it('moves once at the commit of a public write, however many rows it touched', async () => {
    const ctx = makeCtx(t.db, { actor: OPERATOR });
    const before = await readContentVersion(ctx);
    const service = await makeService(ctx); // services, status_intervals, events, audit: one transaction
    const afterService = await readContentVersion(ctx);
    expect(afterService).toBe(before + 1);
    await makeIncident(ctx, {
      services: [{ service: service.key, status: 'major_outage' }],
    });
    expect(await readContentVersion(ctx)).toBe(afterService + 1);
  });

  it('does not move for writes no public page shows, for reads, nor for a rolled-back change', async () => {
    const ctx = makeCtx(t.db, { actor: OPERATOR });
    const service = await makeService(ctx);
    const before = await readContentVersion(ctx);
    // A heartbeat stamps services.last_heartbeat_at and heartbeat_minutes only.
    await recordHeartbeat(ctx, { service: service.key });
    // A cold read fills the daily uptime cache (service_daily_uptime) and must not invalidate what it renders.
    await getHomePage(ctx, { locale: 'it' });
    await expect(
      t.db.transaction(async (tx) => {
        await makeIncident({ ...ctx, db: tx as unknown as typeof ctx.db });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await readContentVersion(ctx)).toBe(before);
  });

  it('reaches a listening process through NOTIFY at commit, without polling', async () => {
    const ctx = makeCtx(t.db, { actor: OPERATOR });
    const cache = new PublicCache();
    await watcher(cache, () => ctx);
    const before = cache.version!;
    await makeService(ctx);
    await vi.waitFor(() => expect(cache.version).toBe(before + 1), {
      timeout: 5_000,
      interval: 10,
    });
  });

  it('is caught up by the poll when no notification arrives', async () => {
    const ctx = makeCtx(t.db, { actor: OPERATOR });
    const cache = new PublicCache();
    await watcher(cache, () => ctx, { listen: false, pollMs: 20 });
    const before = cache.version!;
    await makeService(ctx);
    await vi.waitFor(() => expect(cache.version).toBe(before + 1), {
      timeout: 5_000,
      interval: 10,
    });
  });

  it('never goes back to an older number (a late notification)', () => {
    const cache = new PublicCache();
    expect(cache.observeVersion(5)).toBe(true);
    expect(cache.observeVersion(4)).toBe(false);
    expect(cache.version).toBe(5);
  });
});

describe('answers from the cache', () => {
  it('keeps the ETag while nothing is written, and changes it after a write (seen by the writer at once)', async () => {
    const at = clock(new Date());
    const s = await site(at);
    const first = await s.get('/api/v2/summary.json');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    const built = s.builds();
    const again = await s.get('/api/v2/summary.json');
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe(await first.text());
    expect(s.builds()).toBe(built); // from memory, not rebuilt

    const writer = makeCtx(t.db, { actor: OPERATOR, now: at });
    await makeService(writer);
    // What the middleware does after a write request of this process: read the version before answering.
    await s.watcher.refresh();
    const after = await s.get('/api/v2/summary.json');
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(s.builds()).toBe(built + 1);
  });

  it('answers 304 to If-None-Match, whichever encoding the client holds', async () => {
    const s = await site(clock(new Date()));
    const identity = await s.get('/feed.rss');
    const br = await s.get('/feed.rss', { 'accept-encoding': 'br' });
    expect(br.headers.get('etag')).not.toBe(identity.headers.get('etag'));
    for (const tag of [identity.headers.get('etag')!, br.headers.get('etag')!, `W/${identity.headers.get('etag')}`]) {
      const res = await s.get('/feed.rss', { 'if-none-match': tag });
      expect(res.status, tag).toBe(304);
      expect(await res.text()).toBe('');
    }
    expect((await s.get('/feed.rss', { 'if-none-match': '"something-else"' })).status).toBe(200);
  });

  it('negotiates brotli and gzip, each decoding to the same bytes, with Vary and Cache-Control for CDNs', async () => {
    const s = await site(clock(new Date()));
    const plain = Buffer.from(await (await s.get('/api/v2/summary.json')).arrayBuffer());
    const br = await s.get('/api/v2/summary.json', {
      'accept-encoding': 'gzip, deflate, br',
    });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).equals(plain)).toBe(true);
    const gz = await s.get('/api/v2/summary.json', {
      'accept-encoding': 'gzip, br;q=0',
    });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).equals(plain)).toBe(true);
    const none = await s.get('/api/v2/summary.json', {
      'accept-encoding': 'identity',
    });
    expect(none.headers.get('content-encoding')).toBeNull();
    for (const res of [br, gz, none]) {
      expect(res.headers.get('vary')).toBe('Accept-Encoding');
      expect(res.headers.get('cache-control')).toMatch(/public.*s-maxage=1.*stale-while-revalidate=\d+.*stale-if-error=\d+/);
      // The route's own headers are replayed from the stored entry.
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('never stores a page with a form that posts, an authorized request, or a query beyond lang', async () => {
    const s = await site(clock(new Date()));
    const a = await s.get('/faq');
    const b = await s.get('/faq');
    expect(a.headers.get('etag')).toBeNull();
    expect(b.headers.get('cache-control')).toBeNull();
    expect(s.cache.size).toBe(0);
    await s.get('/api/v2/summary.json?utm_source=x');
    await s.get('/api/v2/summary.json', { authorization: 'Bearer x' });
    expect(s.cache.size).toBe(0);
    await s.get('/api/v2/summary.json?lang=en');
    expect(s.cache.size).toBe(1);
  });

  it('keeps the widget frame a partner embeds, in the theme it asked for, and serves it from memory', async () => {
    const s = await site(clock(new Date()));
    const dark = await s.get('/widget/v1/frame?lang=en&theme=dark');
    expect(dark.status).toBe(200);
    const built = s.builds();
    const again = await s.get('/widget/v1/frame?theme=dark&lang=en');
    expect(again.headers.get('etag')).toBe(dark.headers.get('etag'));
    expect(s.builds()).toBe(built);
    // The frame's own policy (framing allowed) is replayed from the stored entry.
    expect(again.headers.get('content-security-policy')).toBe(dark.headers.get('content-security-policy'));
    expect(again.headers.get('content-security-policy')).toContain('frame-ancestors');
    const light = await s.get('/widget/v1/frame?lang=en&theme=light');
    expect(light.headers.get('etag')).not.toBe(dark.headers.get('etag'));
    expect(s.cache.size).toBe(2);
  });
});

describe('a page that changed', () => {
  it('is re-rendered by one reader while the others get the previous content, until the new one is stored', async () => {
    const cache = new PublicCache();
    cache.observeVersion(1);
    await cache.put({ key: '/', version: 1, expiresAt: Date.now() + NEVER, headers: [], body: Buffer.from('v1') });
    cache.observeVersion(2);
    expect(cache.fresh('/')).toBeUndefined();
    const first = cache.claimRebuild('/');
    expect(first).toBeTypeOf('function');
    expect(cache.claimRebuild('/')).toBeNull(); // the next readers: the previous content
    first!(); // that request ended without storing anything (an error, a HEAD): the next reader may try
    const second = cache.claimRebuild('/');
    expect(second).toBeTypeOf('function');
    let finish!: (entry: null) => void;
    const running = cache.rebuild('/', () => new Promise((resolve) => (finish = resolve)));
    second!();
    expect(cache.claimRebuild('/')).toBeNull(); // a rebuild runs: nobody else goes
    finish(null);
    await running;
    expect(cache.claimRebuild('/')).toBeTypeOf('function');
  });

  it('is dropped when it no longer renders to something storable, and kept while rendering fails', async () => {
    const at = clock(new Date());
    const s = await site(at);
    const bump = async () => {
      await makeService(makeCtx(t.db, { actor: OPERATOR, now: at }));
      await s.watcher.refresh();
    };
    expect(await (await s.get('/history')).text()).toBe('history v1');
    expect(s.cache.last('/history')).toBeDefined();

    await bump();
    s.history.status = 500;
    const failing = await s.get('/history');
    expect(failing.status).toBe(200); // stale-if-error
    expect(await failing.text()).toBe('history v1');
    expect(s.cache.last('/history')).toBeDefined();

    s.history.status = 404;
    s.history.text = 'gone';
    const gone = await s.get('/history');
    expect(gone.status).toBe(404);
    // Nothing left for the fast path to answer stale: the next reader renders (and gets the 404) too.
    expect(s.cache.last('/history')).toBeUndefined();
    expect((await s.get('/history')).status).toBe(404);
  });
});

describe('policy', () => {
  it('caches the public pages of both locales and nothing of the console or the forms', () => {
    for (const path of [
      '/',
      '/en/',
      '/en',
      '/history',
      '/en/faq',
      '/embed',
      '/en/embed',
      '/incidents/abc',
      '/en/services/pec',
      '/feed.rss',
      '/en/feed.atom',
      '/api/v2/summary.json',
      '/badge.svg',
    ]) {
      expect(cacheKey('GET', path, undefined), path).toBe(path);
    }
    for (const path of [
      '/admin',
      '/admin/incidents',
      '/subscribe',
      '/en/subscribe',
      '/webhooks',
      '/embed/x',
      '/api/v1/incidents',
      '/incidents/abc/x',
    ]) {
      expect(cacheKey('GET', path, undefined), path).toBeNull();
    }
    expect(cacheKey('POST', '/', undefined)).toBeNull();
    expect(cacheKey('GET', '/', 'Bearer x')).toBeNull();
    expect(cacheKey('GET', '/feed.rss?lang=en', undefined)).toBe('/feed.rss?lang=en');
    expect(cacheKey('GET', '/feed.rss?lang=xx', undefined)).toBeNull();
    expect(cacheKey('GET', '/?page=2', undefined)).toBeNull();
    // What partner sites embed: a badge's style and the frame's theme are variants of their own, in one order.
    expect(cacheKey('GET', '/services/pec/badge.svg?style=flat-square', undefined)).toBe('/services/pec/badge.svg?style=flat-square');
    expect(cacheKey('GET', '/badge.svg?style=flat&lang=en', undefined)).toBe('/badge.svg?lang=en&style=flat');
    expect(cacheKey('GET', '/widget/v1/frame?theme=auto&lang=en', undefined)).toBe('/widget/v1/frame?lang=en&theme=auto');
    expect(cacheKey('GET', '/widget/v1/frame?lang=en&theme=auto', undefined)).toBe('/widget/v1/frame?lang=en&theme=auto');
    for (const url of ['/badge.svg?style=round', '/badge.svg?theme=dark', '/?style=flat', '/widget/v1/frame?theme=dark&theme=light', '/feed.rss?lang=en&lang=it']) {
      expect(cacheKey('GET', url, undefined), url).toBeNull();
    }
    expect(hasPrivateForm(Buffer.from('<form method="get" action="/history"><input name="q"></form>'))).toBe(false);
    expect(hasPrivateForm(Buffer.from('<p>Perché</p><form action="/s" method="POST">'))).toBe(true);
    expect(hasPrivateForm(Buffer.from('<p>Già</p><input type="hidden" name="_csrf" value="x">'))).toBe(true);
  });
});

it('installs the content triggers on every public table', async () => {
  const rows = (await t.db.execute(sql`select count(*)::int as n from pg_trigger where tgname like '%_content_changed'`)) as unknown;
  const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as { n: number }[];
  expect(list[0]!.n).toBe(15);
});

describe('time-driven changes', () => {
  // A database of its own: every open incident's "ongoing for" figure is a time-driven change too, so another
  // test's incidents would move the expiry this test pins down.
  const own = useTestDatabase();

  it('expires an entry when a promised update becomes overdue, and not before', async () => {
    // Noon, an incident two days old (its duration next changes at the half hour), a promise in ten minutes.
    const at = clock('2026-03-17T11:00:00Z');
    const writer = makeCtx(own.db, { actor: OPERATOR, now: at });
    const service = await makeService(writer);
    at.set('2026-03-19T12:00:00Z');
    const promise = new Date('2026-03-19T12:10:00Z');
    const { incident } = await makeIncident(writer, {
      services: [{ service: service.key, status: 'partial_outage' }],
      startedAt: '2026-03-17T11:55:00Z',
      nextUpdateBy: promise.toISOString(),
    });
    const cache = new PublicCache();
    cache.useClock(() => at.now().getTime());
    const anonymous = () => ({
      ...makeCtx(own.db, { now: at }),
      actor: { kind: 'public' as const, id: 'anonymous' },
    });
    const w = await watchContentVersion({
      database: { listen: own.listen },
      ctx: anonymous,
      cache,
      pollMs: NEVER,
      log: { info() {}, error() {} },
    });
    stops.push(() => w.stop());
    let builds = 0;
    const app = new Hono();
    app.use('*', publicCacheMiddleware({ cache, ctx: anonymous, watcher: w }));
    app.route('/', createPublicRoutes({ ctx: () => (builds++, anonymous()) }));
    const overdue = async () => {
      const body = (await (await app.request('/api/v2/incidents/unresolved.json')).json()) as {
        incidents: { id: string; vedetta: { next_update_overdue: boolean } }[];
      };
      return body.incidents.find((i) => i.id === incident.id)?.vedetta.next_update_overdue;
    };

    expect(await overdue()).toBe(false);
    expect(builds).toBe(1);
    at.set(new Date(promise.getTime() - 1_000)); // still on time: the same entry, not rebuilt
    expect(await overdue()).toBe(false);
    expect(builds).toBe(1);
    at.set(new Date(promise.getTime() + 1_000)); // the promise has passed: rebuilt although nothing was written
    expect(await overdue()).toBe(true);
    expect(builds).toBe(2);
  });
});
