import { describe, expect } from 'vitest';
import { recordBacklogSample, setServiceStatus } from '../../src/services/catalog.ts';
import { postIncidentUpdate } from '../../src/services/incidents.ts';
import { scheduleMaintenance } from '../../src/services/maintenance.ts';
import { getHomePage } from '../../src/services/read.ts';
import { HOUR, clock, makeCtx, makeIncident, makeService, uid } from './factories.ts';
import { dbTest as test } from '../support/db.ts';

// Opens the file's database under the hook timeout rather than the first test's (slow on a busy machine).
test.beforeAll(async ({ database }) => void database);

// Day 19 of the scenario, 11:00 in Rome (CET, +01:00).
const NOW = new Date('2026-03-19T10:00:00Z');
const at = (h: number) => new Date(NOW.getTime() + h * HOUR);
const LONG_AGO = new Date('2025-06-01T00:00:00Z');

describe('home page indicator', () => {
  test('is the worst of the visible services and of the open incidents', async ({ db }) => {
    const c = clock(NOW);
    const ctx = makeCtx(db, { now: c });
    const home = () => getHomePage(ctx, { locale: 'en' });
    const a = await makeService(ctx, { since: LONG_AGO });
    const b = await makeService(ctx, { since: LONG_AGO });
    expect(await home()).toMatchObject({ indicator: 'none', indicatorText: 'All Systems Operational' });

    await setServiceStatus(ctx, { service: a.key, status: 'degraded_performance' });
    expect((await home()).indicator).toBe('minor');
    await setServiceStatus(ctx, { service: b.key, status: 'partial_outage' });
    expect(await home()).toMatchObject({ indicator: 'major', indicatorText: 'Partial System Outage' });
    await setServiceStatus(ctx, { service: a.key, status: 'major_outage' });
    expect(await home()).toMatchObject({ indicator: 'critical', indicatorText: 'Major Service Outage' });
    await setServiceStatus(ctx, { service: a.key, status: 'operational' });
    await setServiceStatus(ctx, { service: b.key, status: 'operational' });
    expect((await home()).indicator).toBe('none');

    // An open incident counts even though it touched no service.
    const { incident } = await makeIncident(ctx, { impact: 'major' });
    const withIncident = await home();
    expect(withIncident.indicator).toBe('major');
    expect(withIncident.activeIncidents.map((i) => i.id)).toEqual([incident.id]);
    expect(withIncident.services.map((s) => s.status)).toEqual(['operational', 'operational']);

    // Resolved, it no longer does.
    c.set(at(1));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: { it: 'Risolto.' } });
    const after = await home();
    expect(after.indicator).toBe('none');
    expect(after.activeIncidents).toEqual([]);
  });

  test('an incident of impact none and a minor one on top of a partial outage give the worst', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const svc = await makeService(ctx, { since: LONG_AGO });
    await makeIncident(ctx, { impact: 'none' });
    expect((await getHomePage(ctx, { locale: 'it' })).indicator).toBe('none');
    await makeIncident(ctx, { impact: 'minor', services: [{ service: svc.key, status: 'partial_outage' }] });
    const home = await getHomePage(ctx, { locale: 'it' });
    expect(home).toMatchObject({ indicator: 'major', indicatorText: 'Disservizio parziale' });
    expect(home.activeIncidents).toHaveLength(2);
  });

  test('maintenance does not raise it, only changes the wording', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const a = await makeService(ctx, { since: LONG_AGO });
    await makeService(ctx, { since: LONG_AGO });
    const m = await scheduleMaintenance(ctx, {
      title: { it: 'Aggiornamento database' },
      services: [a.key],
      scheduledStart: at(24),
      scheduledEnd: at(26),
    });
    const scheduled = await getHomePage(ctx, { locale: 'en' });
    expect(scheduled).toMatchObject({ indicator: 'none', indicatorText: 'All Systems Operational' });
    expect(scheduled.maintenances.map((x) => x.id)).toEqual([m.id]);
    expect(scheduled.maintenances[0]!.services.map((s) => s.key)).toEqual([a.key]);

    await setServiceStatus(ctx, { service: a.key, status: 'under_maintenance', source: 'maintenance', maintenanceId: m.id });
    const during = await getHomePage(ctx, { locale: 'en' });
    expect(during).toMatchObject({ indicator: 'none', indicatorText: 'Service Under Maintenance' });
    expect(during.services.find((s) => s.key === a.key)!.status).toBe('under_maintenance');
    expect((await getHomePage(ctx, { locale: 'it' })).indicatorText).toBe('Manutenzione in corso');
  });
});

describe('home page services', () => {
  test('a temporary service shows only inside its window, and only then counts for the indicator', async ({ db }) => {
    const c = clock(NOW);
    const ctx = makeCtx(db, { now: c });
    const regular = await makeService(ctx, { since: LONG_AGO });
    const emergency = await makeService(ctx, {
      availableFrom: at(-6 * 24),
      availableUntil: at(8), // closes this evening
      status: 'major_outage',
    });
    const keys = async () => (await getHomePage(ctx, { locale: 'it' })).services.map((s) => s.key);

    c.set(at(-6 * 24 - 1));
    expect(await keys()).toEqual([regular.key]);
    expect((await getHomePage(ctx, { locale: 'it' })).indicator).toBe('none');

    c.set(at(-6 * 24)); // availableFrom itself: open
    expect((await keys()).sort()).toEqual([regular.key, emergency.key].sort());

    c.set(NOW);
    const home = await getHomePage(ctx, { locale: 'it' });
    const view = home.services.find((s) => s.key === emergency.key)!;
    expect(view.temporary).toEqual({ from: at(-6 * 24), until: at(8) });
    expect(home.services.find((s) => s.key === regular.key)!.temporary).toBeNull();
    expect(home.indicator).toBe('critical');

    c.set(at(8)); // availableUntil itself: closed
    expect(await keys()).toEqual([regular.key]);
    expect((await getHomePage(ctx, { locale: 'it' })).indicator).toBe('none');
  });

  test('are ordered by sortOrder then key, with status and statusSince', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const z = await makeService(ctx, { key: `z-${uid()}`, sortOrder: 1, since: LONG_AGO });
    const y = await makeService(ctx, { key: `y-${uid()}`, sortOrder: 2, since: LONG_AGO });
    const a = await makeService(ctx, { key: `a-${uid()}`, sortOrder: 2, since: LONG_AGO });
    await setServiceStatus(ctx, { service: y.key, status: 'partial_outage', at: at(-3) });
    const home = await getHomePage(ctx, { locale: 'it' });
    const mine = home.services.filter((s) => [z.key, y.key, a.key].includes(s.key));
    expect(mine.map((s) => s.key)).toEqual([z.key, a.key, y.key]);
    expect(mine[2]).toMatchObject({ status: 'partial_outage', statusSince: at(-3) });
    expect(mine[0]).toMatchObject({ status: 'operational', statusSince: LONG_AGO });
  });

  test('90 daily bars with the right levels for a known history, and the 90-day uptime', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const since = new Date('2026-01-10T11:00:00Z'); // 12:00 on 10 January in Rome
    const svc = await makeService(ctx, { since });
    // Changes are recorded in order, oldest first.
    // 10 March: four hours degraded.
    await setServiceStatus(ctx, { service: svc.key, status: 'degraded_performance', at: new Date('2026-03-10T08:00:00Z') });
    await setServiceStatus(ctx, { service: svc.key, status: 'operational', at: new Date('2026-03-10T12:00:00Z') });
    // 15 March: two minutes of partial outage, too short to colour the day.
    await setServiceStatus(ctx, { service: svc.key, status: 'partial_outage', at: new Date('2026-03-15T10:00:00Z') });
    await setServiceStatus(ctx, { service: svc.key, status: 'operational', at: new Date('2026-03-15T10:02:00Z') });
    // Yesterday (18 March in Rome): a major outage from 09:00 to 15:00 local time.
    await setServiceStatus(ctx, { service: svc.key, status: 'major_outage', at: new Date('2026-03-18T08:00:00Z') });
    await setServiceStatus(ctx, { service: svc.key, status: 'operational', at: new Date('2026-03-18T14:00:00Z') });

    const home = await getHomePage(ctx, { locale: 'it' });
    const view = home.services.find((s) => s.key === svc.key)!;
    const bars = view.bars;
    expect(bars).toHaveLength(90);
    expect(bars.at(-1)!.date).toBe('2026-03-19');
    expect(bars[0]!.date).toBe('2025-12-20');
    const bar = (date: string) => bars.find((b) => b.date === date)!;

    const yesterday = bar('2026-03-18');
    expect(yesterday.level).toBe('major');
    expect(yesterday.start).toEqual(new Date('2026-03-17T23:00:00Z'));
    expect(yesterday.end).toEqual(new Date('2026-03-18T23:00:00Z'));
    expect(yesterday.seconds.major_outage).toBe(6 * 3600);
    expect(yesterday.uptime).toBeCloseTo(0.75, 10);

    expect(bar('2026-03-15')).toMatchObject({ level: 'operational' });
    expect(bar('2026-03-15').uptime).toBeCloseTo(1 - (0.3 * 120) / 86_400, 10);
    expect(bar('2026-03-10')).toMatchObject({ level: 'degraded', uptime: 1 });

    // Today runs to now; the day the service was created is partly observed; before it nothing is known.
    expect(bars.at(-1)).toMatchObject({ level: 'operational', uptime: 1, end: NOW });
    expect(bar('2026-01-10')).toMatchObject({ level: 'operational', noDataSeconds: 12 * 3600 });
    expect(bar('2026-01-09')).toMatchObject({ level: 'nodata', uptime: null });
    expect(bars.filter((b) => b.level === 'nodata')).toHaveLength(21); // 20 Dec – 9 Jan

    const observed = (NOW.getTime() - since.getTime()) / 1000;
    expect(view.uptime90).toBeCloseTo(1 - (6 * 3600 + 0.3 * 120) / observed, 10);
    expect(view.uptime90).toBeLessThan(1);
  });

  test('the day clocks go forward in Rome is a 23-hour bar', async ({ db }) => {
    // 29 March 2026: 02:00 CET becomes 03:00 CEST.
    const ctx = makeCtx(db, { now: new Date('2026-03-30T10:00:00Z') });
    const svc = await makeService(ctx, { since: LONG_AGO });
    await setServiceStatus(ctx, { service: svc.key, status: 'major_outage', at: new Date('2026-03-29T08:00:00Z') });
    await setServiceStatus(ctx, { service: svc.key, status: 'operational', at: new Date('2026-03-29T14:00:00Z') });
    const bars = (await getHomePage(ctx, { locale: 'it' })).services.find((s) => s.key === svc.key)!.bars;
    const dst = bars.find((b) => b.date === '2026-03-29')!;
    expect(dst.start).toEqual(new Date('2026-03-28T23:00:00Z'));
    expect(dst.end).toEqual(new Date('2026-03-29T22:00:00Z'));
    expect(dst.uptime).toBeCloseTo(1 - 6 / 23, 10);
    expect(dst.level).toBe('major');
    expect(bars.find((b) => b.date === '2026-03-30')!.start).toEqual(new Date('2026-03-29T22:00:00Z'));
  });

  test('the bars list the incidents of each day', async ({ db }) => {
    const c = clock(new Date('2026-03-18T08:00:00Z'));
    const ctx = makeCtx(db, { now: c });
    const svc = await makeService(ctx, { since: LONG_AGO });
    const { incident } = await makeIncident(ctx, {
      title: { it: 'Portale irraggiungibile', en: 'Portal unreachable' },
      services: [{ service: svc.key, status: 'major_outage' }],
    });
    c.set(new Date('2026-03-18T14:00:00Z'));
    await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'resolved',
      body: { it: 'Risolto.' },
      services: [{ service: svc.key, status: 'operational' }],
    });
    c.set(NOW);
    const bars = (await getHomePage(ctx, { locale: 'en' })).services.find((s) => s.key === svc.key)!.bars;
    expect(bars.find((b) => b.date === '2026-03-18')!.incidents).toEqual([{ id: incident.id, title: 'Portal unreachable' }]);
    expect(bars.find((b) => b.date === '2026-03-18')!.level).toBe('major');
    expect(bars.find((b) => b.date === '2026-03-17')!.incidents).toEqual([]);
    expect(bars.at(-1)!.incidents).toEqual([]);
  });

  test('the latest backlog figure of each metric is on the summary', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const svc = await makeService(ctx, { since: LONG_AGO });
    await recordBacklogSample(ctx, { service: svc.key, metric: 'receipts', label: { it: 'Ricevute' }, count: 900, measuredAt: at(-5) });
    await recordBacklogSample(ctx, { service: svc.key, metric: 'receipts', label: { it: 'Ricevute' }, count: 40, measuredAt: at(-1) });
    const view = (await getHomePage(ctx, { locale: 'it' })).services.find((s) => s.key === svc.key)!;
    expect(view.backlog).toEqual([
      { serviceKey: svc.key, metric: 'receipts', label: 'Ricevute', count: 40, oldestAgeSeconds: null, measuredAt: at(-1) },
    ]);
  });
});

describe('home page incidents', () => {
  test('flag an overdue next update by the injected clock, strictly after the promised time', async ({ db }) => {
    const c = clock(NOW);
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx, { nextUpdateBy: at(2) });
    const flag = async () =>
      (await getHomePage(ctx, { locale: 'it' })).activeIncidents.find((i) => i.id === incident.id)!.nextUpdateOverdue;

    c.set(at(1));
    expect(await flag()).toBe(false);
    c.set(at(2));
    expect(await flag()).toBe(false);
    c.set(new Date(at(2).getTime() + 60_000));
    expect(await flag()).toBe(true);

    // A new update with a new promise clears it.
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', body: { it: 'x' }, nextUpdateBy: at(4) });
    expect(await flag()).toBe(false);
    // No promise at all is never overdue.
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'monitoring', body: { it: 'y' }, nextUpdateBy: null });
    c.set(at(100));
    expect(await flag()).toBe(false);
  });

  test('fall back to the Italian text, marked it, when English is missing', async ({ db }) => {
    const c = clock(NOW);
    const ctx = makeCtx(db, { now: c });
    const svc = await makeService(ctx, { since: LONG_AGO, name: { it: 'Invio fatture' } });
    const { incident } = await makeIncident(ctx, {
      title: { it: 'Invio rallentato', en: 'Slow sending' },
      body: { it: 'Solo in italiano.' },
      services: [{ service: svc.key, status: 'degraded_performance' }],
    });
    const en = await getHomePage(ctx, { locale: 'en' });
    const view = en.activeIncidents.find((i) => i.id === incident.id)!;
    expect(view.title).toEqual({ text: 'Slow sending', locale: 'en' });
    expect(view.latestUpdate!.body).toEqual({ text: 'Solo in italiano.', locale: 'it' });
    expect(view.services).toEqual([{ key: svc.key, name: 'Invio fatture', status: 'degraded_performance' }]);
    expect(en.services.find((s) => s.key === svc.key)!.name).toBe('Invio fatture');

    c.set(at(1));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', body: { it: 'Causa trovata.', en: 'Cause found.', } });
    const later = (await getHomePage(ctx, { locale: 'en' })).activeIncidents.find((i) => i.id === incident.id)!;
    expect(later.latestUpdate!.body).toEqual({ text: 'Cause found.', locale: 'en' });
    const it = (await getHomePage(ctx, { locale: 'it' })).activeIncidents.find((i) => i.id === incident.id)!;
    expect(it.latestUpdate!.body).toEqual({ text: 'Causa trovata.', locale: 'it' });
  });
});
