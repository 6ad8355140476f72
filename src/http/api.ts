import { Hono } from 'hono';
import type { Runtime } from '../app/runtime.ts';
import { ServiceError } from '../services/errors.ts';

const STATUS_BY_CODE = { not_found: 404, validation_failed: 422, conflict: 409, forbidden: 403 } as const;

/** The JSON API. Hono ignores a sub-app's notFound, hence the catch-all route at the end. */
export function createApi(runtime: Runtime) {
  const api = new Hono();
  api.get('/health', (c) => c.json({ ok: true, database: runtime.database.kind }));
  api.all('*', (c) => c.json({ error: { code: 'not_found', message: `No API route ${c.req.method} ${c.req.path}.` } }, 404));
  api.onError((error, c) => {
    if (error instanceof ServiceError) {
      return c.json({ error: { code: error.code, message: error.message, fields: error.fields } }, STATUS_BY_CODE[error.code]);
    }
    console.error(error);
    return c.json({ error: { code: 'internal', message: 'Internal error.' } }, 500);
  });
  return api;
}
