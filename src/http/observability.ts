import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';
import { getFetchState } from 'astro/hono';
import { log } from '../app/log.ts';
import { observeHttpRequest, renderMetrics } from '../app/metrics.ts';
import type { Ctx } from '../services/context.ts';
import { outboxFigures } from '../services/ops.ts';

/**
 * Mounted first in src/fetch.ts: gives every request an id (the caller's `X-Request-Id` when well-formed, so a
 * proxy's id carries through; a new UUID otherwise), echoes it in the response, and after the response writes
 * one JSON log line and the request metrics. The JSON API's error bodies read the same `requestId` variable.
 */

/** Letters, digits and `_ - = . :` up to 128 characters: what proxies generate, nothing that can forge a log line. */
const REQUEST_ID = /^[\w.:=-]{1,128}$/;

/** Probes and scrapes come every few seconds: logged at debug so they do not drown the requests that matter. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export function requestIdOf(header: string | undefined): string {
  return header && REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

export function observability(): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const requestId = requestIdOf(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    await next();
    setHeader(c, 'X-Request-Id', requestId);
    const ms = performance.now() - started;
    const route = routeLabel(c);
    const status = c.res.status;
    observeHttpRequest({ method: c.req.method, route, status, seconds: ms / 1000 });
    const fields = { requestId, method: c.req.method, route, status, ms: Math.round(ms * 10) / 10 };
    if (status >= 500) log.error('request', fields);
    else if (QUIET_ROUTES.has(route)) log.debug('request', fields);
    else log.info('request', fields);
  };
}

/**
 * The route PATTERN asked for, never the raw path (bounded label values): the Hono endpoint for the API and
 * the public endpoints (even when a middleware such as the token check answered first), Astro's route
 * (`/incidents/[slug]`) for pages, `unmatched` for everything else.
 */
function routeLabel(c: Context): string {
  // Endpoints are registered for a method; middleware (`use`) and the Astro pipeline for ALL.
  const endpoint = matchedRoutes(c).findLast((r) => r.method !== 'ALL');
  if (endpoint) return endpoint.path;
  const hono = routePath(c);
  if (hono && hono !== '*' && hono !== '/*') return hono;
  // Every request that reached Astro's pipeline has a fetch state (src/fetch.ts puts the service context in it).
  const astroRoute = c.get('fetchState') ? getFetchState(c).routeData?.route : undefined;
  return astroRoute ?? 'unmatched';
}

function setHeader(c: Context, name: string, value: string) {
  try {
    c.res.headers.set(name, value);
  } catch {
    // A Response built with immutable headers (Response.redirect): copy it once to add ours.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(name, value);
  }
}

/**
 * `GET /metrics` in the Prometheus text format, only with `Authorization: Bearer <METRICS_TOKEN>`. Without a
 * configured token the route does not exist (404 from the pages), so an instance never exposes it by accident.
 */
export function createMetricsRoute(deps: { token: string | undefined; ctx(): Ctx }) {
  const app = new Hono();
  const token = deps.token;
  if (!token) return app;
  const expected = digest(token);
  app.get('/metrics', async (c) => {
    const given = /^Bearer ([^\s]+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    // Digests have one length, so the comparison takes the same time whatever was sent.
    if (!timingSafeEqual(digest(given), expected)) {
      return c.text('Unauthorized', 401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Cache-Control': 'no-store' });
    }
    const { contentType, body } = await renderMetrics(() => outboxFigures(deps.ctx()));
    return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  });
  return app;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
