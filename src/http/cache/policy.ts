/**
 * Which requests the public cache may answer, and the headers it answers with. Both the fast path in front of
 * Astro (src/server/entry.ts) and the Hono middleware (./middleware.ts) ask the same function, so a page is
 * either cached everywhere or nowhere.
 */

/**
 * The public surfaces that are the same for every anonymous reader. An allow-list on purpose: a new page
 * (a subscription form, anything with a CSRF token) stays uncached until someone decides otherwise.
 */
const CACHEABLE_PATHS: RegExp[] = [
  // HTML pages, Italian at the root and English under /en.
  /^(?:\/en)?\/?$/,
  /^(?:\/en)?\/(?:history|faq|embed)$/,
  /^(?:\/en)?\/incidents\/[A-Za-z0-9_-]+$/,
  /^(?:\/en)?\/services\/[A-Za-z0-9_-]+$/,
  // Feeds, badges, the widget frame, republishing texts (src/http/public).
  /^(?:\/en)?(?:\/services\/[A-Za-z0-9_-]+|\/incidents\/[A-Za-z0-9_-]+)?\/feed\.(?:rss|atom|json)$/,
  /^(?:\/services\/[A-Za-z0-9_-]+)?\/badge\.svg$/,
  /^\/widget\/v1\/frame$/,
  /^(?:\/en)?\/incidents\/[A-Za-z0-9_-]+\/updates\/[A-Za-z0-9_-]+\/republish$/,
  // Statuspage-compatible JSON and the native public API.
  /^\/api\/v2\/[a-z/_-]+\.json$/,
  /^\/api\/v1\/public\/[A-Za-z0-9_/-]+$/,
];

/**
 * The cache key for a request, or null when the response must not come from (or go into) the cache.
 * Only anonymous GET/HEAD; the only query parameter allowed is `lang` (the machine-readable routes' locale),
 * so `?utm=...` or a badge style never multiply entries nor get someone else's variant.
 */
export function cacheKey(method: string | undefined, url: string | undefined, authorization: string | undefined): string | null {
  if ((method !== 'GET' && method !== 'HEAD') || !url || authorization) return null;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!CACHEABLE_PATHS.some((re) => re.test(path))) return null;
  if (q < 0) return path;
  const params = new URLSearchParams(url.slice(q + 1));
  const lang = params.get('lang');
  if ([...params.keys()].some((name) => name !== 'lang') || (lang !== 'it' && lang !== 'en')) return null;
  return `${path}?lang=${lang}`;
}

/**
 * Browsers revalidate every time (a 304 costs a few hundred bytes); a CDN or proxy may keep a copy for one
 * second (the freshness this site promises), serve it stale while it revalidates, and for a day if we fail.
 */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=0, must-revalidate, s-maxage=1, stale-while-revalidate=30, stale-if-error=86400';

/**
 * A page with a form that posts (CSRF token, subscription) is per-visitor even when its path looks public.
 * Given the page's bytes: read as latin1, which is a copy rather than a UTF-8 decode of a few hundred kB, and
 * finds the same ASCII markup.
 */
export function hasPrivateForm(page: Buffer): boolean {
  const html = page.toString('latin1');
  return /name=["']?_csrf\b/i.test(html) || /<form\b[^>]*\bmethod=["']?post\b/i.test(html);
}
