import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { idempotencyKeys, incidents } from '../../../db/schema/index.ts';
import {
  IDEMPOTENCY_TTL_MS,
  IN_FLIGHT_STALE_MS,
  IdempotencyError,
  hashRequest,
  pruneIdempotencyKeys,
  withIdempotency,
} from '../../../src/services/idempotency.ts';
import { createIncident } from '../../../src/services/incidents.ts';
import { ServiceError } from '../../../src/services/errors.ts';
import { dbTest as test } from '../../support/db.ts';
import { type C, READ_TOKEN, WRITE_TOKEN, as, ctxFor, expectServiceError, uid } from './helpers.ts';

const body = (title: string) => ({ title: { it: title }, impact: 'minor' as const, body: { it: 'Verifica.' } });

/** What the HTTP layer does: hash the request, create the incident inside fn, answer 201 with it. */
function post(ctx: C, key: string, payload: ReturnType<typeof body>) {
  return withIdempotency(ctx, { key, requestHash: hashRequest('POST', '/api/v1/incidents', payload) }, async (tx) => {
    const { incident } = await createIncident(tx, payload);
    return { status: 201, body: { id: incident.id, title: incident.title, startedAt: incident.startedAt } };
  });
}

async function incidentsTitled(ctx: C, title: string) {
  return (await ctx.db.select().from(incidents)).filter((i) => i.title.it === title);
}

describe('withIdempotency', { timeout: 120_000 }, () => {
  test('the same key and request returns the stored answer and writes once', async ({ db }) => {
    const ctx = ctxFor(db, { actor: WRITE_TOKEN });
    const title = `Titolo ${uid()}`;
    const first = await post(ctx, 'key-1', body(title));
    const again = await post(ctx, 'key-1', body(title));
    expect(first.replayed).toBe(false);
    expect(again.replayed).toBe(true);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(typeof first.body.startedAt).toBe('string');
    expect(await incidentsTitled(ctx, title)).toHaveLength(1);
  });

  test('key order in the payload does not matter; a different payload under the same key is refused', async ({ db }) => {
    const ctx = ctxFor(db, { actor: WRITE_TOKEN });
    expect(hashRequest({ a: 1, b: { c: 2, d: 3 } })).toBe(hashRequest({ b: { d: 3, c: 2 }, a: 1 }));
    const title = `Titolo ${uid()}`;
    await post(ctx, 'key-2', body(title));
    const error = await expectServiceError(post(ctx, 'key-2', body(`${title} (bis)`)), 'conflict');
    expect(error).toBeInstanceOf(IdempotencyError);
    expect((error as IdempotencyError).reason).toBe('idempotency_key_reused');
    expect(await incidentsTitled(ctx, `${title} (bis)`)).toHaveLength(0);
  });

  test('keys belong to one actor: another actor may use the same key', async ({ db }) => {
    const ctx = ctxFor(db, { actor: WRITE_TOKEN });
    const title = `Titolo ${uid()}`;
    await post(ctx, 'shared', body(title));
    const other = await post(as(ctx, { ...WRITE_TOKEN, id: 'tok-other' }), 'shared', body(title));
    expect(other.replayed).toBe(false);
    expect(await incidentsTitled(ctx, title)).toHaveLength(2);
  });

  test('a request still in flight makes a retry wait; a claim left by a crash is taken over', async ({ db }) => {
    const ctx = ctxFor(db, { actor: WRITE_TOKEN });
    const payload = body(`Titolo ${uid()}`);
    const requestHash = hashRequest('POST', '/api/v1/incidents', payload);
    await db.insert(idempotencyKeys).values({ actor: 'token:tok-write', key: 'busy', requestHash, createdAt: ctx.now() });
    const error = await expectServiceError(post(ctx, 'busy', payload), 'conflict');
    expect((error as IdempotencyError).reason).toBe('idempotency_in_progress');

    ctx.clock.advance(IN_FLIGHT_STALE_MS + 1000);
    const taken = await post(ctx, 'busy', payload);
    expect(taken.replayed).toBe(false);
    expect(await incidentsTitled(ctx, payload.title.it)).toHaveLength(1);
  });

  test('a failed action stores nothing and frees the key', async ({ db }) => {
    const ctx = ctxFor(db, { actor: WRITE_TOKEN });
    const hash = hashRequest('x');
    await expect(
      withIdempotency(ctx, { key: 'fails', requestHash: hash }, async () => {
        throw new ServiceError('validation_failed', 'nope');
      }),
    ).rejects.toThrow('nope');
    expect(await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'fails'))).toHaveLength(0);
    const ok = await withIdempotency(ctx, { key: 'fails', requestHash: hash }, async () => ({ status: 200, body: 'ok' }));
    expect(ok).toEqual({ status: 200, body: 'ok', replayed: false });
  });

  test('the writes of a failed action are rolled back with it', async ({ db }) => {
    const ctx = ctxFor(db, { actor: WRITE_TOKEN });
    const payload = body(`Titolo ${uid()}`);
    await expect(
      withIdempotency(ctx, { key: 'half', requestHash: 'h' }, async (tx) => {
        await createIncident(tx, payload);
        throw new Error('crash after the write');
      }),
    ).rejects.toThrow('crash');
    expect(await incidentsTitled(ctx, payload.title.it)).toHaveLength(0);
  });

  test('keys expire after 24 hours', async ({ db }) => {
    const ctx = ctxFor(db, { actor: WRITE_TOKEN });
    const title = `Titolo ${uid()}`;
    await post(ctx, 'daily', body(title));
    ctx.clock.advance(IDEMPOTENCY_TTL_MS + 1000);
    // An old key is reusable even before pruning...
    expect((await post(ctx, 'daily', body(`${title} 2`))).replayed).toBe(false);
    // ...and pruning drops whatever is older than a day.
    ctx.clock.advance(IDEMPOTENCY_TTL_MS + 1000);
    expect(await pruneIdempotencyKeys(ctx)).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'daily'))).toHaveLength(0);
  });

  test('refuses malformed keys, and actors who may not act', async ({ db }) => {
    const ctx = ctxFor(db, { actor: WRITE_TOKEN });
    await expectServiceError(withIdempotency(ctx, { key: '', requestHash: 'h' }, async () => ({ status: 200, body: 1 })), 'validation_failed');
    await expectServiceError(withIdempotency(ctx, { key: 'a b', requestHash: 'h' }, async () => ({ status: 200, body: 1 })), 'validation_failed');
    await expectServiceError(
      withIdempotency(as(ctx, { kind: 'public', id: 'anonymous' }), { key: 'k', requestHash: 'h' }, async () => ({ status: 200, body: 1 })),
      'forbidden',
    );
    // The action's own authorization still applies inside.
    await expectServiceError(post(as(ctx, READ_TOKEN), 'read-only', body('x')), 'forbidden');
  });
});
