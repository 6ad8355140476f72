/**
 * Which requests the public cache may answer, and the headers it answers with. Both the fast path in front of
 * Astro (src/server/entry.ts) and the Hono middleware (./middleware.ts) ask the same function, so a page is
 * either cached everywhere or nowhere.
 */

/** The query parameters a cached answer may vary by, each with the values it takes. */
type Variants = Readonly<Record<string, readonly string[]>>;

// The machine-readable routes' locale (pages carry theirs in the path, and take it too).
const LANG: Variants = { lang: ['it', 'en'] };

/**
 * The public surfaces that are the same for every anonymous reader. An allow-list on purpose: a new page
 * (a subscription form, anything with a CSRF token) stays uncached until someone decides otherwise.
 */
const CACHEABLE: { path: RegExp; variants: Variants }[] = [
  // HTML pages, Italian at the root and English under /en.
  { path: /^(?:\/en)?\/?$/, variants: LANG },
  { path: /^(?:\/en)?\/(?:history|faq|embed)$/, variants: LANG },
  { path: /^(?:\/en)?\/incidents\/[A-Za-z0-9_-]+$/, variants: LANG },
  { path: /^(?:\/en)?\/services\/[A-Za-z0-9_-]+$/, variants: LANG },
  // Feeds, badges, the widget frame, republishing texts (src/http/public). Badges and the frame are what partner
  // sites embed, with the style or theme the /embed page shows: those variants are cached too.
  { path: /^(?:\/en)?(?:\/services\/[A-Za-z0-9_-]+|\/incidents\/[A-Za-z0-9_-]+)?\/feed\.(?:rss|atom|json)$/, variants: LANG },
  { path: /^(?:\/services\/[A-Za-z0-9_-]+)?\/badge\.svg$/, variants: { ...LANG, style: ['flat', 'flat-square'] } },
  { path: /^\/widget\/v1\/frame$/, variants: { ...LANG, theme: ['light', 'dark', 'auto'] } },
  { path: /^(?:\/en)?\/incidents\/[A-Za-z0-9_-]+\/updates\/[A-Za-z0-9_-]+\/republish$/, variants: LANG },
  // Statuspage-compatible JSON and the native public API.
  { path: /^\/api\/v2\/[a-z/_-]+\.json$/, variants: LANG },
  { path: /^\/api\/v1\/public\/[A-Za-z0-9_/-]+$/, variants: LANG },
];

/**
 * The cache key for a request, or null when the response must not come from (or go into) the cache.
 * Only anonymous GET/HEAD, and only the query parameters the path varies by, once each with a known value,
 * so `?utm=...` or a made-up theme never multiply entries nor get someone else's variant. The key lists the
 * parameters in one order: `?theme=dark&lang=en` and `?lang=en&theme=dark` are one entry.
 */
export function cacheKey(method: string | undefined, url: string | undefined, authorization: string | undefined): string | null {
  if ((method !== 'GET' && method !== 'HEAD') || !url || authorization) return null;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const rule = CACHEABLE.find((r) => r.path.test(path));
  if (!rule) return null;
  if (q < 0) return path;
  const params = new URLSearchParams(url.slice(q + 1));
  if ([...params.keys()].some((name) => !Object.hasOwn(rule.variants, name))) return null;
  const chosen: string[] = [];
  for (const [name, allowed] of Object.entries(rule.variants)) {
    const values = params.getAll(name);
    if (values.length === 0) continue;
    if (values.length > 1 || !allowed.includes(values[0]!)) return null;
    chosen.push(`${name}=${values[0]}`);
  }
  return chosen.length ? `${path}?${chosen.join('&')}` : null;
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
