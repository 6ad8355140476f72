/**
 * The reason phrase of every answer. Astro starts a page's response as 200 "OK" and, when the page sets
 * `Astro.response.status = 422`, keeps the statusText "OK"; the node adapter then writes it on the status line
 * ("HTTP/1.1 422 OK"), which misleads anyone reading raw responses, logs of proxies included. A Response with an
 * empty statusText (what `new Response(body, { status })` and Hono's helpers make) is left alone: Node writes the
 * standard phrase for it.
 */
import { STATUS_CODES } from 'node:http';
import type { MiddlewareHandler } from 'hono';

export function standardReasonPhrase(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const { status, statusText, body, headers } = c.res;
    const phrase = STATUS_CODES[status] ?? '';
    if (statusText && statusText !== phrase) c.res = new Response(body, { status, statusText: phrase, headers });
  };
}
