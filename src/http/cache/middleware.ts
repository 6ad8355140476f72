/**
 * The public cache inside the Hono app (src/fetch.ts, before secureHeaders so stored responses carry the
 * security headers). It answers what the fast path in front (src/server/entry.ts) could not:
 *   - a fresh entry (requests that reached Hono some other way: `astro dev`, a fast path that lost a race);
 *   - a miss: ONE request renders (Astro page or public route), its 200 is stored; concurrent readers of the same
 *     key get the previous content while that render runs, or wait for it when there is none;
 *   - a render that fails (database down) while an older copy exists: the older copy (stale-if-error);
 *   - a render that is not storable (404, a page that now has a private form): the older copy is dropped.
 * After a write request it re-reads the content version, so this process serves the change at once.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { countCacheLookup } from '../../app/metrics.ts';
import { yieldToReaders } from '../../app/slices.ts';
import type { Ctx } from '../../services/context.ts';
import { nextTimeDrivenChange } from '../../services/content-version.ts';
import { cacheKey, hasPrivateForm } from './policy.ts';
import { answer, type CacheEntry, type PublicCache } from './store.ts';
import type { VersionWatcher } from './watch.ts';

/**
 * Hono copies the headers of the response already rendered onto one returned after next() (its `res` setter):
 * the rendered page's ETag and Cache-Control would overwrite the stored entry's. Drop the rendered one first.
 */
function replace(c: Context, response: Response): Response {
  c.res = undefined;
  c.res = response;
  return response;
}

/** Headers that belong to one answer, not to the stored content. */
const PER_ANSWER = new Set([
  'cache-control',
  'content-encoding',
  'content-length',
  'date',
  'etag',
  'transfer-encoding',
  'vary',
  'connection',
  'keep-alive',
]);

export function publicCacheMiddleware(deps: {
  cache: PublicCache;
  ctx: () => Ctx;
  watcher: Pick<VersionWatcher, 'refresh'>;
}): MiddlewareHandler {
  const { cache } = deps;
  let expiry: { version: number; at: number } | null = null;
  // The next time-driven change is the same for every page of one version: one query per version and instant.
  const expiresAt = async (version: number): Promise<number> => {
    const ctx = deps.ctx();
    if (expiry?.version === version && expiry.at > ctx.now().getTime()) return expiry.at;
    const at = (await nextTimeDrivenChange(ctx)).getTime();
    expiry = { version, at };
    return at;
  };

  const respond = (c: Context, entry: CacheEntry) => {
    const a = answer(entry, {
      acceptEncoding: c.req.header('accept-encoding'),
      ifNoneMatch: c.req.header('if-none-match'),
      head: c.req.method === 'HEAD',
    });
    // Buffers from node:zlib/Buffer.from are plain ArrayBuffer-backed; the DOM typings only want that said.
    const headers = new Headers();
    for (let i = 0; i < a.headers.length; i += 2) headers.append(a.headers[i]!, a.headers[i + 1]!);
    return new Response(a.body as Uint8Array<ArrayBuffer> | null, {
      status: a.status,
      headers,
    });
  };

  return async (c, next) => {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      await next();
      if (method !== 'OPTIONS') await deps.watcher.refresh();
      return;
    }
    const url = new URL(c.req.url);
    const key = cacheKey(method, url.pathname + url.search, c.req.header('authorization'));
    if (key === null) return next();

    const fresh = cache.fresh(key);
    if (fresh) {
      countCacheLookup('hit');
      return respond(c, fresh);
    }
    const running = cache.building(key);
    if (running) {
      const previous = cache.last(key);
      if (previous) {
        countCacheLookup('stale');
        return respond(c, previous);
      }
      const built = await running.catch(() => null);
      if (built) {
        countCacheLookup('hit');
        return respond(c, built);
      }
      return next();
    }
    const version = cache.version;
    if (version === null || method === 'HEAD') return next();

    countCacheLookup('miss');
    let rendered: Response | undefined;
    let databaseFailed = false;
    const entry = await cache.rebuild(key, async () => {
      await next();
      // Astro ends a render by encoding the page and copying it into a Response, in one piece; reading the body
      // back is another copy. Readers waiting on this process are answered in between.
      await yieldToReaders();
      rendered = c.res;
      if (rendered.status !== 200 || rendered.headers.has('set-cookie') || !rendered.body) return null;
      const body = Buffer.from(await rendered.arrayBuffer());
      // Readers waiting on this process get their turn between the render and the checks and hashing below.
      await yieldToReaders();
      const type = rendered.headers.get('content-type') ?? '';
      // The body is read: a render answered as it is, not from an entry, gets it back (a copy of 264 kB, so
      // only then: a stored render is answered from its entry).
      if (type.startsWith('text/html') && hasPrivateForm(body)) {
        rendered = new Response(body, rendered);
        return null;
      }
      const headers = [...rendered.headers].filter(([name]) => !PER_ANSWER.has(name));
      // Without an expiry the entry could outlive a time-driven change: answer this once, keep nothing.
      const until = await expiresAt(version).catch(() => null);
      if (until === null) {
        databaseFailed = true;
        rendered = new Response(body, rendered);
        return null;
      }
      return cache.put({ key, version, expiresAt: until, headers, body });
    });
    if (entry) return replace(c, respond(c, entry));
    const previous = cache.last(key);
    if (rendered && rendered.status >= 500 && previous) {
      countCacheLookup('stale');
      return replace(c, respond(c, previous));
    }
    // The page is gone or no longer storable: the fast path must not keep answering its old content. (When only
    // the expiry could not be read, the database is failing: the old copy stays, as for a 5xx.)
    if (rendered && !databaseFailed) cache.forget(key);
    if (rendered && rendered !== c.res) c.res = rendered;
  };
}
