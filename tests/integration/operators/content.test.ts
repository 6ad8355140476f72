/** The console's edits of the plan, the FAQ, notices and services, and its dashboard. */
import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { events, incidentFaq } from '../../../db/schema/index.ts';
import { getServiceForEdit, setServiceStatus, updateService } from '../../../src/services/catalog.ts';
import { getDashboard } from '../../../src/services/dashboard.ts';
import { postIncidentUpdate } from '../../../src/services/incidents.ts';
import { scheduleMaintenance, startMaintenance } from '../../../src/services/maintenance.ts';
import { closeNotice, getNoticeForEdit, listNotices, publishNotice, updateNotice } from '../../../src/services/notices.ts';
import {
  addFaqEntry,
  addMilestone,
  changeMilestone,
  deleteFaqEntry,
  reorderFaq,
  reorderMilestones,
  updateFaqEntry,
  updateMilestone,
} from '../../../src/services/recovery.ts';
import { dbTest as test } from '../../support/db.ts';
import { DAY, HOUR, VIEWER, as, ctxFor, expectAudit, expectServiceError, makeIncident, makeService } from './helpers.ts';

const T = new Date('2026-03-19T09:00:00Z');
const txt = (it: string) => ({ it, en: `EN ${it}` });

describe('milestones', { timeout: 120_000 }, () => {
  test('updateMilestone edits texts, service and date; a moved date is announced; done ones keep their date', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const svc = await makeService(ctx);
    const { incident } = await makeIncident(ctx);
    const m = await addMilestone(ctx, { incidentId: incident.id, title: txt('Ricezione'), expectedAt: new Date(T.getTime() + DAY) });
    const before = (await db.select().from(events).where(eq(events.subjectId, m.id))).length;
    const edited = await updateMilestone(ctx, { milestoneId: m.id, title: txt('Ricezione ordini'), service: svc.key, description: txt('NSO') });
    expect(edited).toMatchObject({ title: txt('Ricezione ordini'), serviceId: svc.id, description: txt('NSO') });
    expect((await db.select().from(events).where(eq(events.subjectId, m.id))).length).toBe(before);
    const moved = await updateMilestone(ctx, { milestoneId: m.id, expectedAt: new Date(T.getTime() + 2 * DAY), service: null });
    expect(moved).toMatchObject({ serviceId: null, expectedAt: new Date(T.getTime() + 2 * DAY) });
    expect((await db.select().from(events).where(eq(events.subjectId, m.id))).length).toBe(before + 1);
    await expectAudit(db, 'milestone', m.id, 'milestone.edit');
    await changeMilestone(ctx, { milestoneId: m.id, state: 'done' });
    await expectServiceError(updateMilestone(ctx, { milestoneId: m.id, expectedAt: T }), 'validation_failed');
    await expectServiceError(updateMilestone(ctx, { milestoneId: m.id, service: 'no-such' }), 'validation_failed');
  });

  test('reorderMilestones needs exactly the incident milestones', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const { incident } = await makeIncident(ctx);
    const a = await addMilestone(ctx, { incidentId: incident.id, title: txt('A') });
    const b = await addMilestone(ctx, { incidentId: incident.id, title: txt('B') });
    const c = await addMilestone(ctx, { incidentId: incident.id, title: txt('C') });
    const rows = await reorderMilestones(ctx, { incidentId: incident.id, orderedIds: [c.id, a.id, b.id] });
    expect(rows.map((r) => [r.id, r.sortOrder])).toEqual([[c.id, 0], [a.id, 1], [b.id, 2]]);
    const audit = await expectAudit(db, 'incident', incident.id, 'milestone.reorder');
    expect(audit.before).toEqual({ milestones: [a.id, b.id, c.id] });
    const missing = await expectServiceError(reorderMilestones(ctx, { incidentId: incident.id, orderedIds: [c.id, a.id] }), 'validation_failed');
    expect(missing.fields?.orderedIds).toContain(b.id);
    await expectServiceError(reorderMilestones(ctx, { incidentId: incident.id, orderedIds: [c.id, a.id, b.id, 'x'] }), 'validation_failed');
    await expectServiceError(reorderMilestones(ctx, { incidentId: incident.id, orderedIds: [c.id, c.id, b.id] }), 'validation_failed');
  });
});

describe('FAQ', { timeout: 120_000 }, () => {
  test('update keeps anchors unique, delete is audited with the last text, reorder sets the order', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const { incident } = await makeIncident(ctx);
    const a = await addFaqEntry(ctx, { incidentId: incident.id, question: txt('La mia area è vuota?'), answer: txt('È il piano B.') });
    const b = await addFaqEntry(ctx, { incidentId: incident.id, question: txt('Quando torna lo storico?'), answer: txt('Dal 22.') });
    const edited = await updateFaqEntry(ctx, { faqId: b.id, answer: txt('Dal giorno 22, dalla copia nello storage.') });
    expect(edited).toMatchObject({ slug: b.slug, answer: txt('Dal giorno 22, dalla copia nello storage.') });
    await expectServiceError(updateFaqEntry(ctx, { faqId: b.id, slug: a.slug }), 'conflict');
    expect((await updateFaqEntry(ctx, { faqId: b.id, slug: 'storico' })).slug).toBe('storico');
    await expectAudit(db, 'incident_faq', b.id, 'faq.edit');

    const order = await reorderFaq(ctx, { incidentId: incident.id, orderedIds: [b.id, a.id] });
    expect(order.map((r) => r.id)).toEqual([b.id, a.id]);
    const gone = await deleteFaqEntry(ctx, { faqId: a.id });
    expect(gone.id).toBe(a.id);
    expect(await db.select().from(incidentFaq).where(eq(incidentFaq.id, a.id))).toHaveLength(0);
    const audit = await expectAudit(db, 'incident_faq', a.id, 'faq.delete', { before: true });
    expect(audit.before).toMatchObject({ slug: a.slug });
    await expectServiceError(deleteFaqEntry(ctx, { faqId: a.id }), 'not_found');
  });
});

describe('notices', { timeout: 120_000 }, () => {
  test('updateNotice replaces windows and services; closeNotice is idempotent; both audited', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const web = await makeService(ctx);
    const recv = await makeService(ctx);
    const notice = await publishNotice(ctx, {
      title: txt('Dati ripristinati'),
      services: [web.key],
      windows: [{ scope: txt('Quasi tutte le aree'), restoredUntil: new Date('2026-03-09T20:30:00Z') }],
    });
    await updateNotice(ctx, {
      noticeId: notice.id,
      action: txt('Ricaricate le fatture del giorno 9.'),
      services: [web.key, recv.key],
      windows: [
        { scope: txt('Quasi tutte le aree'), restoredUntil: new Date('2026-03-09T20:30:00Z') },
        { scope: txt('Alcune aree'), restoredUntil: new Date('2026-03-08T20:30:00Z'), gapEndsAt: new Date('2026-03-22T08:00:00Z') },
      ],
    });
    const edit = await getNoticeForEdit(as(ctx, VIEWER), { noticeId: notice.id });
    expect(edit.serviceKeys).toEqual([web.key, recv.key].sort());
    expect(edit.windows.map((w) => w.scope.it)).toEqual(['Quasi tutte le aree', 'Alcune aree']);
    const audit = await expectAudit(db, 'data_gap_notice', notice.id, 'notice.edit');
    expect((audit.before as { windows: unknown[] }).windows).toHaveLength(1);
    expect((audit.after as { windows: unknown[] }).windows).toHaveLength(2);
    await expectServiceError(updateNotice(ctx, { noticeId: notice.id, windows: [] }), 'validation_failed');

    const closed = await closeNotice(ctx, { noticeId: notice.id });
    expect(closed.closedAt).toEqual(T);
    ctx.clock.advance(HOUR);
    expect((await closeNotice(ctx, { noticeId: notice.id })).closedAt).toEqual(T);
    await expectAudit(db, 'data_gap_notice', notice.id, 'notice.close');
    expect((await listNotices(ctx, {})).some((n) => n.id === notice.id)).toBe(false);
    expect((await listNotices(ctx, { includeClosed: true })).some((n) => n.id === notice.id)).toBe(true);
  });
});

describe('services and dashboard', { timeout: 120_000 }, () => {
  test('updateService changes what is given, keeps the key, audits before/after', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const svc = await makeService(ctx, { description: txt('Prima') });
    const row = await updateService(ctx, {
      service: svc.key,
      name: txt('Canale di emergenza'),
      description: null,
      groupName: txt('Invio'),
      availableFrom: new Date('2026-03-11T08:00:00Z'),
      availableUntil: new Date('2026-03-19T22:00:00Z'),
    });
    expect(row).toMatchObject({ key: svc.key, name: txt('Canale di emergenza'), description: null, groupName: txt('Invio') });
    const audit = await expectAudit(db, 'service', svc.id, 'service.update');
    expect(audit.before).toMatchObject({ description: txt('Prima') });
    await expectServiceError(updateService(ctx, { service: svc.key, availableUntil: new Date('2026-03-01T00:00:00Z') }), 'validation_failed');
    await expectServiceError(updateService(ctx, { service: 'nope-nope', sortOrder: 1 }), 'not_found');
    expect((await getServiceForEdit(ctx, { service: svc.key })).status).toBe('operational');
  });

  test('getDashboard shows open incidents (overdue first), services not operational and the coming week', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const web = await makeService(ctx, { since: new Date(T.getTime() - DAY) });
    const phone = await makeService(ctx, { since: new Date(T.getTime() - DAY) });
    const late = await makeIncident(ctx, { services: [{ service: web.key, status: 'major_outage' }], nextUpdateBy: new Date(T.getTime() + HOUR / 2) });
    ctx.clock.advance(HOUR);
    const onTime = await makeIncident(ctx, { nextUpdateBy: new Date(T.getTime() + 3 * HOUR) });
    await setServiceStatus(ctx, { service: phone.key, status: 'degraded_performance' });
    const soon = await scheduleMaintenance(ctx, { title: txt('Presto'), services: [phone.key], scheduledStart: new Date(T.getTime() + 2 * DAY), scheduledEnd: new Date(T.getTime() + 2 * DAY + HOUR) });
    const far = await scheduleMaintenance(ctx, { title: txt('Lontana'), services: [phone.key], scheduledStart: new Date(T.getTime() + 9 * DAY), scheduledEnd: new Date(T.getTime() + 9 * DAY + HOUR) });
    const now = await scheduleMaintenance(ctx, { title: txt('Ora'), services: [web.key], scheduledStart: new Date(T.getTime() + HOUR), scheduledEnd: new Date(T.getTime() + 5 * HOUR) });
    await startMaintenance(ctx, { maintenanceId: now.id });
    await postIncidentUpdate(ctx, { incidentId: onTime.incident.id, status: 'identified', body: txt('x') });

    const dash = await getDashboard(as(ctx, VIEWER));
    const ids = dash.openIncidents.map((i) => i.id);
    expect(ids.indexOf(late.incident.id)).toBeLessThan(ids.indexOf(onTime.incident.id));
    expect(dash.openIncidents.find((i) => i.id === late.incident.id)).toMatchObject({ overdue: true, version: 1 });
    expect(dash.openIncidents.find((i) => i.id === onTime.incident.id)).toMatchObject({ overdue: false, version: 2 });
    // web is down (incident): maintenance did not hide it; phone is degraded.
    expect(dash.servicesNotOperational.filter((s) => [web.key, phone.key].includes(s.key)).map((s) => [s.key, s.status])).toEqual([
      [web.key, 'major_outage'],
      [phone.key, 'degraded_performance'],
    ]);
    const windows = dash.maintenance.map((m) => m.id);
    expect(windows).toContain(soon.id);
    expect(windows).toContain(now.id);
    expect(windows).not.toContain(far.id);
    expect(windows.indexOf(now.id)).toBeLessThan(windows.indexOf(soon.id));
    expect(dash.counts.overdueIncidents).toBeGreaterThanOrEqual(1);
    expect(dash.counts.openIncidents).toBe(dash.openIncidents.length);
  });
});
