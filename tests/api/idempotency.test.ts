/** Idempotency-Key: a retried POST never acts twice. */
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { backlogSamples, idempotencyKeys, incidentUpdates, incidents } from '../../db/schema/index.ts';
import { type ApiTest, V1, expectError, uid, useApi } from './support.ts';

const api = useApi();

async function rows(a: ApiTest, table: typeof incidents | typeof incidentUpdates | typeof backlogSamples) {
  const [row] = await a.ctx.db.select({ n: count() }).from(table);
  return row!.n;
}

async function openIncident(a: ApiTest, token: string) {
  const res = await a.post(`${V1}/incidents`, token, {
    title: { it: 'Rallentamenti', en: 'Slowness' },
    impact: 'minor',
    body: { it: 'Verifichiamo.', en: 'Checking.' },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.incident as { id: string; version: number };
}

describe('Idempotency-Key', () => {
  it('a retry answers the first response again, marked as replayed, and writes nothing more', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const key = `retry-${uid()}`;
      const body = { title: { it: 'Guasto', en: 'Outage' }, impact: 'major', body: { it: 'Verifichiamo.', en: 'Checking.' } };
      const before = await rows(a, incidents);

      const first = await a.post(`${V1}/incidents`, write, body, { 'Idempotency-Key': key });
      expect(first.status, first.text).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();

      a.ctx.clock.advance(5_000);
      const retry = await a.post(`${V1}/incidents`, write, body, { 'Idempotency-Key': key });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body).toEqual(first.body);
      // Every response has its own request id, replays included.
      expect(retry.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));

      expect(await rows(a, incidents)).toBe(before + 1);
    }));

  it('the same JSON with another key order is the same request', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const key = `order-${uid()}`;
      const first = await a.call('POST', `${V1}/services/${svc.key}/backlog`, {
        token: write,
        raw: '{"metric":"queue","label":{"it":"Coda","en":"Queue"},"count":12}',
        headers: { 'Idempotency-Key': key },
      });
      expect(first.status, first.text).toBe(201);
      const retry = await a.call('POST', `${V1}/services/${svc.key}/backlog`, {
        token: write,
        raw: '{ "count": 12, "label": { "en": "Queue", "it": "Coda" }, "metric": "queue" }',
        headers: { 'Idempotency-Key': key },
      });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      const [n] = await a.ctx.db.select({ n: count() }).from(backlogSamples).where(eq(backlogSamples.serviceId, svc.id));
      expect(n!.n).toBe(1);
    }));

  it('the same key with a different body (or path) is refused with 409 and changes nothing', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const incident = await openIncident(a, write);
      const key = `update-${uid()}`;
      const update = { status: 'identified', body: { it: 'Causa trovata.', en: 'Cause found.' } };
      expect((await a.post(`${V1}/incidents/${incident.id}/updates`, write, update, { 'Idempotency-Key': key })).status).toBe(201);
      const updatesBefore = await rows(a, incidentUpdates);

      const changed = await a.post(
        `${V1}/incidents/${incident.id}/updates`,
        write,
        { ...update, body: { it: 'Altro testo.', en: 'Other text.' } },
        { 'Idempotency-Key': key },
      );
      const error = expectError(changed, 409, 'idempotency_key_reused');
      expect(error.message).toMatch(/different request/);
      expect(error.fields).toEqual({ 'Idempotency-Key': 'idempotency_key_reused' });

      const otherPath = await a.post(`${V1}/incidents`, write, { title: { it: 'X' }, impact: 'minor', body: { it: 'X' } }, { 'Idempotency-Key': key });
      expectError(otherPath, 409, 'idempotency_key_reused');
      expect(await rows(a, incidentUpdates)).toBe(updatesBefore);
    }));

  it('only successes are stored: after an error the same key runs the corrected request', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const incident = await openIncident(a, write);
      const key = `fix-${uid()}`;
      const wrong = await a.post(
        `${V1}/incidents/${incident.id}/updates`,
        write,
        { status: 'identified', body: { it: 'Testo' }, expected_version: incident.version + 5 },
        { 'Idempotency-Key': key },
      );
      expectError(wrong, 409, 'conflict');
      const [stored] = await a.ctx.db.select({ n: count() }).from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
      expect(stored!.n).toBe(0);

      // A retry of the same failing request fails the same way (it runs again, nothing was remembered)...
      expectError(
        await a.post(
          `${V1}/incidents/${incident.id}/updates`,
          write,
          { status: 'identified', body: { it: 'Testo' }, expected_version: incident.version + 5 },
          { 'Idempotency-Key': key },
        ),
        409,
        'conflict',
      );
      // ...and the corrected one goes through with the same key.
      const fixed = await a.post(
        `${V1}/incidents/${incident.id}/updates`,
        write,
        { status: 'identified', body: { it: 'Testo' }, expected_version: incident.version },
        { 'Idempotency-Key': key },
      );
      expect(fixed.status, fixed.text).toBe(201);
    }));

  it('a refused scope does not burn the key', () =>
    api.run(async (a) => {
      const read = await a.token('read');
      const svc = await a.service();
      const key = `scope-${uid()}`;
      expectError(await a.post(`${V1}/services/${svc.key}/heartbeat`, read, undefined, { 'Idempotency-Key': key }), 403, 'forbidden');
      const [stored] = await a.ctx.db.select({ n: count() }).from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
      expect(stored!.n).toBe(0);
    }));

  it('keys belong to one token: another token with the same key is a different request', () =>
    api.run(async (a) => {
      const one = await a.token('write');
      const two = await a.token('write');
      const key = `shared-${uid()}`;
      const body = { title: { it: 'Guasto' }, impact: 'minor', body: { it: 'Verifichiamo.' } };
      const before = await rows(a, incidents);
      const first = await a.post(`${V1}/incidents`, one, body, { 'Idempotency-Key': key });
      const second = await a.post(`${V1}/incidents`, two, body, { 'Idempotency-Key': key });
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.headers.get('idempotent-replayed')).toBeNull();
      expect(second.body.incident.id).not.toBe(first.body.incident.id);
      expect(await rows(a, incidents)).toBe(before + 2);
    }));

  it('an invalid key is refused with 422 naming the header', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      for (const bad of ['x'.repeat(256), 'with space', 'àccent']) {
        const res = await a.call('POST', `${V1}/services/${svc.key}/heartbeat`, {
          token: write,
          headers: { 'Idempotency-Key': bad },
        });
        const error = expectError(res, 422, 'validation_failed');
        expect(Object.keys(error.fields ?? {})).toEqual(['Idempotency-Key']);
      }
    }));

  it('a replayed token creation does not reveal the secret again (it is never stored)', () =>
    api.run(async (a) => {
      const admin = await a.token('admin');
      const key = `token-${uid()}`;
      const first = await a.post(`${V1}/tokens`, admin, { name: 'pipeline', scopes: ['write'] }, { 'Idempotency-Key': key });
      expect(first.status, first.text).toBe(201);
      expect(first.body.secret).toMatch(/^vdt_/);
      const [stored] = await a.ctx.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
      expect(JSON.stringify(stored!.body)).not.toContain(first.body.secret);

      const replay = await a.post(`${V1}/tokens`, admin, { name: 'pipeline', scopes: ['write'] }, { 'Idempotency-Key': key });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.secret).toBeNull();
      expect(replay.body.token).toEqual(first.body.token);
      const list = await a.get(`${V1}/tokens`, admin);
      expect(list.body.items.filter((t: { name: string }) => t.name === 'pipeline')).toHaveLength(1);
    }));

  it('GET ignores the header', () =>
    api.run(async (a) => {
      const read = await a.token('read');
      const res = await a.call('GET', `${V1}/services`, { token: read, headers: { 'Idempotency-Key': 'k' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
    }));
});
