import type { Context, MiddlewareHandler } from 'hono';
import { log } from '../app/log.ts';
import type { Ctx } from '../services/context.ts';
import { isDatabaseUnavailable, pingDatabase } from '../services/ops.ts';
import { plainPage } from './plain-page.ts';

/**
 * What the site answers while its database is unreachable: a clear 503 with Retry-After, never a bare 500, so
 * operators know to retry and proxies/CDNs keep serving their stale copy (`stale-if-error`). Public pages that
 * the in-memory cache holds never get here: it serves the last known content.
 */

const RETRY_AFTER_SECONDS = 5;
const DATABASE_UNAVAILABLE_MESSAGE =
  'The database is unreachable right now; nothing was changed. Retry after the number of seconds in Retry-After (with the same Idempotency-Key, if you sent one).';

/** How long a failed page waits for the database to answer before it is called unreachable. */
const PROBE_TIMEOUT_MS = 1_000;

const headers = { 'Cache-Control': 'no-store', 'Retry-After': String(RETRY_AFTER_SECONDS) };

/**
 * The 503: JSON in the API's error shape under /api, otherwise a page in the visitor's language.
 */
export function unavailableResponse(c: Context): Response {
  if (c.req.path.startsWith('/api/')) {
    const body = { error: { code: 'database_unavailable', message: DATABASE_UNAVAILABLE_MESSAGE }, requestId: c.get('requestId') ?? 'unknown' };
    return Response.json(body, { status: 503, headers });
  }
  return plainPage(c, 503, (t) => t.unavailable, headers);
}

/**
 * Astro renders a page that threw as a 500 before Hono sees the error, so the error itself is out of reach
 * here. A 500 from the pages while the database does not answer a ping was caused by that outage: it becomes
 * the 503 page. Other 500s (a real bug) are left as they are.
 */
export function databaseFaults(deps: { ctx(): Ctx }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status !== 500) return;
    let reachable: boolean;
    try {
      reachable = await pingDatabase(deps.ctx(), PROBE_TIMEOUT_MS);
    } catch {
      reachable = true; // the database answered, with an error: not an outage
    }
    if (reachable) return;
    // Clear the old response first: assigning over it would copy its headers (Content-Length) onto ours.
    c.res = undefined;
    c.res = answerOutage(c);
  };
}

/**
 * An error handler: an error that says the database is unreachable answers the 503 (an outage, logged at warn),
 * anything else is a bug, logged at error with the request id its caller was given, then answered by `internal`.
 */
export function answerErrors(internal: (c: Context) => Response): (error: unknown, c: Context) => Response {
  return (error, c) => {
    if (isDatabaseUnavailable(error)) return answerOutage(c, error);
    logUnhandled(c, error);
    return internal(c);
  };
}

/** The 503 for an outage, logged at warn (with the error that showed it, when there is one). */
function answerOutage(c: Context, error?: unknown): Response {
  log.warn('database unreachable: answered 503', { requestId: c.get('requestId'), method: c.req.method, error });
  return unavailableResponse(c);
}

/** A bug behind a 500, logged with the request id the caller was given. */
function logUnhandled(c: Context, error: unknown): void {
  log.error('unhandled error', { requestId: c.get('requestId'), method: c.req.method, error });
}

/** The app's last resort for errors thrown in Hono middleware (the console's session lookup). */
export const onAppError = answerErrors((c) => c.text('Internal Server Error', 500));
