import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { events, incidentUpdateServices } from '../../../db/schema/index.ts';
import { createOperator, operatorActor } from '../../../src/services/auth.ts';
import { setServiceStatus } from '../../../src/services/catalog.ts';
import {
  createIncident,
  getIncidentForEdit,
  listIncidents,
  postIncidentUpdate,
  resolveIncident,
  updateIncident,
  VersionConflict,
} from '../../../src/services/incidents.ts';
import { addFaqEntry, addMilestone } from '../../../src/services/recovery.ts';
import { dbTest as test } from '../../support/db.ts';
import { type C, EDITOR, HOUR, PASSWORD, SYSTEM_ACTOR, VIEWER, as, ctxFor, email, expectAudit, expectServiceError, intervalsOf, makeService } from './helpers.ts';

const T = new Date('2026-03-10T00:00:00Z');
const txt = (it: string) => ({ it, en: `EN ${it}` });

/** The web portal, hit by a first incident (partial outage), then an hour later by a second (major outage). */
async function twoIncidentsOnOneService(db: Parameters<typeof ctxFor>[0]) {
  const ctx = ctxFor(db, { now: T });
  const web = await makeService(ctx, { since: new Date(T.getTime() - 48 * HOUR) });
  const first = await open(ctx, [{ service: web.key, status: 'partial_outage' }]);
  ctx.clock.advance(HOUR);
  const second = await open(ctx, [{ service: web.key, status: 'major_outage' }]);
  ctx.clock.advance(HOUR);
  return { ctx, web, first, second };
}

async function open(ctx: C, services: { service: string; status: 'major_outage' | 'partial_outage' | 'degraded_performance' }[] = []) {
  const { incident } = await createIncident(ctx, { title: txt('Data centre'), impact: 'major', body: txt('Verifica.'), services, nextUpdateBy: new Date(ctx.now().getTime() + HOUR) });
  return incident;
}

describe('updateIncident', { timeout: 120_000 }, () => {
  test('edits title, impact and promise with the current version, bumps it and audits before/after', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const incident = await open(ctx);
    const row = await updateIncident(ctx, { incidentId: incident.id, expectedVersion: 1, title: txt('Nuovo titolo'), impact: 'critical', nextUpdateBy: null });
    expect(row).toMatchObject({ version: 2, impact: 'critical', nextUpdateBy: null, title: txt('Nuovo titolo') });
    const audit = await expectAudit(db, 'incident', incident.id, 'incident.edit');
    expect((audit.before as { impact: string }).impact).toBe('major');
    expect((audit.after as { impact: string }).impact).toBe('critical');
  });

  test('a stale version is refused with what changed and who changed it', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const maria = await createOperator(sys, { email: email(), name: 'Maria Rossi', role: 'editor', password: PASSWORD });
    const ctx = as(sys, operatorActor(maria));
    const incident = await open(ctx);
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', body: txt('Causa.'), impact: 'critical' });

    const error = await expectServiceError(
      updateIncident(as(sys, EDITOR), { incidentId: incident.id, expectedVersion: 1, title: txt('Il mio titolo') }),
      'conflict',
    );
    expect(error.message).toContain('version 2');
    expect(error.message).toContain('status (investigating → identified)');
    expect(error.message).toContain('impact (major → critical)');
    expect(error.message).toContain('1 new update posted');
    expect(error.message).toContain('Maria Rossi');
    expect(error.message).not.toContain('title');
    expect(error.fields).toMatchObject({ expectedVersion: 'current version is 2', status: expect.any(String), impact: expect.any(String) });
    // The same facts apart from the English message, for the console to word in its language.
    expect(error).toBeInstanceOf(VersionConflict);
    expect(error).toMatchObject({ changed: ['status', 'impact'], newUpdates: 1, by: ['Maria Rossi'] });

    // postIncidentUpdate explains its conflicts the same way.
    const posting = await expectServiceError(
      postIncidentUpdate(ctx, { incidentId: incident.id, status: 'monitoring', body: txt('x'), expectedVersion: 1 }),
      'conflict',
    );
    expect(posting.message).toContain('status (investigating → identified)');
  });

  test('an open incident only can promise a next update; nothing to change writes nothing', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const incident = await open(ctx);
    const same = await updateIncident(ctx, { incidentId: incident.id, expectedVersion: 1, impact: 'major' });
    expect(same.version).toBe(1);
    await resolveIncident(ctx, { incidentId: incident.id, body: txt('Risolto.') });
    await expectServiceError(
      updateIncident(ctx, { incidentId: incident.id, expectedVersion: 2, nextUpdateBy: new Date(T.getTime() + 5 * HOUR) }),
      'validation_failed',
    );
  });
});

describe('the promised next update', { timeout: 120_000 }, () => {
  test('a new promise must lie after the moment it is made; keeping an overdue one is not a new promise', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const past = new Date(T.getTime() - HOUR);
    const refused = await expectServiceError(
      createIncident(ctx, { title: txt('Typo'), impact: 'minor', body: txt('Verifica.'), nextUpdateBy: past }),
      'validation_failed',
    );
    expect(refused.fields).toEqual({ nextUpdateBy: 'must be in the future' });
    expect((await listIncidents(ctx, { filter: 'all' })).total).toBe(0);

    const incident = await open(ctx);
    await expectServiceError(
      postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', body: txt('Causa.'), nextUpdateBy: T }),
      'validation_failed',
    );
    await expectServiceError(updateIncident(ctx, { incidentId: incident.id, expectedVersion: 1, nextUpdateBy: past }), 'validation_failed');
    // Two hours on, the promise made at creation is overdue: an update that keeps it as it is still goes out.
    ctx.clock.advance(2 * HOUR);
    const kept = await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', body: txt('Causa.'), nextUpdateBy: incident.nextUpdateBy });
    expect(kept.incident.nextUpdateBy).toEqual(incident.nextUpdateBy);
    // A backdated update records history: its promise needs to lie only after the time it shows.
    const backdated = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'identified',
      body: txt('Annotato dopo.'),
      displayAt: new Date(T.getTime() + HOUR / 2),
      nextUpdateBy: new Date(T.getTime() + HOUR),
    });
    expect(backdated.incident.nextUpdateBy).toEqual(new Date(T.getTime() + HOUR));
  });
});

describe('resolveIncident', { timeout: 120_000 }, () => {
  test('answers with the milestones it leaves open (neither done nor cancelled), in plan order; an ordinary update with none', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const svc = await makeService(ctx, { since: new Date(T.getTime() - 48 * HOUR) });
    const incident = await open(ctx);
    const done = await addMilestone(ctx, { incidentId: incident.id, title: txt('Server ripristinati'), state: 'done' });
    const later = await addMilestone(ctx, { incidentId: incident.id, title: txt('Recupero arretrato'), service: svc.key, state: 'in_progress' });
    const dropped = await addMilestone(ctx, { incidentId: incident.id, title: txt('Canale provvisorio'), state: 'cancelled' });
    const audit = await addMilestone(ctx, { incidentId: incident.id, title: txt('Verifica finale') });
    const noted = await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'monitoring', body: txt('Monitoriamo.') });
    expect(noted.openMilestones).toEqual([]);
    const { openMilestones } = await resolveIncident(ctx, { incidentId: incident.id, body: txt('Risolto.') });
    expect(openMilestones.map((m) => [m.id, m.state, m.serviceKey])).toEqual([
      [later.id, 'in_progress', svc.key],
      [audit.id, 'planned', null],
    ]);
    expect(openMilestones.map((m) => m.id)).not.toContain(done.id);
    expect(openMilestones.map((m) => m.id)).not.toContain(dropped.id);
  });

  test('resolves and brings back to operational the services this incident set, leaving others alone', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const web = await makeService(ctx, { since: new Date(T.getTime() - 48 * HOUR) });
    const sending = await makeService(ctx, { since: new Date(T.getTime() - 48 * HOUR) });
    const phone = await makeService(ctx, { since: new Date(T.getTime() - 48 * HOUR) });
    const incident = await open(ctx, [
      { service: web.key, status: 'major_outage' },
      { service: sending.key, status: 'major_outage' },
      { service: phone.key, status: 'partial_outage' },
    ]);
    ctx.clock.advance(HOUR);
    // An operator takes the phone line over by hand: resolving must not undo that.
    await setServiceStatus(ctx, { service: phone.key, status: 'degraded_performance' });
    ctx.clock.advance(HOUR);
    const { incident: resolved, update } = await resolveIncident(ctx, {
      incidentId: incident.id,
      body: txt('Tutto risolto.'),
      services: [{ service: sending.key, status: 'degraded_performance' }],
      expectedVersion: 1,
    });
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolvedAt).toEqual(ctx.now());
    expect(resolved.nextUpdateBy).toBeNull();
    expect(update.status).toBe('resolved');
    expect((await intervalsOf(db, web.id)).at(-1)).toMatchObject({ status: 'operational', endedAt: null, incidentId: incident.id });
    expect((await intervalsOf(db, sending.id)).at(-1)).toMatchObject({ status: 'degraded_performance', endedAt: null });
    expect((await intervalsOf(db, phone.id)).at(-1)).toMatchObject({ status: 'degraded_performance', source: 'manual' });
    await expectServiceError(resolveIncident(ctx, { incidentId: incident.id, body: txt('Di nuovo.') }), 'conflict');
  });

  test('hands a service still affected by another open incident over to it', async ({ db }) => {
    const { ctx, web, first, second } = await twoIncidentsOnOneService(db);
    // The first incident, resolved while the second still runs: the service stays as the second said.
    await resolveIncident(ctx, { incidentId: first.id, body: txt('Risolto il primo.') });
    expect((await intervalsOf(db, web.id)).at(-1)).toMatchObject({ status: 'major_outage', incidentId: second.id });
    ctx.clock.advance(HOUR);
    await resolveIncident(ctx, { incidentId: second.id, body: txt('Risolto il secondo.') });
    expect((await intervalsOf(db, web.id)).at(-1)).toMatchObject({ status: 'operational', endedAt: null });
  });

  test('a service handed over at a different status is a change of the resolution, named in it and in its event', async ({ db }) => {
    const { ctx, web, first, second } = await twoIncidentsOnOneService(db);
    await postIncidentUpdate(ctx, { incidentId: first.id, status: 'identified', body: txt('Quasi.'), services: [{ service: web.key, status: 'degraded_performance' }] });
    ctx.clock.advance(HOUR);
    const { update } = await resolveIncident(ctx, { incidentId: first.id, body: txt('Risolto il primo.') });
    // The service goes back to what the second incident said, and that incident holds it.
    expect((await intervalsOf(db, web.id)).at(-1)).toMatchObject({ status: 'major_outage', incidentId: second.id, endedAt: null });
    const changes = await db.select().from(incidentUpdateServices).where(eq(incidentUpdateServices.updateId, update.id));
    expect(changes).toMatchObject([{ oldStatus: 'degraded_performance', newStatus: 'major_outage' }]);
    const [event] = await db.select().from(events).where(eq(events.subjectId, update.id));
    expect(event!.data.changes).toEqual([{ service: web.key, status: 'major_outage' }]);
  });

  test("a status set by hand after the other incident's announcement ends that incident's claim", async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const web = await makeService(ctx, { since: new Date(T.getTime() - 48 * HOUR) });
    await open(ctx, [{ service: web.key, status: 'degraded_performance' }]);
    ctx.clock.advance(HOUR);
    await setServiceStatus(ctx, { service: web.key, status: 'operational' });
    ctx.clock.advance(HOUR);
    const second = await open(ctx, [{ service: web.key, status: 'major_outage' }]);
    ctx.clock.advance(HOUR);
    await resolveIncident(ctx, { incidentId: second.id, body: txt('Risolto il secondo.') });
    expect((await intervalsOf(db, web.id)).at(-1)).toMatchObject({ status: 'operational', endedAt: null, incidentId: second.id });
  });

  test('restoreServices: false leaves every status as it is', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const web = await makeService(ctx, { since: new Date(T.getTime() - 48 * HOUR) });
    const incident = await open(ctx, [{ service: web.key, status: 'major_outage' }]);
    await resolveIncident(ctx, { incidentId: incident.id, body: txt('Risolto.'), restoreServices: false });
    expect((await intervalsOf(db, web.id)).at(-1)).toMatchObject({ status: 'major_outage' });
  });
});

describe('console reads', { timeout: 120_000 }, () => {
  test('listIncidents puts open incidents first and flags broken promises', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const old = await open(ctx);
    ctx.clock.advance(HOUR);
    const closed = await open(ctx);
    await resolveIncident(ctx, { incidentId: closed.id, body: txt('Risolto.') });
    ctx.clock.advance(HOUR);
    const fresh = await open(ctx);
    ctx.clock.advance(HOUR / 2);
    const { items } = await listIncidents(as(ctx, VIEWER), { filter: 'all', limit: 200 });
    const mine = items.filter((i) => [old.id, closed.id, fresh.id].includes(i.id));
    expect(mine.map((i) => i.id)).toEqual([fresh.id, old.id, closed.id]);
    expect(mine.find((i) => i.id === old.id)).toMatchObject({ open: true, overdue: true, version: 1, updateCount: 1 });
    expect(mine.find((i) => i.id === fresh.id)).toMatchObject({ open: true, overdue: false });
    expect(mine.find((i) => i.id === closed.id)).toMatchObject({ open: false, overdue: false, version: 2 });
    const openOnly = await listIncidents(ctx, { filter: 'open', limit: 200 });
    expect(openOnly.items.some((i) => i.id === closed.id)).toBe(false);
    await expectServiceError(listIncidents(ctx, { limit: 0 }), 'validation_failed');
  });

  test('getIncidentForEdit returns the version, the allowed statuses and everything attached', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const web = await makeService(ctx, { since: new Date(T.getTime() - 48 * HOUR) });
    const incident = await open(ctx, [{ service: web.key, status: 'major_outage' }]);
    ctx.clock.advance(HOUR / 4);
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', body: txt('Causa.') });
    await addMilestone(ctx, { incidentId: incident.id, title: txt('Ripristino'), service: web.key });
    await addFaqEntry(ctx, { incidentId: incident.id, question: txt('Domanda?'), answer: txt('Risposta.') });
    const edit = await getIncidentForEdit(as(ctx, VIEWER), { incidentId: incident.id });
    expect(edit.incident.version).toBe(2);
    expect(edit.allowedStatuses).toContain('resolved');
    expect(edit.services).toEqual([expect.objectContaining({ key: web.key, status: 'major_outage', setByThisIncident: true })]);
    expect(edit.updates.map((u) => u.status)).toEqual(['identified', 'investigating']);
    expect(edit.updates[1]!.changes).toEqual([{ service: web.key, oldStatus: 'operational', newStatus: 'major_outage' }]);
    expect(edit.milestones[0]).toMatchObject({ serviceKey: web.key });
    expect(edit.faq).toHaveLength(1);
    await expectServiceError(getIncidentForEdit(ctx, { incidentId: 'nope' }), 'not_found');
  });
});
