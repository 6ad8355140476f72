/**
 * The JSON API driven through `app.request()` on the shared test database: one migrated database per file, one
 * rolled-back transaction per test (tests/support/db.ts). The app is built per test on that transaction, mounted
 * under /api exactly as src/fetch.ts does, so paths and fingerprints are the production ones.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { expect } from 'vitest';
import { createApi } from '../../src/http/api.ts';
import { createApiToken } from '../../src/services/auth.ts';
import { createService } from '../../src/services/catalog.ts';
import { type Actor, SYSTEM_ACTOR } from '../../src/services/context.ts';
import type { TokenScope } from '../../src/domain/vocab.ts';
import { type CtxOptions, type TestCtx, useTestDatabase } from '../support/db.ts';

export const uid = () => randomBytes(5).toString('hex');
export const uniqueKey = (prefix = 'svc') => `${prefix}-${uid()}`;

export type ApiResponse<T = any> = {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: T;
  text: string;
};

export type CallOptions = {
  token?: string | null;
  /** Serialised as JSON unless `raw` is given. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
};

export type ApiTest = {
  ctx: TestCtx;
  app: Hono;
  call<T = any>(method: string, path: string, opts?: CallOptions): Promise<ApiResponse<T>>;
  get<T = any>(path: string, token: string | null): Promise<ApiResponse<T>>;
  post<T = any>(path: string, token: string | null, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, token: string | null, body?: unknown): Promise<ApiResponse<T>>;
  put<T = any>(path: string, token: string | null, body?: unknown): Promise<ApiResponse<T>>;
  /** A new token's secret with these scopes (created by the system actor, as an administrator would). */
  token(...scopes: TokenScope[]): Promise<string>;
  /** A service made through the service layer (not the API), with a unique key. */
  service(overrides?: Record<string, unknown>): Promise<{ id: string; key: string }>;
};

const PUBLIC: Actor = { kind: 'public', id: 'anonymous' };

export function makeApiTest(ctx: TestCtx): ApiTest {
  const api = createApi({ ctx: (actor) => ({ ...ctx, actor: actor ?? PUBLIC }), databaseKind: 'pglite' });
  const app = new Hono().route('/api', api);
  const system = { ...ctx, actor: SYSTEM_ACTOR };

  async function call<T>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (body === undefined && opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = null;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  return {
    ctx,
    app,
    call,
    get: (path, token) => call('GET', path, { token }),
    post: (path, token, body, headers) => call('POST', path, { token, body, headers }),
    patch: (path, token, body) => call('PATCH', path, { token, body }),
    put: (path, token, body) => call('PUT', path, { token, body }),
    async token(...scopes) {
      const { secret } = await createApiToken(system, { name: `test ${scopes.join('+')} ${uid()}`, scopes });
      return secret;
    },
    async service(overrides = {}) {
      const key = (overrides.key as string | undefined) ?? uniqueKey();
      return createService(system, {
        key,
        name: { it: `Servizio ${key}`, en: `Service ${key}` },
        since: new Date(ctx.now().getTime() - 86_400_000),
        ...overrides,
      });
    },
  };
}

/** Registers the file's database; `run` gives each test a fresh app on a rolled-back transaction. */
export function useApi() {
  const t = useTestDatabase();
  return {
    run: (fn: (api: ApiTest) => Promise<void>, opts?: CtxOptions) => t.run((ctx) => fn(makeApiTest(ctx)), opts),
  };
}

/** The one error shape, with the request id echoed from the header. */
export function expectError(res: ApiResponse, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) }, requestId: expect.any(String) });
  expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
  return res.body.error as { code: string; message: string; fields?: Record<string, string> };
}

export const V1 = '/api/v1';
