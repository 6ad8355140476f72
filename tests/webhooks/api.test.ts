/** /api/v1/webhooks: admin scope, field errors in wire names, the secret shown only where documented. */
import { afterEach, describe, expect, it } from 'vitest';
import { V1, expectError, useApi } from '../api/support.ts';
import { configureWebhooks } from '../../src/webhooks/policy.ts';

const api = useApi();
afterEach(() => configureWebhooks({ webhooksAllowPrivate: false }));

describe('/api/v1/webhooks', () => {
  it('needs the admin scope', () =>
    api.run(async ({ get, post, token }) => {
      const write = await token('write');
      expectError(await get(`${V1}/webhooks`, write), 403, 'forbidden');
      expectError(await post(`${V1}/webhooks`, write, { url: 'https://93.184.215.14/', events: ['*'], owner_email: 'a@example.org' }), 403, 'forbidden');
    }));

  it('refuses unsafe URLs naming the field, and bad events and e-mail', () =>
    api.run(async ({ post, token }) => {
      const admin = await token('admin');
      const http = expectError(await post(`${V1}/webhooks`, admin, { url: 'http://partner.example.com/', events: ['*'], owner_email: 'a@example.org' }), 422, 'validation_failed');
      expect(http.fields).toEqual({ url: 'must start with https://' });
      const loopback = expectError(await post(`${V1}/webhooks`, admin, { url: 'https://127.0.0.1/', events: ['*'], owner_email: 'a@example.org' }), 422, 'validation_failed');
      expect(Object.keys(loopback.fields ?? {})).toEqual(['url']);
      const bad = expectError(await post(`${V1}/webhooks`, admin, { url: 'https://93.184.215.14/', events: ['nope'], owner_email: 'x' }), 422, 'validation_failed');
      expect(Object.keys(bad.fields ?? {}).sort()).toEqual(['events.0', 'owner_email']);
    }));

  it('creates, shows, rotates, disables, tests and deletes', () =>
    api.run(async ({ call, get, post, token }) => {
      configureWebhooks({ webhooksAllowPrivate: true });
      const admin = await token('admin');
      const created = await post(`${V1}/webhooks`, admin, { url: 'http://127.0.0.1:9/hook', events: ['incident.*'], owner_email: 'Ops@Partner.example', locale: 'en' });
      expect(created.status, created.text).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const id = created.body.endpoint.id as string;
      expect(created.body).toMatchObject({ endpoint: { state: 'active', owner_email: 'ops@partner.example', events: ['incident.*'], locale: 'en' } });
      expect(created.body.secret).toMatch(/^whsec_/);

      const list = await get(`${V1}/webhooks`, admin);
      expect(list.body.items.map((w: { id: string }) => w.id)).toContain(id);
      expect(list.text).not.toContain(created.body.secret);

      const shown = await get(`${V1}/webhooks/${id}`, admin);
      expect(shown.body.secret).toBe(created.body.secret);
      const rotated = await post(`${V1}/webhooks/${id}/rotate-secret`, admin);
      expect(rotated.body.secret).not.toBe(created.body.secret);

      const queued = await post(`${V1}/webhooks/${id}/test`, admin);
      expect(queued.status, queued.text).toBe(202);
      expect(queued.body).toMatchObject({ event_type: 'webhook.test', state: 'pending', attempts: 0, log: [] });
      const log = await get(`${V1}/webhooks/${id}/deliveries?limit=5`, admin);
      expect(log.body).toMatchObject({ items: [{ id: queued.body.id }], next_cursor: null });

      const patched = await call('PATCH', `${V1}/webhooks/${id}`, { token: admin, body: { url: 'http://127.0.0.1:9/other', events: ['maintenance.*'] } });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body).toMatchObject({ url: 'http://127.0.0.1:9/other', events: ['maintenance.*'], locale: 'en', owner_email: 'ops@partner.example' });
      expect((await get(`${V1}/webhooks/${id}`, admin)).body.secret).toBe(rotated.body.secret);
      const badPatch = expectError(await call('PATCH', `${V1}/webhooks/${id}`, { token: admin, body: { events: [] } }), 422, 'validation_failed');
      expect(Object.keys(badPatch.fields ?? {})).toEqual(['events']);

      // Nothing failed yet: nothing to send again; the test delivery, still pending, cannot be named.
      const none = await post(`${V1}/webhooks/${id}/redeliver`, admin, {});
      expect(none.status, none.text).toBe(202);
      expect(none.body).toEqual({ items: [] });
      const named = expectError(await post(`${V1}/webhooks/${id}/redeliver`, admin, { delivery_id: queued.body.id }), 409, 'conflict');
      expect(named.fields).toEqual({ delivery_id: 'not a failed delivery of this endpoint' });

      const disabled = await post(`${V1}/webhooks/${id}/state`, admin, { enabled: false });
      expect(disabled.body).toMatchObject({ state: 'disabled', disabled_reason: 'operator' });
      expectError(await post(`${V1}/webhooks/${id}/test`, admin), 409, 'conflict');
      expectError(await post(`${V1}/webhooks/${id}/redeliver`, admin, {}), 409, 'conflict');

      const deleted = await call('DELETE', `${V1}/webhooks/${id}`, { token: admin });
      expect(deleted.status, deleted.text).toBe(200);
      expect(deleted.body).toMatchObject({ id, state: 'disabled' });
      expectError(await get(`${V1}/webhooks/${id}`, admin), 404, 'not_found');
    }));
});
