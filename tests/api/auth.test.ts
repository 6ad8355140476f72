/**
 * Bearer tokens and scopes, checked on EVERY route of the OpenAPI document: a token without the route's scope
 * is refused with 403 before anything runs; a token with it gets past authorization (whatever the fake ids and
 * empty bodies then earn); a bad token of any kind gets the same generic 401.
 */
import { describe, expect, it } from 'vitest';
import { createApiToken, revokeApiToken } from '../../src/services/auth.ts';
import { SYSTEM_ACTOR } from '../../src/services/context.ts';
import type { TokenScope } from '../../src/domain/vocab.ts';
import { createApi } from '../../src/http/api.ts';
import { type ApiTest, V1, expectError, useApi } from './support.ts';

const api = useApi();

type Op = { method: string; path: string; scope: TokenScope };

async function operations(): Promise<Op[]> {
  const doc = await (await createApi({ ctx: () => { throw new Error('unused'); }, databaseKind: 'pglite' }).request('/v1/openapi.json')).json();
  const ops: Op[] = [];
  for (const [path, item] of Object.entries<Record<string, { security: { bearerAuth: TokenScope[] }[] }>>(doc.paths)) {
    for (const [method, op] of Object.entries(item)) ops.push({ method: method.toUpperCase(), path, scope: op.security[0]!.bearerAuth[0]! });
  }
  return ops;
}

/** A concrete URL for a templated path, with ids that do not exist. */
const concrete = (path: string) => V1 + path.replace('{key}', 'no-such-service').replace('{id}', 'no-such-id');

async function hit(a: ApiTest, op: Op, token: string | null) {
  return a.call(op.method, concrete(op.path), { token, body: op.method === 'GET' || op.method === 'DELETE' ? undefined : {} });
}

const LEVEL: Record<TokenScope, number> = { read: 1, write: 2, admin: 3 };

describe('scopes on every route', () => {
  it('the document declares one scope per operation, and all three classes exist', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(35);
    for (const scope of ['read', 'write', 'admin'] as const) expect(ops.some((o) => o.scope === scope)).toBe(true);
    // Reads need read, every change needs write; tokens, operators and webhooks (whose reads show signing
    // secrets) need admin.
    for (const o of ops) {
      const label = `${o.method} ${o.path}`;
      if (/^\/(tokens|operators|webhooks)/.test(o.path)) expect(o.scope, label).toBe('admin');
      else if (o.method === 'GET') expect(o.scope, label).toBe('read');
      else expect(o.scope, label).toBe('write');
    }
  });

  for (const held of ['read', 'write', 'admin'] as const) {
    it(`a "${held}" token: allowed where the scope suffices, 403 everywhere else`, () =>
      api.run(async (a) => {
        const token = await a.token(held);
        for (const op of await operations()) {
          const res = await hit(a, op, token);
          const label = `${held} token → ${op.method} ${op.path}: ${res.text.slice(0, 300)}`;
          if (LEVEL[held] >= LEVEL[op.scope]) {
            expect([401, 403], label).not.toContain(res.status);
            expect(res.status, label).toBeLessThan(500);
          } else {
            expect(res.status, label).toBe(403);
            expect(res.body.error.code, label).toBe('forbidden');
            expect(res.body.error.message, label).toContain(`"${op.scope}"`);
          }
        }
      }));
  }

  it('no token: 401 on every route, same body everywhere', () =>
    api.run(async (a) => {
      for (const op of await operations()) {
        const res = await hit(a, op, null);
        const error = expectError(res, 401, 'unauthorized');
        expect(error.message).toBe('Invalid or missing token.');
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }));
});

describe('bad tokens', () => {
  it('missing, malformed, unknown, expired and revoked tokens all get the same generic 401', () =>
    api.run(async (a) => {
      const system = { ...a.ctx, actor: SYSTEM_ACTOR };
      const expiring = await createApiToken(system, {
        name: 'expiring',
        scopes: ['admin'],
        expiresAt: new Date(a.ctx.now().getTime() + 60_000),
      });
      const revoked = await createApiToken(system, { name: 'revoked', scopes: ['admin'] });
      await revokeApiToken(system, revoked.token.id);
      const valid = await a.token('admin');
      expect((await a.get(`${V1}/incidents`, expiring.secret)).status).toBe(200);
      a.ctx.clock.advance(120_000);

      const attempts: { label: string; headers: Record<string, string> }[] = [
        { label: 'none', headers: {} },
        { label: 'empty bearer', headers: { Authorization: 'Bearer ' } },
        { label: 'basic scheme', headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } },
        { label: 'no scheme', headers: { Authorization: valid } },
        { label: 'wrong prefix', headers: { Authorization: `Bearer xyz_${valid.slice(4)}` } },
        { label: 'unknown', headers: { Authorization: `Bearer ${valid}x` } },
        { label: 'truncated', headers: { Authorization: `Bearer ${valid.slice(0, -2)}` } },
        { label: 'expired', headers: { Authorization: `Bearer ${expiring.secret}` } },
        { label: 'revoked', headers: { Authorization: `Bearer ${revoked.secret}` } },
      ];
      const bodies = new Set<string>();
      for (const attempt of attempts) {
        const res = await a.call('GET', `${V1}/incidents`, { headers: attempt.headers });
        expect(res.status, attempt.label).toBe(401);
        const { requestId: _id, ...rest } = res.body;
        bodies.add(JSON.stringify(rest));
      }
      expect([...bodies]).toEqual([JSON.stringify({ error: { code: 'unauthorized', message: 'Invalid or missing token.' } })]);

      // The scheme name is case-insensitive (RFC 7235); the valid token still works.
      expect((await a.call('GET', `${V1}/incidents`, { headers: { Authorization: `bearer ${valid}` } })).status).toBe(200);
    }));

  it('a revoked token stops working from its next request', () =>
    api.run(async (a) => {
      const admin = await a.token('admin');
      const created = await a.post(`${V1}/tokens`, admin, { name: 'pipeline', scopes: ['write'] });
      expect(created.status, created.text).toBe(201);
      const secret = created.body.secret as string;
      expect((await a.get(`${V1}/services`, secret)).status).toBe(200);
      const revoked = await a.post(`${V1}/tokens/${created.body.token.id}/revoke`, admin);
      expect(revoked.status, revoked.text).toBe(200);
      expect(revoked.body.state).toBe('revoked');
      expectError(await a.get(`${V1}/services`, secret), 401, 'unauthorized');
    }));
});

describe('route classes', () => {
  it('a read token reads but cannot write; a write token writes but cannot manage tokens or operators', () =>
    api.run(async (a) => {
      const read = await a.token('read');
      const write = await a.token('write');
      const svc = await a.service();
      const seen = await a.get(`${V1}/services/${svc.key}`, read);
      expect(seen.status).toBe(200);
      // Answers to a token are never kept by a shared cache.
      expect(seen.headers.get('cache-control')).toBe('no-store');
      expectError(await a.post(`${V1}/services/${svc.key}/heartbeat`, read), 403, 'forbidden');
      expectError(await a.post(`${V1}/services/${svc.key}/status`, read, { status: 'major_outage' }), 403, 'forbidden');

      expect((await a.post(`${V1}/services/${svc.key}/status`, write, { status: 'major_outage' })).status).toBe(200);
      expectError(await a.get(`${V1}/tokens`, write), 403, 'forbidden');
      expectError(await a.post(`${V1}/tokens`, write, { name: 'escalate', scopes: ['admin'] }), 403, 'forbidden');
      expectError(await a.get(`${V1}/operators`, write), 403, 'forbidden');
      expectError(
        await a.post(`${V1}/operators`, write, { email: 'x@example.org', name: 'X', role: 'admin', password: 'a-long-password-1' }),
        403,
        'forbidden',
      );
      // The refused write changed nothing.
      const status = await a.get(`${V1}/services/${svc.key}`, read);
      expect(status.body.status).toBe('major_outage');
    }));
});
