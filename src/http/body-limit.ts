import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { plainPage } from './plain-page.ts';

/**
 * The largest request body anything accepts: the API's JSON and the pages' forms (the biggest is a subscriber
 * CSV import). The only limit: Astro's own (astro.config.mjs) is off, because it throws while a page reads the
 * form and the visitor gets a bare 500.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Everything but the API (which answers its own 413 in JSON) refuses a larger body with a 413 page, whether the
 * size is announced or the body streams in chunks.
 */
export function pageBodyLimit(): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => plainPage(c, 413, (t) => t.tooLarge, { 'Cache-Control': 'no-store', Connection: 'close' }),
  });
  return (c, next) => (c.req.path.startsWith('/api/') ? next() : limit(c, next));
}
