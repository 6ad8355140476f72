/** Every operator action through the API, resource by resource (the rules themselves are tested on the services). */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { events } from '../../db/schema/index.ts';
import { type ApiTest, V1, expectError, uid, uniqueKey, useApi } from './support.ts';

const api = useApi();
const HOUR = 3_600_000;
const later = (a: ApiTest, ms: number) => new Date(a.ctx.now().getTime() + ms).toISOString();

async function incident(a: ApiTest, token: string, services: { service: string; status: string }[] = []) {
  const res = await a.post(`${V1}/incidents`, token, {
    title: { it: 'Guasto', en: 'Outage' },
    impact: 'major',
    body: { it: 'Verifichiamo.', en: 'Checking.' },
    services,
  });
  expect(res.status, res.text).toBe(201);
  return res.body.incident as { id: string; version: number };
}

describe('incidents', () => {
  it('list with filters, edit, resolve (restoring services) and postmortem', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const open = await incident(a, write, [{ service: svc.key, status: 'major_outage' }]);
      a.ctx.clock.advance(HOUR);

      const edited = await a.patch(`${V1}/incidents/${open.id}`, write, {
        expected_version: open.version,
        title: { it: 'Guasto al portale', en: 'Portal outage' },
        next_update_by: later(a, HOUR),
      });
      expect(edited.status, edited.text).toBe(200);
      expect(edited.body).toMatchObject({ version: open.version + 1, title: { en: 'Portal outage' }, next_update_by: later(a, HOUR) });

      const listed = await a.get(`${V1}/incidents?filter=open&limit=200`, write);
      expect(listed.status, listed.text).toBe(200);
      const item = listed.body.items.find((i: { id: string }) => i.id === open.id);
      expect(item).toMatchObject({ open: true, overdue: false, update_count: 1, service_keys: [svc.key] });
      expectError(await a.get(`${V1}/incidents?filter=sideways`, write), 422, 'validation_failed');
      expect(expectError(await a.get(`${V1}/incidents?limit=0`, write), 422, 'validation_failed').fields).toHaveProperty('limit');

      a.ctx.clock.advance(HOUR);
      const resolved = await a.post(`${V1}/incidents/${open.id}/resolve`, write, { body: { it: 'Risolto.', en: 'Resolved.' } });
      expect(resolved.status, resolved.text).toBe(200);
      expect(resolved.body.incident).toMatchObject({ status: 'resolved', next_update_by: null, resolved_at: a.ctx.now().toISOString() });
      expect((await a.get(`${V1}/services/${svc.key}`, write)).body.status).toBe('operational');
      expectError(await a.post(`${V1}/incidents/${open.id}/resolve`, write, { body: { it: 'Ancora.' } }), 409, 'conflict');
      expect((await a.get(`${V1}/incidents?filter=closed&limit=200`, write)).body.items.some((i: { id: string }) => i.id === open.id)).toBe(true);

      const pm = await a.post(`${V1}/incidents/${open.id}/postmortem`, write, { body: { it: '## Cosa è successo', en: '## What happened' } });
      expect(pm.status, pm.text).toBe(200);
      expect(pm.body).toMatchObject({ status: 'postmortem', postmortem: { it: '## Cosa è successo', en: '## What happened' } });
    }));
});

describe('resolving with open milestones', () => {
  it('resolves, and names the milestones left open as follow-up work (through /resolve and through an update)', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const first = await incident(a, write);
      const open = (await a.post(`${V1}/incidents/${first.id}/milestones`, write, { title: { it: 'Recupero arretrato' }, expected_at: later(a, 4 * HOUR) })).body;
      await a.post(`${V1}/incidents/${first.id}/milestones`, write, { title: { it: 'Server' }, state: 'done' });
      const resolved = await a.post(`${V1}/incidents/${first.id}/resolve`, write, { body: { it: 'Risolto.' } });
      expect(resolved.status, resolved.text).toBe(200);
      expect(resolved.body.incident.status).toBe('resolved');
      expect(resolved.body.open_milestones).toEqual([
        expect.objectContaining({ id: open.id, title: { it: 'Recupero arretrato' }, state: 'planned', expected_at: later(a, 4 * HOUR), service: null }),
      ]);

      const second = await incident(a, write);
      await a.post(`${V1}/incidents/${second.id}/milestones`, write, { title: { it: 'Verifica' }, state: 'in_progress' });
      const monitoring = await a.post(`${V1}/incidents/${second.id}/updates`, write, { status: 'monitoring', body: { it: 'Monitoriamo.' } });
      expect(monitoring.body.open_milestones).toEqual([]);
      const byUpdate = await a.post(`${V1}/incidents/${second.id}/updates`, write, { status: 'resolved', body: { it: 'Risolto.' } });
      expect(byUpdate.status, byUpdate.text).toBe(201);
      expect(byUpdate.body.open_milestones.map((m: { title: { it: string } }) => m.title.it)).toEqual(['Verifica']);
    }));
});

describe('recovery plan and FAQ', () => {
  it('milestones: add, edit, move through states, reorder; FAQ: add, edit, reorder, delete', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const { id } = await incident(a, write);
      const m1 = (await a.post(`${V1}/incidents/${id}/milestones`, write, { title: { it: 'Uno' } })).body;
      const m2 = (await a.post(`${V1}/incidents/${id}/milestones`, write, { title: { it: 'Due' }, state: 'in_progress' })).body;
      expect([m1.sort_order, m2.sort_order]).toEqual([0, 1]);
      expect(m1).toMatchObject({ incident_id: id, service: null, state: 'planned', description: null });

      const edited = await a.patch(`${V1}/milestones/${m1.id}`, write, { service: svc.key, expected_at: later(a, 4 * HOUR), description: { it: 'Dettagli' } });
      expect(edited.status, edited.text).toBe(200);
      expect(edited.body).toMatchObject({ service: svc.key, expected_at: later(a, 4 * HOUR), description: { it: 'Dettagli' } });
      const detached = await a.patch(`${V1}/milestones/${m1.id}`, write, { service: null, description: null });
      expect(detached.body).toMatchObject({ service: null, description: null });

      const delay = await a.post(`${V1}/milestones/${m2.id}/state`, write, { state: 'delayed' });
      expect(Object.keys(expectError(delay, 422, 'validation_failed').fields!).sort()).toEqual(['delay_reason', 'expected_at']);
      expect((await a.post(`${V1}/milestones/${m2.id}/state`, write, { state: 'done' })).body.state).toBe('done');

      const order = await a.put(`${V1}/incidents/${id}/milestones/order`, write, { ordered_ids: [m2.id, m1.id] });
      expect(order.body.items.map((m: { id: string }) => m.id)).toEqual([m2.id, m1.id]);
      const partial = await a.put(`${V1}/incidents/${id}/milestones/order`, write, { ordered_ids: [m2.id] });
      expect(expectError(partial, 422, 'validation_failed').fields).toHaveProperty('ordered_ids');
      expect((await a.get(`${V1}/incidents/${id}/milestones`, write)).body.items.map((m: { id: string }) => m.id)).toEqual([m2.id, m1.id]);

      const q1 = await a.post(`${V1}/incidents/${id}/faq`, write, { question: { it: 'Devo rifare le fatture?' }, answer: { it: 'No.' } });
      expect(q1.status, q1.text).toBe(201);
      expect(q1.body.slug).toBe('devo-rifare-le-fatture');
      const q2 = (await a.post(`${V1}/incidents/${id}/faq`, write, { question: { it: 'Quando?' }, answer: { it: 'Presto.' }, slug: 'quando' })).body;
      expectError(await a.patch(`${V1}/faq/${q2.id}`, write, { slug: 'devo-rifare-le-fatture' }), 409, 'conflict');
      expect((await a.patch(`${V1}/faq/${q2.id}`, write, { answer: { it: 'Entro lunedì.', en: 'By Monday.' } })).body.answer).toEqual({
        it: 'Entro lunedì.',
        en: 'By Monday.',
      });
      const faqOrder = await a.put(`${V1}/incidents/${id}/faq/order`, write, { ordered_ids: [q2.id, q1.body.id] });
      expect(faqOrder.body.items.map((f: { id: string }) => f.id)).toEqual([q2.id, q1.body.id]);
      expect((await a.call('DELETE', `${V1}/faq/${q1.body.id}`, { token: write })).status).toBe(200);
      expect((await a.get(`${V1}/incidents/${id}/faq`, write)).body.items.map((f: { id: string }) => f.id)).toEqual([q2.id]);
      expectError(await a.call('DELETE', `${V1}/faq/${q1.body.id}`, { token: write }), 404, 'not_found');
    }));
});

describe('notices', () => {
  it('publish, list, read, correct and close', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const other = await a.service();
      const { id: incidentId } = await incident(a, write);
      const published = await a.post(`${V1}/notices`, write, {
        incident_id: incidentId,
        title: { it: 'Dati mancanti', en: 'Missing data' },
        audience: { it: 'Clienti delle aree nord' },
        action: { it: 'Ricaricate i file dal 9 marzo.' },
        services: [svc.key],
        windows: [
          { scope: { it: 'La maggior parte delle aree' }, restored_until: '2026-03-09T18:00:00Z' },
          { scope: { it: 'Alcune aree' }, restored_until: '2026-03-08T00:00:00+01:00', gap_ends_at: '2026-03-10T00:00:00Z', pending: true },
        ],
      });
      expect(published.status, published.text).toBe(201);
      const notice = published.body;
      expect(notice).toMatchObject({
        incident_id: incidentId,
        services: [svc.key],
        closed_at: null,
        windows: [
          { scope: { it: 'La maggior parte delle aree' }, restored_until: '2026-03-09T18:00:00.000Z', gap_ends_at: null, pending: false },
          { scope: { it: 'Alcune aree' }, restored_until: '2026-03-07T23:00:00.000Z', gap_ends_at: '2026-03-10T00:00:00.000Z', pending: true },
        ],
      });
      expect((await a.get(`${V1}/notices?incident_id=${incidentId}`, write)).body.items.map((n: { id: string }) => n.id)).toEqual([notice.id]);
      expect((await a.get(`${V1}/notices/${notice.id}`, write)).body).toEqual(notice);

      const corrected = await a.patch(`${V1}/notices/${notice.id}`, write, {
        services: [svc.key, other.key],
        windows: [{ scope: { it: 'Tutte le aree' }, restored_until: '2026-03-10T06:00:00Z' }],
        audience: null,
      });
      expect(corrected.status, corrected.text).toBe(200);
      expect(corrected.body).toMatchObject({ audience: null, windows: [{ restored_until: '2026-03-10T06:00:00.000Z', pending: false }] });
      expect([...corrected.body.services].sort()).toEqual([svc.key, other.key].sort());

      const closed = await a.post(`${V1}/notices/${notice.id}/close`, write);
      expect(closed.status, closed.text).toBe(200);
      expect(closed.body.closed_at).toBe(a.ctx.now().toISOString());
      expect((await a.get(`${V1}/notices?incident_id=${incidentId}`, write)).body.items).toEqual([]);
      expect((await a.get(`${V1}/notices?incident_id=${incidentId}&include_closed=true`, write)).body.items).toHaveLength(1);
    }));
});

describe('maintenance', () => {
  it('schedule, edit, start, verify, complete, list', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const scheduled = await a.post(`${V1}/maintenance`, write, {
        title: { it: 'Aggiornamento del database', en: 'Database upgrade' },
        services: [svc.key],
        scheduled_start: later(a, 2 * HOUR),
        scheduled_end: later(a, 4 * HOUR),
      });
      expect(scheduled.status, scheduled.text).toBe(201);
      const m = scheduled.body;
      expect(m).toMatchObject({ status: 'scheduled', allowed_next: expect.arrayContaining(['in_progress']), services: [{ key: svc.key }] });
      const backwards = await a.post(`${V1}/maintenance`, write, {
        title: { it: 'X' },
        services: [svc.key],
        scheduled_start: later(a, 4 * HOUR),
        scheduled_end: later(a, 2 * HOUR),
      });
      expect(expectError(backwards, 422, 'validation_failed').fields).toHaveProperty('scheduled_end');

      expect((await a.patch(`${V1}/maintenance/${m.id}`, write, { scheduled_end: later(a, 5 * HOUR) })).body.scheduled_end).toBe(later(a, 5 * HOUR));
      const started = await a.post(`${V1}/maintenance/${m.id}/start`, write);
      expect(started.status, started.text).toBe(200);
      expect(started.body.status).toBe('in_progress');
      expect((await a.get(`${V1}/services/${svc.key}`, write)).body.status).toBe('under_maintenance');
      expect((await a.post(`${V1}/maintenance/${m.id}/verify`, write, {})).body.status).toBe('verifying');
      a.ctx.clock.advance(HOUR);
      const completed = await a.post(`${V1}/maintenance/${m.id}/complete`, write, { at: a.ctx.now().toISOString() });
      expect(completed.body).toMatchObject({ status: 'completed', completed_at: a.ctx.now().toISOString() });
      expect((await a.get(`${V1}/services/${svc.key}`, write)).body.status).toBe('operational');
      expect((await a.get(`${V1}/maintenance?filter=past`, write)).body.items.some((w: { id: string }) => w.id === m.id)).toBe(true);
      expect((await a.get(`${V1}/maintenance`, write)).body.items.some((w: { id: string }) => w.id === m.id)).toBe(false);
    }));

  it('notify: chosen when scheduling (default true), kept for the steps that follow, changed by an edit', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const window = { title: { it: 'Riavvio' }, services: [svc.key], scheduled_start: later(a, 2 * HOUR), scheduled_end: later(a, 3 * HOUR) };
      const loud = await a.post(`${V1}/maintenance`, write, window);
      expect(loud.body.notify).toBe(true);
      const quiet = await a.post(`${V1}/maintenance`, write, { ...window, notify: false });
      expect(quiet.status, quiet.text).toBe(201);
      expect(quiet.body.notify).toBe(false);
      const started = await a.post(`${V1}/maintenance/${quiet.body.id}/start`, write);
      expect(started.body.notify).toBe(false);
      // The start, by hand here as by the scheduler, follows the window's choice.
      const told = await a.ctx.db.select().from(events).where(eq(events.maintenanceId, quiet.body.id));
      expect(told.map((e) => [e.type, e.notify]).sort()).toEqual([['maintenance.scheduled', false], ['maintenance.started', false]]);
      expect((await a.patch(`${V1}/maintenance/${quiet.body.id}`, write, { notify: true })).body.notify).toBe(true);
      expect((await a.get(`${V1}/maintenance/${quiet.body.id}`, write)).body.notify).toBe(true);
      expect(expectError(await a.patch(`${V1}/maintenance/${quiet.body.id}`, write, { notify: 'no' }), 422, 'validation_failed').fields).toHaveProperty('notify');
    }));
});

describe('services', () => {
  it('create, edit (null clears), read, list; the key never changes', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const key = uniqueKey('api');
      const created = await a.post(`${V1}/services`, write, {
        key,
        name: { it: 'Canale di emergenza', en: 'Emergency channel' },
        group_name: { it: 'Canali' },
        available_from: later(a, -HOUR),
        available_until: later(a, 48 * HOUR),
      });
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({ key, group_name: { it: 'Canali' }, available_until: later(a, 48 * HOUR), heartbeat_timeout_seconds: null });
      expectError(await a.post(`${V1}/services`, write, { key, name: { it: 'Doppio' } }), 409, 'conflict');

      const edited = await a.patch(`${V1}/services/${key}`, write, { group_name: null, available_until: null, sort_order: 7 });
      expect(edited.status, edited.text).toBe(200);
      expect(edited.body).toMatchObject({ key, group_name: null, available_until: null, sort_order: 7, status: 'operational' });
      expect(expectError(await a.patch(`${V1}/services/${key}`, write, { key: 'renamed', heartbeat_timeout_seconds: 1 }), 422, 'validation_failed').fields).toHaveProperty(
        'heartbeat_timeout_seconds',
      );
      expect((await a.get(`${V1}/services`, write)).body.items.some((s: { key: string }) => s.key === key)).toBe(true);
    }));
});

describe('administration', () => {
  it('tokens: created with the secret once, listed without it; operators: created, listed, edited; the last admin stays', () =>
    api.run(async (a) => {
      const admin = await a.token('admin');
      const created = await a.post(`${V1}/tokens`, admin, { name: 'monitoring', scopes: ['write'], expires_at: later(a, 30 * 24 * HOUR) });
      expect(created.status, created.text).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      expect(created.body.token).toMatchObject({ name: 'monitoring', scopes: ['write'], state: 'active', prefix: created.body.secret.slice(0, 10) });
      const listed = await a.get(`${V1}/tokens`, admin);
      expect(listed.text).not.toContain(created.body.secret);
      expect(listed.text).not.toMatch(/token_hash|tokenHash/);
      expect(listed.body.items.find((t: { id: string }) => t.id === created.body.token.id)).toMatchObject({ state: 'active', last_used_at: null });
      expect((await a.get(`${V1}/services`, created.body.secret)).status).toBe(200);
      expect(expectError(await a.post(`${V1}/tokens`, admin, { name: 'x', scopes: ['root'] }), 422, 'validation_failed').fields).toHaveProperty(
        'scopes.0',
      );
      expect(expectError(await a.post(`${V1}/tokens`, admin, { name: 'x', scopes: ['read'], expires_at: later(a, -HOUR) }), 422, 'validation_failed').fields).toEqual({
        expires_at: 'must be in the future',
      });

      const email = `ops-${uid()}@example.org`;
      const op = await a.post(`${V1}/operators`, admin, { email, name: 'Ops', role: 'admin', password: 'a-long-enough-password' });
      expect(op.status, op.text).toBe(201);
      expect(op.text).not.toMatch(/password_hash|passwordHash|\$argon2/);
      // The password an administrator chose is a temporary one unless they say otherwise.
      expect(op.body).toMatchObject({ email, role: 'admin', disabled_at: null, must_change_password: true });
      const own = await a.post(`${V1}/operators`, admin, { email: `own-${email}`, name: 'Own', role: 'viewer', password: 'a-long-enough-password', must_change_password: false });
      expect(own.body).toMatchObject({ must_change_password: false });
      expectError(await a.post(`${V1}/operators`, admin, { email, name: 'Again', role: 'viewer', password: 'a-long-enough-password' }), 409, 'conflict');
      expect(
        Object.keys(expectError(await a.post(`${V1}/operators`, admin, { email: 'nope', name: 'X', role: 'viewer', password: 'short' }), 422, 'validation_failed').fields!).sort(),
      ).toEqual(['email', 'password']);
      expect((await a.get(`${V1}/operators`, admin)).body.items.some((o: { email: string }) => o.email === email)).toBe(true);

      const others = (await a.get(`${V1}/operators`, admin)).body.items.filter((o: { role: string; disabled_at: string | null; id: string }) => o.role === 'admin' && !o.disabled_at);
      // Each test runs on its own transaction: the new operator is the only administrator.
      expect(others).toHaveLength(1);
      const last = await a.patch(`${V1}/operators/${op.body.id}`, admin, { role: 'viewer' });
      expect(expectError(last, 409, 'conflict').message).toMatch(/last active administrator/);
      const second = await a.post(`${V1}/operators`, admin, { email: `b-${email}`, name: 'B', role: 'admin', password: 'a-long-enough-password' });
      const demoted = await a.patch(`${V1}/operators/${op.body.id}`, admin, { role: 'editor', disabled: true });
      expect(demoted.status, demoted.text).toBe(200);
      expect(demoted.body).toMatchObject({ role: 'editor', disabled_at: a.ctx.now().toISOString() });
      expect(second.status).toBe(201);
    }));

  it('the audit log: every change with its author; operator and token history for admin tokens only', () =>
    api.run(async (a) => {
      const admin = await a.token('admin');
      const read = await a.token('read');
      const { id } = await incident(a, admin);
      await a.post(`${V1}/tokens`, admin, { name: 'audited', scopes: ['read'] });

      const mine = await a.get(`${V1}/audit?object_type=incident&object_id=${id}`, read);
      expect(mine.status, mine.text).toBe(200);
      expect(mine.body.items[0]).toMatchObject({ action: 'incident.create', object_type: 'incident', object_id: id, before: null });
      expect(mine.body.items[0].actor).toMatch(/^token:/);
      expect(mine.body.items[0].after).toMatchObject({ id, status: 'investigating', started_at: expect.any(String) });

      const tokensForRead = await a.get(`${V1}/audit?object_type=api_token`, read);
      expect(tokensForRead.body.items).toEqual([]);
      const tokensForAdmin = await a.get(`${V1}/audit?object_type=api_token`, admin);
      expect(tokensForAdmin.body.items.length).toBeGreaterThan(0);
      expect(tokensForAdmin.text).not.toMatch(/vdt_[A-Za-z0-9_-]{20,}/);

      const page1 = await a.get(`${V1}/audit?limit=1`, admin);
      expect(page1.body.items).toHaveLength(1);
      expect(page1.body.next_cursor).toEqual(expect.any(String));
      const page2 = await a.get(`${V1}/audit?limit=1&before=${page1.body.next_cursor}`, admin);
      expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
      expect(expectError(await a.get(`${V1}/audit?before=garbage`, admin), 422, 'validation_failed').fields).toHaveProperty('before');
    }));

  it('the dashboard: open incidents, services not operational, counts', () =>
    api.run(async (a) => {
      const read = await a.token('read');
      const write = await a.token('write');
      const svc = await a.service();
      const { id } = await incident(a, write, [{ service: svc.key, status: 'partial_outage' }]);
      const res = await a.get(`${V1}/dashboard`, read);
      expect(res.status, res.text).toBe(200);
      expect(res.body.now).toBe(a.ctx.now().toISOString());
      expect(res.body.open_incidents.some((i: { id: string }) => i.id === id)).toBe(true);
      expect(res.body.services_not_operational).toContainEqual(expect.objectContaining({ key: svc.key, status: 'partial_outage', source: 'incident' }));
      expect(res.body.counts.open_incidents).toBeGreaterThanOrEqual(1);
    }));
});
