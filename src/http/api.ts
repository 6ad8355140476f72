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
  api.all('*', (c) => c.json(errorBody(c, 'not_found', `No API route ${c.req.method} ${c.req.path}.`), 404));
  api.onError(errorResponse);
  return api;
}
