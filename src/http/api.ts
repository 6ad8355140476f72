import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import type { Actor, Ctx } from '../services/context.ts';
import { type ApiDeps, errorBody, errorResponse } from './v1/core.ts';
import { createV1 } from './v1/app.ts';

export type { ApiDeps };

/**
 * Everything under /api: the health check and the versioned JSON API. `deps` is the least the API needs from
 * the application (a context factory and the database kind), so tests build it on a test database.
 * Hono ignores a sub-app's notFound, hence the catch-all route at the end; errors get the same JSON shape.
 */
export function createApi(deps: { ctx(actor?: Actor): Ctx; databaseKind: ApiDeps['databaseKind'] }) {
  const api = new OpenAPIHono();
  // The observability middleware (src/fetch.ts) already chose the request's id and logs it: keep that one, so
  // the error body, the X-Request-Id header and the log line agree. Tests that mount the API alone get their own.
  const ownId = requestId();
  api.use('*', (c, next) => (c.get('requestId') ? next() : ownId(c, next)));
  api.get('/health', (c) => c.json({ ok: true, database: deps.databaseKind }));
  api.route('/v1', createV1(deps));
  const allowed = allowedMethodsOf(api.routes);
  api.all('*', (c) => {
    // Routes are known relative to this app; the request path still carries where the app is mounted (/api).
    const mount = c.req.routePath.replace(/\/?\*$/, '');
    const methods = allowed(c.req.path.slice(mount.length));
    if (methods.length === 0) return c.json(errorBody(c, 'not_found', `No API route ${c.req.method} ${c.req.path}.`), 404);
    // RFC 9110 §15.5.6: the path exists, the method does not; say which ones do.
    c.header('Allow', methods.join(', '));
    return c.json(errorBody(c, 'method_not_allowed', `${c.req.path} accepts ${methods.join(', ')}, not ${c.req.method}.`), 405);
  });
  api.onError(errorResponse);
  return api;
}

/** For a request path, the methods some route answers it with (path parameters match any one segment). */
function allowedMethodsOf(routes: { method: string; path: string }[]): (path: string) => string[] {
  const table = routes
    .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
    .map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.replace(/[.+?^$()[\]\\|]/g, '\\$&').replace(/\/:[^/]+/g, '/[^/]+')}/?$`) }));
  return (path) => {
    const methods = new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
