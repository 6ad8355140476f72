import { eq, inArray } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import {
  auditLog,
  incidentServices,
  incidentUpdateServices,
  incidentUpdates,
  incidents,
} from '../../db/schema/index.ts';
import { setServiceStatus } from '../../src/services/catalog.ts';
import { createIncident, postIncidentUpdate, publishPostmortem } from '../../src/services/incidents.ts';
import {
  HOUR,
  auditFor,
  clock,
  expectServiceError,
  intervalsOf,
  makeCtx,
  makeIncident,
  makeService,
  uid,
  uniqueKey,
} from './factories.ts';
import { dbTest as test } from '../support/db.ts';
import type { Db } from '../../db/client.ts';

// Opens the file's database under the hook timeout rather than the first test's (slow on a busy machine).
test.beforeAll(async ({ database }) => void database);

const T0 = new Date('2026-03-09T23:50:00Z');
const at = (h: number) => new Date(T0.getTime() + h * HOUR);
const body = (it: string) => ({ it, en: `EN ${it}` });

async function updatesOf(db: Db, incidentId: string) {
  const rows = await db.select().from(incidentUpdates).where(eq(incidentUpdates.incidentId, incidentId));
  return rows.sort((a, b) => a.displayAt.getTime() - b.displayAt.getTime());
}

async function changesOf(db: Db, updateId: string) {
  return db.select().from(incidentUpdateServices).where(eq(incidentUpdateServices.updateId, updateId));
}

async function incidentRow(db: Db, id: string) {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id));
  return row!;
}

describe('createIncident', () => {
  test('moves affected services (source incident), links them and records the change', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const web = await makeService(ctx, { since: at(-100) });
    const sending = await makeService(ctx, { since: at(-100), status: 'degraded_performance' });
    const untouched = await makeService(ctx, { since: at(-100) });

    const { incident, update } = await createIncident(ctx, {
      title: { it: 'Interruzione del data centre', en: 'Data centre outage' },
      impact: 'critical',
      body: body('Il portale non è raggiungibile.'),
      services: [
        { service: web.key, status: 'major_outage' },
        { service: sending.key, status: 'major_outage' },
      ],
      startedAt: at(0.5),
      nextUpdateBy: at(2),
    });

    expect(incident).toMatchObject({
      status: 'investigating',
      impact: 'critical',
      startedAt: at(0.5),
      resolvedAt: null,
      nextUpdateBy: at(2),
      version: 1,
    });
    expect(update).toMatchObject({ incidentId: incident.id, status: 'investigating', displayAt: at(0.5) });

    for (const svc of [web, sending]) {
      const intervals = await intervalsOf(db, svc.id);
      expect(intervals.at(-2)!.endedAt).toEqual(at(0.5));
      expect(intervals.at(-1)).toMatchObject({
        status: 'major_outage',
        source: 'incident',
        incidentId: incident.id,
        startedAt: at(0.5),
        endedAt: null,
      });
    }
    expect(await intervalsOf(db, untouched.id)).toHaveLength(1);

    const links = await db.select().from(incidentServices).where(eq(incidentServices.incidentId, incident.id));
    expect(links.map((l) => l.serviceId).sort()).toEqual([web.id, sending.id].sort());

    const changes = await changesOf(db, update.id);
    expect(Object.fromEntries(changes.map((c) => [c.serviceId, [c.oldStatus, c.newStatus]]))).toEqual({
      [web.id]: ['operational', 'major_outage'],
      [sending.id]: ['degraded_performance', 'major_outage'],
    });
  });

  test('an incident created already resolved has resolvedAt = startedAt', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(5) });
    const { incident } = await makeIncident(ctx, { status: 'resolved', startedAt: at(1) });
    expect(incident.resolvedAt).toEqual(at(1));
  });

  test('validation errors name the fields and write nothing', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const marker = `Marker ${uid()}`;
    const error = await expectServiceError(
      createIncident(ctx, {
        title: { it: marker },
        // @ts-expect-error: outside the vocabulary
        impact: 'apocalyptic',
        body: { it: '' },
      }),
      'validation_failed',
    );
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(['body.it', 'impact']);
    const all = await db.select().from(incidents);
    expect(all.filter((i) => i.title.it === marker)).toHaveLength(0);
  });

  test('an unknown affected service rolls back the whole incident: no incident, update, status or audit row', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const web = await makeService(ctx, { since: at(-10) });
    const missing = uniqueKey('missing');
    const incidentsBefore = await db.$count(incidents);
    const auditBefore = await db.$count(auditLog);
    const updatesBefore = await db.$count(incidentUpdates);

    const error = await expectServiceError(
      makeIncident(ctx, {
        services: [
          { service: web.key, status: 'major_outage' },
          { service: missing, status: 'major_outage' },
        ],
      }),
      'validation_failed',
    );
    expect(error.message).toContain(missing);
    expect(await db.$count(incidents)).toBe(incidentsBefore);
    expect(await db.$count(incidentUpdates)).toBe(updatesBefore);
    expect(await db.$count(auditLog)).toBe(auditBefore);
    expect(await intervalsOf(db, web.id)).toMatchObject([{ status: 'operational', endedAt: null }]);
  });

  test('a service change refused half-way (dated before its current status) rolls back the services already moved', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const first = await makeService(ctx, { since: at(-10) });
    const second = await makeService(ctx, { since: at(-10) });
    await setServiceStatus(ctx, { service: second.key, status: 'partial_outage', at: at(2) });
    const incidentsBefore = await db.$count(incidents);

    const error = await expectServiceError(
      makeIncident(ctx, {
        startedAt: at(1),
        services: [
          { service: first.key, status: 'major_outage' },
          { service: second.key, status: 'major_outage' },
        ],
      }),
      'validation_failed',
    );
    // The field is the one the caller sent, and the message says which service.
    expect(Object.keys(error.fields ?? {})).toEqual(['startedAt']);
    expect(error.message).toContain(second.key);
    expect(await db.$count(incidents)).toBe(incidentsBefore);
    expect(await intervalsOf(db, first.id)).toMatchObject([{ status: 'operational', endedAt: null }]);
    expect((await intervalsOf(db, second.id)).at(-1)).toMatchObject({ status: 'partial_outage', endedAt: null });
  });

  test('a service listed twice is a validation error on services, not a database error', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const web = await makeService(ctx, { since: at(-10) });
    const incidentsBefore = await db.$count(incidents);
    const error = await expectServiceError(
      makeIncident(ctx, {
        services: [
          { service: web.key, status: 'major_outage' },
          { service: web.key, status: 'partial_outage' },
        ],
      }),
      'validation_failed',
    );
    expect(error.fields).toHaveProperty('services');
    expect(await db.$count(incidents)).toBe(incidentsBefore);
    expect(await intervalsOf(db, web.id)).toHaveLength(1);
  });

  test('a malformed date names its field', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const error = await expectServiceError(makeIncident(ctx, { startedAt: 'ieri sera', nextUpdateBy: 'dopo' }), 'validation_failed');
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(['nextUpdateBy', 'startedAt']);
  });

  test('an incident created already resolved promises no next update', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(5) });
    const { incident } = await makeIncident(ctx, { status: 'resolved', startedAt: at(1), nextUpdateBy: at(2) });
    expect(incident.nextUpdateBy).toBeNull();
  });

  test('an incident cannot be created in postmortem: the postmortem is published on a resolved incident', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const incidentsBefore = await db.$count(incidents);
    const error = await expectServiceError(makeIncident(ctx, { status: 'postmortem' }), 'validation_failed');
    expect(error.fields).toHaveProperty('status');
    expect(await db.$count(incidents)).toBe(incidentsBefore);
  });

  test('writes an audit row with the actor and the created incident', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0), actor: { kind: 'token', id: 'tok-1', scopes: ['write'] } });
    const { incident } = await makeIncident(ctx);
    const audit = await auditFor(db, 'incident', incident.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'incident.create', actor: 'token:tok-1', before: null, at: at(0) });
    expect(audit[0]!.after).toMatchObject({ id: incident.id, status: 'investigating', version: 1 });
  });
});

describe('postIncidentUpdate', () => {
  test('records old → new per service and moves their status at displayAt', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const web = await makeService(ctx, { since: at(-10) });
    const phone = await makeService(ctx, { since: at(-10) });
    const { incident } = await makeIncident(ctx, { services: [{ service: web.key, status: 'major_outage' }] });

    c.set(at(3));
    const { incident: after, update } = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'identified',
      body: body('Causa individuata.'),
      services: [
        { service: web.key, status: 'partial_outage' },
        { service: phone.key, status: 'major_outage' },
      ],
    });
    expect(update.displayAt).toEqual(at(3));
    expect(after).toMatchObject({ status: 'identified', version: 2 });
    const changes = await changesOf(db, update.id);
    expect(Object.fromEntries(changes.map((c) => [c.serviceId, [c.oldStatus, c.newStatus]]))).toEqual({
      [web.id]: ['major_outage', 'partial_outage'],
      [phone.id]: ['operational', 'major_outage'],
    });
    expect((await intervalsOf(db, web.id)).map((i) => [i.status, i.startedAt, i.endedAt])).toEqual([
      ['operational', at(-10), at(0)],
      ['major_outage', at(0), at(3)],
      ['partial_outage', at(3), null],
    ]);
    // The newly affected service is now linked to the incident.
    const links = await db.select().from(incidentServices).where(eq(incidentServices.incidentId, incident.id));
    expect(links.map((l) => l.serviceId).sort()).toEqual([web.id, phone.id].sort());
  });

  test('an update that leaves a service as it is records old = new and writes no new interval', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const web = await makeService(ctx, { since: at(-10) });
    const { incident } = await makeIncident(ctx, { services: [{ service: web.key, status: 'major_outage' }] });
    c.set(at(1));
    const { update } = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'investigating',
      body: body('Ancora in corso.'),
      services: [{ service: web.key, status: 'major_outage' }],
    });
    expect(await changesOf(db, update.id)).toMatchObject([{ oldStatus: 'major_outage', newStatus: 'major_outage' }]);
    expect(await intervalsOf(db, web.id)).toHaveLength(2);
  });

  test('resolving sets resolvedAt and clears nextUpdateBy, even when one is passed', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx, { nextUpdateBy: at(1) });
    c.set(at(6));
    const { incident: resolved } = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'resolved',
      body: body('Risolto.'),
      nextUpdateBy: at(8),
    });
    expect(resolved).toMatchObject({ status: 'resolved', resolvedAt: at(6), nextUpdateBy: null });
  });

  test('nextUpdateBy: absent keeps the promise, a date replaces it, null clears it', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx, { nextUpdateBy: at(1) });

    c.set(at(0.5));
    const kept = await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'investigating', body: body('a') });
    expect(kept.incident.nextUpdateBy).toEqual(at(1));

    c.set(at(0.75));
    const moved = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'identified',
      body: body('b'),
      nextUpdateBy: at(4),
    });
    expect(moved.incident.nextUpdateBy).toEqual(at(4));

    c.set(at(1));
    const cleared = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'monitoring',
      body: body('c'),
      nextUpdateBy: null,
    });
    expect(cleared.incident.nextUpdateBy).toBeNull();
    expect((await incidentRow(db, incident.id)).nextUpdateBy).toBeNull();
  });

  test('resolved → investigating reopens: resolvedAt is cleared', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);
    c.set(at(2));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: body('Risolto.') });
    expect((await incidentRow(db, incident.id)).resolvedAt).toEqual(at(2));

    c.set(at(3));
    const { incident: reopened } = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'investigating',
      body: body('Il problema si è ripresentato.'),
      nextUpdateBy: at(4),
    });
    expect(reopened).toMatchObject({ status: 'investigating', resolvedAt: null, nextUpdateBy: at(4), version: 3 });

    // Resolved again: the new resolution time, not the first one.
    c.set(at(5));
    const { incident: again } = await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: body('Risolto.') });
    expect(again.resolvedAt).toEqual(at(5));
  });

  test('a note on a resolved incident keeps its resolution time', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);
    c.set(at(2));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: body('Risolto.') });
    c.set(at(9));
    const { incident: noted } = await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: body('Nota.') });
    expect(noted.resolvedAt).toEqual(at(2));
  });

  test('a note on a resolved incident cannot promise a next update (it would later show as overdue)', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);
    c.set(at(2));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: body('Risolto.') });
    c.set(at(3));
    const { incident: noted } = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'resolved',
      body: body('Nota.'),
      nextUpdateBy: at(4),
    });
    expect(noted.nextUpdateBy).toBeNull();
  });

  test('an update cannot move the incident to postmortem without the postmortem text', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);
    c.set(at(2));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: body('Risolto.') });
    c.set(at(3));
    const error = await expectServiceError(
      postIncidentUpdate(ctx, { incidentId: incident.id, status: 'postmortem', body: body('Analisi') }),
      'validation_failed',
    );
    expect(error.fields).toHaveProperty('status');
    expect(await incidentRow(db, incident.id)).toMatchObject({ status: 'resolved', version: 2 });
    // The postmortem can still be published.
    const pm = await publishPostmortem(ctx, { incidentId: incident.id, body: body('Analisi') });
    expect(pm.status).toBe('postmortem');
  });

  test('an update dated before a service\'s current status names displayAt and the service', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const web = await makeService(ctx, { since: at(-10) });
    const { incident } = await makeIncident(ctx, { services: [{ service: web.key, status: 'major_outage' }] });
    c.set(at(2));
    const error = await expectServiceError(
      postIncidentUpdate(ctx, {
        incidentId: incident.id,
        status: 'monitoring',
        body: body('x'),
        displayAt: at(-1),
        services: [{ service: web.key, status: 'operational' }],
      }),
      'validation_failed',
    );
    expect(Object.keys(error.fields ?? {})).toEqual(['displayAt']);
    expect(error.message).toContain(web.key);
    expect(await incidentRow(db, incident.id)).toMatchObject({ status: 'investigating', version: 1 });
  });

  test('the postmortem is final: no update, no second postmortem', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);

    // Only a resolved incident can get a postmortem.
    const early = await expectServiceError(
      publishPostmortem(ctx, { incidentId: incident.id, body: body('Analisi') }),
      'validation_failed',
    );
    expect(early.fields).toHaveProperty('status');

    c.set(at(2));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: body('Risolto.') });
    c.set(at(48));
    const pm = await publishPostmortem(ctx, { incidentId: incident.id, body: body('Analisi delle cause') });
    expect(pm).toMatchObject({ status: 'postmortem', postmortemAt: at(48), version: 3, resolvedAt: at(2) });
    expect(pm.postmortem).toEqual(body('Analisi delle cause'));

    const updatesBefore = (await updatesOf(db, incident.id)).length;
    for (const status of ['investigating', 'resolved', 'postmortem'] as const) {
      const error = await expectServiceError(
        postIncidentUpdate(ctx, { incidentId: incident.id, status, body: body('x') }),
        'validation_failed',
      );
      expect(error.message).toMatch(/final/);
      expect(error.fields).toHaveProperty('status');
    }
    await expectServiceError(publishPostmortem(ctx, { incidentId: incident.id, body: body('Di nuovo') }), 'validation_failed');
    expect(await updatesOf(db, incident.id)).toHaveLength(updatesBefore);
    expect(await incidentRow(db, incident.id)).toMatchObject({ status: 'postmortem', version: 3 });
  });

  test('a stale expectedVersion is a conflict with a clear message, and nothing is written', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const web = await makeService(ctx, { since: at(-10) });
    const { incident } = await makeIncident(ctx, { services: [{ service: web.key, status: 'major_outage' }] });

    c.set(at(1));
    // Two operators open version 1; the first posts.
    const first = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'identified',
      body: body('Primo operatore.'),
      expectedVersion: 1,
    });
    expect(first.incident.version).toBe(2);
    const auditBefore = await db.$count(auditLog);
    const intervalsBefore = await intervalsOf(db, web.id);

    c.set(at(1.1));
    const error = await expectServiceError(
      postIncidentUpdate(ctx, {
        incidentId: incident.id,
        status: 'resolved',
        body: body('Secondo operatore.'),
        services: [{ service: web.key, status: 'operational' }],
        expectedVersion: 1,
      }),
      'conflict',
    );
    expect(error.message).toMatch(/changed while you were editing/);
    expect(error.message).toContain('version 2');
    expect(error.fields).toHaveProperty('expectedVersion');

    expect(await updatesOf(db, incident.id)).toHaveLength(2);
    expect(await incidentRow(db, incident.id)).toMatchObject({ status: 'identified', version: 2, resolvedAt: null });
    expect(await db.$count(auditLog)).toBe(auditBefore);
    expect(await intervalsOf(db, web.id)).toEqual(intervalsBefore);

    // The current version goes through.
    const ok = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'resolved',
      body: body('Secondo operatore, dopo aver ricaricato.'),
      expectedVersion: 2,
    });
    expect(ok.incident.version).toBe(3);
  });

  test('every update leaves an audit row with the actor and the incident before and after', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c, actor: { kind: 'operator', id: 'marta', role: 'editor' } });
    const { incident } = await makeIncident(ctx, { impact: 'minor' });
    c.set(at(1));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', impact: 'critical', body: body('x') });
    c.set(at(2));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: body('y') });

    const audit = await auditFor(db, 'incident', incident.id);
    expect(audit.map((a) => a.action)).toEqual(['incident.create', 'incident.update', 'incident.update']);
    expect(audit.every((a) => a.actor === 'operator:marta')).toBe(true);
    expect(audit[1]).toMatchObject({
      at: at(1),
      before: { status: 'investigating', impact: 'minor', version: 1 },
      after: { status: 'identified', impact: 'critical', version: 2 },
    });
    expect(audit[2]).toMatchObject({
      before: { status: 'identified', version: 2 },
      after: { status: 'resolved', version: 3, resolvedAt: at(2).toISOString() },
    });
  });

  test('validation failures of an update roll back everything', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const web = await makeService(ctx, { since: at(-10) });
    const { incident } = await makeIncident(ctx, { services: [{ service: web.key, status: 'major_outage' }] });
    const snapshot = async () => ({
      incident: await incidentRow(db, incident.id),
      updates: await updatesOf(db, incident.id),
      intervals: await intervalsOf(db, web.id),
      audit: await db.$count(auditLog),
    });
    const before = await snapshot();

    c.set(at(1));
    const bad = await expectServiceError(
      postIncidentUpdate(ctx, {
        incidentId: incident.id,
        status: 'monitoring',
        body: body('x'),
        services: [
          { service: web.key, status: 'operational' },
          { service: uniqueKey('missing'), status: 'operational' },
        ],
      }),
      'validation_failed',
    );
    expect(bad.fields).toHaveProperty('services');
    const parse = await expectServiceError(
      // @ts-expect-error: outside the vocabulary
      postIncidentUpdate(ctx, { incidentId: incident.id, status: 'fixed', body: { it: '' } }),
      'validation_failed',
    );
    expect(Object.keys(parse.fields ?? {}).sort()).toEqual(['body.it', 'status']);
    expect(await snapshot()).toEqual(before);
  });

  test('an unknown incident is not_found', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    await expectServiceError(
      postIncidentUpdate(ctx, { incidentId: `nope${uid()}`, status: 'resolved', body: body('x') }),
      'not_found',
    );
    await expectServiceError(publishPostmortem(ctx, { incidentId: `nope${uid()}`, body: body('x') }), 'not_found');
  });

  test('impact can be changed by an update and is kept when absent', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx, { impact: 'minor' });
    c.set(at(1));
    const raised = await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', impact: 'critical', body: body('x') });
    expect(raised.incident.impact).toBe('critical');
    c.set(at(2));
    const kept = await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'monitoring', body: body('y') });
    expect(kept.incident.impact).toBe('critical');
    const rows = await db.select().from(incidents).where(inArray(incidents.id, [incident.id]));
    expect(rows[0]!.impact).toBe('critical');
  });
});
