import { describe, expect } from 'vitest';
import { incidents, maintenances } from '../../db/schema/index.ts';
import { recordBacklogSample, setServiceStatus } from '../../src/services/catalog.ts';
import { postIncidentUpdate, publishPostmortem } from '../../src/services/incidents.ts';
import { scheduleMaintenance } from '../../src/services/maintenance.ts';
import { HISTORY_PAGE_SIZE, getHistory, getIncidentPage, getServicePage } from '../../src/services/read.ts';
import { HOUR, clock, makeCtx, makeIncident, makeService, uid } from './factories.ts';
import { dbTest as test } from '../support/db.ts';
import { eq } from 'drizzle-orm';

// Opens the file's database under the hook timeout rather than the first test's (slow on a busy machine).
test.beforeAll(async ({ database }) => void database);

const NOW = new Date('2026-03-19T10:00:00Z');
const at = (h: number) => new Date(NOW.getTime() + h * HOUR);
const LONG_AGO = new Date('2025-06-01T00:00:00Z');

describe('getIncidentPage', () => {
  test('lists updates newest first (by display time), with each service change and the current statuses', async ({ db }) => {
    const c = clock(at(-10));
    const ctx = makeCtx(db, { now: c });
    const web = await makeService(ctx, { since: LONG_AGO, name: { it: 'Portale web', en: 'Web portal' } });
    const sending = await makeService(ctx, { since: LONG_AGO });
    const { incident, update: first } = await makeIncident(ctx, {
      body: { it: 'Primo' },
      services: [{ service: web.key, status: 'major_outage' }],
    });
    c.set(at(-8));
    const { update: second } = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'identified',
      body: { it: 'Secondo', en: 'Second' },
      services: [
        { service: web.key, status: 'partial_outage' },
        { service: sending.key, status: 'degraded_performance' },
      ],
    });
    c.set(at(-5));
    const { update: third } = await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'monitoring', body: { it: 'Terzo' } });
    // Posted last but dated between the first two (a note written up after the fact).
    c.set(at(-4));
    const { update: backdated } = await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'monitoring',
      body: { it: 'Retrodatato' },
      displayAt: at(-9),
    });

    const page = (await getIncidentPage(ctx, { id: incident.id, locale: 'en' }))!;
    expect(page.updates.map((u) => u.id)).toEqual([third.id, second.id, backdated.id, first.id]);
    expect(page.latestUpdate!.id).toBe(third.id);
    expect(page.version).toBe(4);
    expect(page.status).toBe('monitoring');
    expect(page.updates[1]!.body).toEqual({ text: 'Second', locale: 'en' });
    expect(page.updates[0]!.body).toEqual({ text: 'Terzo', locale: 'it' });
    const changes = Object.fromEntries(page.updates[1]!.services.map((s) => [s.key, s]));
    expect(changes[web.key]).toEqual({ key: web.key, name: 'Web portal', oldStatus: 'major_outage', newStatus: 'partial_outage' });
    expect(changes[sending.key]).toMatchObject({ oldStatus: 'operational', newStatus: 'degraded_performance' });
    expect(page.updates[3]!.services).toEqual([
      { key: web.key, name: 'Web portal', oldStatus: 'operational', newStatus: 'major_outage' },
    ]);
    expect(Object.fromEntries(page.services.map((s) => [s.key, s.status]))).toEqual({
      [web.key]: 'partial_outage',
      [sending.key]: 'degraded_performance',
    });
    expect(page.postmortem).toBeNull();
  });

  test('shows the postmortem in the reader’s language with fallback', async ({ db }) => {
    const c = clock(at(-10));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);
    c.set(at(-9));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: { it: 'Risolto' } });
    c.set(at(-1));
    await publishPostmortem(ctx, { incidentId: incident.id, body: { it: 'Analisi' } });
    const page = (await getIncidentPage(ctx, { id: incident.id, locale: 'en' }))!;
    expect(page).toMatchObject({
      status: 'postmortem',
      resolvedAt: at(-9),
      postmortem: { text: 'Analisi', locale: 'it' },
      postmortemAt: at(-1),
      nextUpdateOverdue: false,
    });
  });

  test('an unknown id is null', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    expect(await getIncidentPage(ctx, { id: `nope${uid()}`, locale: 'it' })).toBeNull();
  });
});

describe('getServicePage', () => {
  test('computes uptime over 30 and 90 days from the status history', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const since = new Date('2026-01-10T11:00:00Z');
    const svc = await makeService(ctx, { since });
    // 15 February: 10 hours of major outage (inside 90 days, outside 30).
    await setServiceStatus(ctx, { service: svc.key, status: 'major_outage', at: new Date('2026-02-15T06:00:00Z') });
    await setServiceStatus(ctx, { service: svc.key, status: 'operational', at: new Date('2026-02-15T16:00:00Z') });
    // 12 March: 2 hours of partial outage (counted at 30 %).
    await setServiceStatus(ctx, { service: svc.key, status: 'partial_outage', at: new Date('2026-03-12T08:00:00Z') });
    await setServiceStatus(ctx, { service: svc.key, status: 'operational', at: new Date('2026-03-12T10:00:00Z') });

    const page = (await getServicePage(ctx, { key: svc.key, locale: 'it' }))!;
    // 30 calendar days in Rome, today included: from midnight of 18 February (CET) to now.
    const from30 = new Date('2026-02-17T23:00:00Z');
    const seconds30 = (NOW.getTime() - from30.getTime()) / 1000;
    expect(page.uptime30).toBeCloseTo(1 - (0.3 * 2 * 3600) / seconds30, 10);
    const seconds90 = (NOW.getTime() - since.getTime()) / 1000;
    expect(page.service.uptime90).toBeCloseTo(1 - (10 * 3600 + 0.3 * 2 * 3600) / seconds90, 10);
    expect(page.uptime30).toBeGreaterThan(page.service.uptime90!);
    expect(page.service.bars.find((b) => b.date === '2026-02-15')!.level).toBe('major');
    expect(page.service.bars.find((b) => b.date === '2026-03-12')!.level).toBe('partial');
  });

  test('a service with no history in the window has no uptime rather than 100 %', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const svc = await makeService(ctx, { since: at(24) }); // history starts tomorrow
    const page = (await getServicePage(ctx, { key: svc.key, locale: 'it' }))!;
    expect(page.uptime30).toBeNull();
    expect(page.service.uptime90).toBeNull();
  });

  test('lists its incidents newest first, its backlog history for 30 days and its maintenance', async ({ db }) => {
    const c = clock(at(-24 * 20));
    const ctx = makeCtx(db, { now: c });
    const svc = await makeService(ctx, { since: LONG_AGO });
    const other = await makeService(ctx, { since: LONG_AGO });
    const { incident: older } = await makeIncident(ctx, { services: [{ service: svc.key, status: 'partial_outage' }] });
    c.set(at(-24 * 19));
    await postIncidentUpdate(ctx, {
      incidentId: older.id,
      status: 'resolved',
      body: { it: 'Risolto' },
      services: [{ service: svc.key, status: 'operational' }],
    });
    c.set(at(-5));
    const { incident: newer } = await makeIncident(ctx, {
      title: { it: 'Recente', en: 'Recent' },
      services: [{ service: svc.key, status: 'major_outage' }],
    });
    await makeIncident(ctx, { services: [{ service: other.key, status: 'major_outage' }] });

    c.set(NOW);
    const label = { it: 'Ricevute da abbinare', en: 'Receipts to match' };
    await recordBacklogSample(ctx, { service: svc.key, metric: 'receipts', label, count: 50_000, measuredAt: at(-24 * 40) });
    await recordBacklogSample(ctx, { service: svc.key, metric: 'receipts', label, count: 20_000, measuredAt: at(-24 * 3) });
    await recordBacklogSample(ctx, { service: svc.key, metric: 'receipts', label, count: 8_000, oldestAgeSeconds: 3600, measuredAt: at(-1) });
    await recordBacklogSample(ctx, { service: svc.key, metric: 'orders', label: { it: 'Ordini NSO' }, count: 3, measuredAt: at(-2) });
    await recordBacklogSample(ctx, { service: other.key, metric: 'receipts', label, count: 1, measuredAt: at(-1) });

    const mine = await scheduleMaintenance(ctx, { title: { it: 'Mia' }, services: [svc.key], scheduledStart: at(24), scheduledEnd: at(26) });
    await scheduleMaintenance(ctx, { title: { it: 'Altrui' }, services: [other.key], scheduledStart: at(24), scheduledEnd: at(26) });
    await scheduleMaintenance(ctx, {
      title: { it: 'Vecchia' },
      services: [svc.key],
      scheduledStart: at(-24 * 120),
      scheduledEnd: at(-24 * 120 + 2),
      status: 'completed',
    });

    const page = (await getServicePage(ctx, { key: svc.key, locale: 'en' }))!;
    expect(page.service.key).toBe(svc.key);
    expect(page.service.status).toBe('major_outage');
    expect(page.incidents.map((i) => i.id)).toEqual([newer.id, older.id]);
    expect(page.incidents[0]).toMatchObject({ title: { text: 'Recent', locale: 'en' }, status: 'investigating', resolvedAt: null });
    expect(page.incidents[1]).toMatchObject({ status: 'resolved', resolvedAt: at(-24 * 19) });

    const history = Object.fromEntries(page.backlogHistory.map((m) => [m.metric, m]));
    expect(Object.keys(history).sort()).toEqual(['orders', 'receipts']);
    expect(history.receipts!.label).toBe('Receipts to match');
    expect(history.receipts!.samples).toEqual([
      { count: 20_000, oldestAgeSeconds: null, measuredAt: at(-24 * 3) },
      { count: 8_000, oldestAgeSeconds: 3600, measuredAt: at(-1) },
    ]);
    expect(history.orders!.label).toBe('Ordini NSO');
    expect(page.service.backlog.map((b) => [b.metric, b.count]).sort()).toEqual([
      ['orders', 3],
      ['receipts', 8_000],
    ]);
    expect(page.maintenances.map((m) => m.id)).toEqual([mine.id]);
  });

  test('an unknown key is null', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    expect(await getServicePage(ctx, { key: `nope-${uid()}`, locale: 'it' })).toBeNull();
  });
});

describe('getHistory', () => {
  test('groups by month of start in Europe/Rome: 31 January 23:30 UTC is February', async ({ db }) => {
    const ctx = makeCtx(db, { now: new Date('2031-06-01T00:00:00Z') });
    const feb = await makeIncident(ctx, { title: { it: 'Notte' }, startedAt: new Date('2031-01-31T23:30:00Z') });
    const jan = await makeIncident(ctx, { title: { it: 'Sera' }, startedAt: new Date('2031-01-31T22:30:00Z') });
    const mar = await makeIncident(ctx, { title: { it: 'Marzo' }, startedAt: new Date('2031-03-05T12:00:00Z') });

    const page = await getHistory(ctx, { locale: 'it', page: 1 });
    const months = page.months.filter((m) => m.key.startsWith('2031-'));
    expect(months.map((m) => [m.key, m.items.map((i) => i.id)])).toEqual([
      ['2031-03', [mar.incident.id]],
      ['2031-02', [feb.incident.id]],
      ['2031-01', [jan.incident.id]],
    ]);

    // In UTC the night incident would be January.
    const utc = await getHistory({ ...ctx, timeZone: 'UTC' }, { locale: 'it', page: 1 });
    const janUtc = utc.months.find((m) => m.key === '2031-01')!;
    expect(janUtc.items.map((i) => i.id)).toEqual([feb.incident.id, jan.incident.id]);
  });

  test('pages newest first, HISTORY_PAGE_SIZE per page, mixing incidents and completed maintenance', async ({ db }) => {
    const c = clock(new Date('2032-06-01T00:00:00Z'));
    const ctx = makeCtx(db, { now: c });
    const svc = await makeService(ctx, { since: new Date('2032-01-01T00:00:00Z') });
    const base =
      (await db.$count(incidents)) + (await db.$count(maintenances, eq(maintenances.status, 'completed')));

    // 44 incidents, one a day from 1 January 2032 (all newer than anything else in the database).
    const start = new Date('2032-01-01T10:00:00Z').getTime();
    const ids: string[] = [];
    for (let d = 0; d < 44; d++) {
      const { incident } = await makeIncident(ctx, { startedAt: new Date(start + d * 24 * HOUR), status: 'resolved' });
      ids.push(incident.id);
    }
    // A completed maintenance on 20 January counts, a scheduled one (still ahead, in July) does not.
    const done = await scheduleMaintenance(ctx, {
      title: { it: 'Fatta', en: 'Done' },
      services: [svc.key],
      scheduledStart: new Date('2032-01-20T02:00:00Z'),
      scheduledEnd: new Date('2032-01-20T04:00:00Z'),
      status: 'completed',
    });
    const pending = await scheduleMaintenance(ctx, {
      title: { it: 'Futura' },
      services: [svc.key],
      scheduledStart: new Date('2032-07-21T02:00:00Z'),
      scheduledEnd: new Date('2032-07-21T04:00:00Z'),
    });

    const total = base + 45;
    const totalPages = Math.ceil(total / HISTORY_PAGE_SIZE);
    const flat = (p: Awaited<ReturnType<typeof getHistory>>) => p.months.flatMap((m) => m.items);

    const p1 = await getHistory(ctx, { locale: 'en', page: 1 });
    expect(p1).toMatchObject({ page: 1, totalPages });
    const items1 = flat(p1);
    expect(items1).toHaveLength(HISTORY_PAGE_SIZE);
    const newestFirst = [...ids].reverse();
    expect(items1.map((i) => i.id)).toEqual(newestFirst.slice(0, HISTORY_PAGE_SIZE));
    expect(p1.months.map((m) => m.key)).toEqual(['2032-02', '2032-01']);
    expect(p1.months[0]!.items).toHaveLength(13); // 1–13 February
    expect(items1[0]).toMatchObject({ kind: 'incident', status: 'resolved', durationMs: 0 });

    const p2 = await getHistory(ctx, { locale: 'en', page: 2 });
    const items2 = flat(p2);
    expect(items2).toHaveLength(HISTORY_PAGE_SIZE);
    // The maintenance of 20 January (03:00 in Rome) sits between the incidents of 20 January (11:00) and 19 January.
    const maintenanceIndex = items2.findIndex((i) => i.id === done.id);
    expect(maintenanceIndex).toBeGreaterThan(0);
    expect(items2[maintenanceIndex]).toMatchObject({
      kind: 'maintenance',
      title: { text: 'Done', locale: 'en' },
      impact: 'maintenance',
      durationMs: 2 * HOUR,
      services: [{ key: svc.key, name: `Service ${svc.key}` }],
    });
    expect(items2[maintenanceIndex - 1]!.startedAt).toEqual(new Date('2032-01-20T10:00:00Z'));
    expect(items2[maintenanceIndex + 1]!.startedAt).toEqual(new Date('2032-01-19T10:00:00Z'));
    const all = [...items1, ...items2, ...flat(await getHistory(ctx, { locale: 'en', page: 3 }))];
    expect(all.map((i) => i.id)).not.toContain(pending.id);
    expect(new Set(all.map((i) => i.id)).size).toBe(all.length);
    expect(all.filter((i) => ids.includes(i.id) || i.id === done.id)).toHaveLength(Math.min(45, 3 * HISTORY_PAGE_SIZE));

    // Out-of-range pages are clamped.
    expect((await getHistory(ctx, { locale: 'en', page: 0 })).page).toBe(1);
    expect((await getHistory(ctx, { locale: 'en', page: 999 })).page).toBe(totalPages);
  });

  test('an empty history has one empty page', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    if ((await db.$count(incidents)) + (await db.$count(maintenances)) > 0) return; // only meaningful on an empty database
    expect(await getHistory(ctx, { locale: 'it', page: 3 })).toEqual({ months: [], page: 1, totalPages: 1 });
  });
});
