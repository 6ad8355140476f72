import { and, eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { events, maintenanceServices, maintenances } from '../../../db/schema/index.ts';
import { setServiceStatus } from '../../../src/services/catalog.ts';
import { createIncident, postIncidentUpdate, resolveIncident } from '../../../src/services/incidents.ts';
import {
  completeMaintenance,
  getMaintenanceForEdit,
  listMaintenances,
  runScheduledTransitions,
  scheduleMaintenance,
  startMaintenance,
  updateMaintenance,
  verifyMaintenance,
} from '../../../src/services/maintenance.ts';
import { dbTest as test } from '../../support/db.ts';
import { type C, HOUR, SYSTEM_ACTOR, as, ctxFor, expectAudit, expectServiceError, intervalsOf, makeService } from './helpers.ts';

const T = new Date('2026-03-14T18:00:00Z');
const at = (h: number) => new Date(T.getTime() + h * HOUR);
const txt = (it: string) => ({ it, en: `EN ${it}` });

async function setup(db: Parameters<typeof ctxFor>[0]) {
  const ctx = ctxFor(db, { now: T });
  const web = await makeService(ctx, { since: at(-100) });
  const sending = await makeService(ctx, { since: at(-100) });
  const window = await scheduleMaintenance(ctx, {
    title: txt('Migrazione storage'),
    services: [web.key, sending.key],
    scheduledStart: at(1),
    scheduledEnd: at(3),
  });
  // The scheduler acts as the system.
  const scheduler = as(ctx, { kind: 'system', id: 'scheduler' });
  return { ctx, scheduler, web, sending, window };
}

const current = async (ctx: C, serviceId: string) => (await intervalsOf(ctx.db, serviceId)).at(-1)!;

describe('scheduled transitions', { timeout: 120_000 }, () => {
  test('start at the scheduled start, complete at the end, services under maintenance and back', async ({ db }) => {
    const { ctx, scheduler, web, sending, window } = await setup(db);
    await setServiceStatus(ctx, { service: sending.key, status: 'degraded_performance', at: at(-1) });

    expect(await runScheduledTransitions(scheduler)).toEqual({ started: [], completed: [], failed: [] });
    ctx.clock.set(at(1));
    expect((await runScheduledTransitions(scheduler)).started).toEqual([window.id]);
    expect(await current(ctx, web.id)).toMatchObject({ status: 'under_maintenance', source: 'maintenance', maintenanceId: window.id, startedAt: at(1) });
    expect(await current(ctx, sending.id)).toMatchObject({ status: 'under_maintenance', maintenanceId: window.id });
    const links = await db.select().from(maintenanceServices).where(eq(maintenanceServices.maintenanceId, window.id));
    expect(Object.fromEntries(links.map((l) => [l.serviceId, l.previousStatus]))).toEqual({ [web.id]: 'operational', [sending.id]: 'degraded_performance' });

    // Idempotent: nothing more to do until the end.
    ctx.clock.set(at(2));
    expect(await runScheduledTransitions(scheduler)).toEqual({ started: [], completed: [], failed: [] });

    ctx.clock.set(at(3));
    expect((await runScheduledTransitions(scheduler)).completed).toEqual([window.id]);
    expect(await current(ctx, web.id)).toMatchObject({ status: 'operational', endedAt: null, startedAt: at(3) });
    expect(await current(ctx, sending.id)).toMatchObject({ status: 'degraded_performance', endedAt: null });
    const [row] = await db.select().from(maintenances).where(eq(maintenances.id, window.id));
    expect(row).toMatchObject({ status: 'completed', startedAt: at(1), completedAt: at(3) });
    expect(await runScheduledTransitions(scheduler)).toEqual({ started: [], completed: [], failed: [] });

    await expectAudit(db, 'maintenance', window.id, 'maintenance.start', { before: true, after: true, actor: 'system:scheduler' });
    await expectAudit(db, 'maintenance', window.id, 'maintenance.complete');
    const told = await db.select().from(events).where(eq(events.maintenanceId, window.id));
    expect(told.map((e) => e.type).sort()).toEqual(['maintenance.completed', 'maintenance.scheduled', 'maintenance.started']);
  });

  test('a worse status set by an incident is never hidden nor overwritten', async ({ db }) => {
    const { ctx, scheduler, web, sending, window } = await setup(db);
    // web is down before the window starts: maintenance must not paper over it.
    const { incident } = await createIncident(ctx, { title: txt('Guasto'), impact: 'major', body: txt('x'), services: [{ service: web.key, status: 'major_outage' }], startedAt: at(0.5) });
    ctx.clock.set(at(1));
    await runScheduledTransitions(scheduler);
    expect(await current(ctx, web.id)).toMatchObject({ status: 'major_outage', source: 'incident' });
    expect(await current(ctx, sending.id)).toMatchObject({ status: 'under_maintenance' });

    // During the window an incident takes sending down: completing the window leaves that status.
    ctx.clock.set(at(2));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', body: txt('y'), services: [{ service: sending.key, status: 'partial_outage' }] });
    ctx.clock.set(at(3));
    await runScheduledTransitions(scheduler);
    expect(await current(ctx, web.id)).toMatchObject({ status: 'major_outage', source: 'incident' });
    expect(await current(ctx, sending.id)).toMatchObject({ status: 'partial_outage', source: 'incident' });
    const [row] = await db.select().from(maintenances).where(eq(maintenances.id, window.id));
    expect(row!.status).toBe('completed');
    // And resolving the incident brings both back.
    await resolveIncident(ctx, { incidentId: incident.id, body: txt('Risolto.') });
    expect(await current(ctx, web.id)).toMatchObject({ status: 'operational' });
    expect(await current(ctx, sending.id)).toMatchObject({ status: 'operational' });
  });

  test('a window that passed entirely while nothing ran is completed without touching services', async ({ db }) => {
    const { ctx, scheduler, web, window } = await setup(db);
    ctx.clock.set(at(5));
    expect(await runScheduledTransitions(scheduler)).toMatchObject({ started: [], completed: [window.id] });
    expect(await intervalsOf(db, web.id)).toHaveLength(1);
  });

  test('one window that cannot move is reported and does not hold up the others', async ({ db }) => {
    const { ctx, scheduler, window } = await setup(db);
    // A service whose status history already runs past the start: applying the maintenance status fails.
    const odd = await makeService(ctx, { since: at(10) });
    const stuck = await scheduleMaintenance(ctx, { title: txt('Bloccata'), services: [odd.key], scheduledStart: at(0.5), scheduledEnd: at(8) });
    ctx.clock.set(at(1));
    const run = await runScheduledTransitions(scheduler);
    expect(run.started).toEqual([window.id]);
    expect(run.failed).toEqual([{ id: stuck.id, error: expect.stringContaining('status history') }]);
    const [row] = await db.select().from(maintenances).where(eq(maintenances.id, stuck.id));
    expect(row!.status).toBe('scheduled');
  });

  test('overlapping windows hand a service over instead of ending its maintenance early', async ({ db }) => {
    const { ctx, scheduler, web, window } = await setup(db);
    const longer = await scheduleMaintenance(ctx, { title: txt('Seconda'), services: [web.key], scheduledStart: at(2), scheduledEnd: at(5) });
    ctx.clock.set(at(2));
    expect((await runScheduledTransitions(scheduler)).started.sort()).toEqual([window.id, longer.id].sort());
    ctx.clock.set(at(3));
    await runScheduledTransitions(scheduler);
    expect(await current(ctx, web.id)).toMatchObject({ status: 'under_maintenance', maintenanceId: longer.id });
    ctx.clock.set(at(5));
    await runScheduledTransitions(scheduler);
    expect(await current(ctx, web.id)).toMatchObject({ status: 'operational', endedAt: null });
  });
});

describe('by hand', { timeout: 120_000 }, () => {
  test('start, verify, complete follow the lifecycle', async ({ db }) => {
    const { ctx, web, window } = await setup(db);
    await expectServiceError(verifyMaintenance(ctx, { maintenanceId: window.id }), 'validation_failed');
    ctx.clock.set(at(0.5));
    const started = await startMaintenance(ctx, { maintenanceId: window.id });
    expect(started).toMatchObject({ status: 'in_progress', startedAt: at(0.5) });
    expect(await current(ctx, web.id)).toMatchObject({ status: 'under_maintenance' });
    ctx.clock.set(at(1.5));
    expect((await verifyMaintenance(ctx, { maintenanceId: window.id })).status).toBe('verifying');
    expect(await current(ctx, web.id)).toMatchObject({ status: 'under_maintenance' });
    ctx.clock.set(at(2));
    const done = await completeMaintenance(ctx, { maintenanceId: window.id });
    expect(done).toMatchObject({ status: 'completed', completedAt: at(2) });
    expect(await current(ctx, web.id)).toMatchObject({ status: 'operational' });
    const error = await expectServiceError(startMaintenance(ctx, { maintenanceId: window.id }), 'validation_failed');
    expect(error.message).toContain('final');
    await expectServiceError(startMaintenance(ctx, { maintenanceId: 'nope' }), 'not_found');
    await expectServiceError(completeMaintenance(ctx, { maintenanceId: window.id, at: at(10) }), 'validation_failed');
    await expectAudit(db, 'maintenance', window.id, 'maintenance.verify');
  });

  test('a window already over is refused as scheduled, and recorded as completed with the times it ran', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const web = await makeService(ctx, { since: at(-100) });
    const past = { title: txt('Vecchia finestra'), services: [web.key], scheduledStart: at(-5), scheduledEnd: at(-3) };
    const refused = await expectServiceError(scheduleMaintenance(ctx, past), 'validation_failed');
    expect(refused.fields).toEqual({ scheduledEnd: 'must be in the future' });
    expect(await db.select().from(maintenances)).toHaveLength(0);
    const recorded = await scheduleMaintenance(ctx, { ...past, status: 'completed' });
    expect(recorded).toMatchObject({ status: 'completed', startedAt: at(-5), completedAt: at(-3) });
    const running = await scheduleMaintenance(ctx, { ...past, scheduledEnd: at(2), status: 'in_progress' });
    expect(running).toMatchObject({ status: 'in_progress', startedAt: at(-5), completedAt: null });
  });

  test('completing a scheduled window cancels it and leaves services alone', async ({ db }) => {
    const { ctx, web, window } = await setup(db);
    const done = await completeMaintenance(ctx, { maintenanceId: window.id });
    expect(done.status).toBe('completed');
    expect(await intervalsOf(db, web.id)).toHaveLength(1);
    await expectAudit(db, 'maintenance', window.id, 'maintenance.cancel');
  });

  test('a service under maintenance by hand is taken over and given back operational', async ({ db }) => {
    const { ctx, web, window } = await setup(db);
    await setServiceStatus(ctx, { service: web.key, status: 'under_maintenance', at: at(0) });
    ctx.clock.set(at(1));
    await startMaintenance(ctx, { maintenanceId: window.id });
    expect(await current(ctx, web.id)).toMatchObject({ status: 'under_maintenance', source: 'maintenance', maintenanceId: window.id });
    await completeMaintenance(ctx, { maintenanceId: window.id });
    expect(await current(ctx, web.id)).toMatchObject({ status: 'operational' });
  });
});

describe('e-mailing subscribers (notify)', { timeout: 120_000 }, () => {
  const notifyOf = async (db: Parameters<typeof ctxFor>[0], id: string) =>
    (await db.select().from(events).where(eq(events.maintenanceId, id)).orderBy(events.seq)).map((e) => [e.type, e.notify]);

  test('on by default: scheduling, the scheduler\'s start and completion are all e-mailed', async ({ db }) => {
    const { ctx, scheduler, window } = await setup(db);
    expect(window.notify).toBe(true);
    ctx.clock.set(at(1));
    await runScheduledTransitions(scheduler);
    ctx.clock.set(at(3));
    await runScheduledTransitions(scheduler);
    expect(await notifyOf(db, window.id)).toEqual([
      ['maintenance.scheduled', true],
      ['maintenance.started', true],
      ['maintenance.completed', true],
    ]);
  });

  test('off when scheduled: kept for the steps the scheduler takes on its own; an edit turns it on for what follows', async ({ db }) => {
    const { ctx, scheduler, web } = await setup(db);
    const quiet = await scheduleMaintenance(ctx, { title: txt('Riavvio notturno'), services: [web.key], scheduledStart: at(1), scheduledEnd: at(3), notify: false });
    expect(quiet.notify).toBe(false);
    ctx.clock.set(at(1));
    expect((await runScheduledTransitions(scheduler)).started).toContain(quiet.id);
    expect(await notifyOf(db, quiet.id)).toEqual([
      ['maintenance.scheduled', false],
      ['maintenance.started', false],
    ]);

    // Extended while running, with e-mail turned on: the move and the completion are e-mailed.
    const edited = await updateMaintenance(ctx, { maintenanceId: quiet.id, scheduledEnd: at(4), notify: true });
    expect(edited.notify).toBe(true);
    ctx.clock.set(at(4));
    expect((await runScheduledTransitions(scheduler)).completed).toContain(quiet.id);
    expect(await notifyOf(db, quiet.id)).toEqual([
      ['maintenance.scheduled', false],
      ['maintenance.started', false],
      ['maintenance.scheduled', true],
      ['maintenance.completed', true],
    ]);
    const audit = await expectAudit(db, 'maintenance', quiet.id, 'maintenance.edit');
    expect([(audit.before as { notify: boolean }).notify, (audit.after as { notify: boolean }).notify]).toEqual([false, true]);
  });

  test('an edit that leaves notify out keeps the choice', async ({ db }) => {
    const { ctx, web } = await setup(db);
    const quiet = await scheduleMaintenance(ctx, { title: txt('Riavvio'), services: [web.key], scheduledStart: at(1), scheduledEnd: at(3), notify: false });
    await updateMaintenance(ctx, { maintenanceId: quiet.id, scheduledEnd: at(5) });
    expect((await getMaintenanceForEdit(ctx, { maintenanceId: quiet.id })).notify).toBe(false);
    await completeMaintenance(ctx, { maintenanceId: quiet.id });
    expect((await notifyOf(db, quiet.id)).every(([, notify]) => notify === false)).toBe(true);
  });
});

describe('updateMaintenance and reads', { timeout: 120_000 }, () => {
  test('texts any time, services only while scheduled, the end until completed; audited with services', async ({ db }) => {
    const { ctx, web, sending, window } = await setup(db);
    const moved = await updateMaintenance(ctx, { maintenanceId: window.id, services: [web.key], scheduledStart: at(2), scheduledEnd: at(4) });
    expect(moved).toMatchObject({ scheduledStart: at(2), scheduledEnd: at(4) });
    const audit = await expectAudit(db, 'maintenance', window.id, 'maintenance.edit');
    expect((audit.before as { services: string[] }).services.sort()).toEqual([web.key, sending.key].sort());
    expect((audit.after as { services: string[] }).services).toEqual([web.key]);
    const rescheduled = await db.select().from(events).where(and(eq(events.maintenanceId, window.id), eq(events.type, 'maintenance.scheduled')));
    expect(rescheduled).toHaveLength(2);

    await expectServiceError(updateMaintenance(ctx, { maintenanceId: window.id, scheduledEnd: at(1) }), 'validation_failed');
    ctx.clock.set(at(2));
    await startMaintenance(ctx, { maintenanceId: window.id });
    const refused = await expectServiceError(updateMaintenance(ctx, { maintenanceId: window.id, services: [sending.key] }), 'validation_failed');
    expect(refused.fields).toHaveProperty('services');
    await expectServiceError(updateMaintenance(ctx, { maintenanceId: window.id, scheduledStart: at(3) }), 'validation_failed');
    expect((await updateMaintenance(ctx, { maintenanceId: window.id, scheduledEnd: at(6), title: txt('Estesa') })).scheduledEnd).toEqual(at(6));
  });

  test('list and load for editing, with services and what each will go back to', async ({ db }) => {
    const { ctx, web, window } = await setup(db);
    const viewer = as(ctx, { kind: 'operator', id: 'v', role: 'viewer' });
    expect((await listMaintenances(viewer, { filter: 'active' })).some((m) => m.id === window.id)).toBe(true);
    expect((await listMaintenances(viewer, { filter: 'past' })).some((m) => m.id === window.id)).toBe(false);
    ctx.clock.set(at(1));
    await startMaintenance(as(ctx, SYSTEM_ACTOR), { maintenanceId: window.id });
    const edit = await getMaintenanceForEdit(viewer, { maintenanceId: window.id });
    expect(edit.allowedNext).toEqual(['in_progress', 'verifying', 'completed']);
    expect(edit.services.find((s) => s.key === web.key)).toMatchObject({ status: 'under_maintenance', previousStatus: 'operational', heldByThisWindow: true });
  });
});
