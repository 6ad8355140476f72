/**
 * The uptime bars' past is kept between the writes that change it (src/services/history.ts, migration 0009).
 *
 * These tests COMMIT to the file's own database (`database.db`): the history version moves at a commit, which a
 * test's rolled-back transaction never reaches. Whether a page used its kept copy shows in the stored days: a
 * read that goes to the database recomputes and stores the days deleted behind its back, a kept copy does not.
 */
import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import type { Db } from '../../db/client.ts';
import { contentVersion, incidents, serviceDailyUptime, statusIntervals } from '../../db/schema/index.ts';
import { postIncidentUpdate, updateIncident } from '../../src/services/incidents.ts';
import { getServicePage } from '../../src/services/read.ts';
import { dbTest as test } from '../support/db.ts';
import { DAY, HOUR, makeCtx, makeIncident, makeService, storedDays } from './factories.ts';

test.beforeAll(async ({ database }) => void database);

const NOW = new Date('2026-11-20T15:37:00Z');

async function historyVersion(db: Db) {
  const [row] = await db.select({ v: contentVersion.historyVersion }).from(contentVersion).where(eq(contentVersion.id, 1));
  return row!.v;
}

/** A major outage entered late, in a closed day. */
function addPastOutage(db: Db, serviceId: string, start: string, end: string) {
  return db
    .insert(statusIntervals)
    .values({ serviceId, status: 'major_outage', source: 'manual', startedAt: new Date(start), endedAt: new Date(end) });
}

describe('the bars kept between history changes', () => {
  test('an update posted keeps them; a new title, a late correction and a resolution are read again', async ({ database }) => {
    const db = database.db;
    const ctx = makeCtx(db, { now: NOW });
    const svc = await makeService(ctx, { since: new Date(NOW.getTime() - 200 * DAY) });
    const { incident } = await makeIncident(ctx, {
      title: { it: 'Fatture in ritardo', en: 'Invoices delayed' },
      services: [{ service: svc.key, status: 'partial_outage' }],
      startedAt: new Date(NOW.getTime() - 3 * DAY),
      notify: false,
    });
    const page = async () => (await getServicePage(ctx, { key: svc.key, locale: 'it' }))!.service;
    const titlesOn = (bars: { date: string; incidents: { title: string }[] }[], date: string) =>
      bars.find((b) => b.date === date)!.incidents.map((i) => i.title);

    const first = await page();
    expect(await storedDays(db, svc.id)).toBe(89);
    expect(titlesOn(first.bars, '2026-11-18')).toEqual(['Fatture in ritardo']);
    const version = await historyVersion(db);
    // The first read computed and stored the days; the next one finds them all and keeps them.
    await page();

    // Behind the reader's back: the stored days go (a cache table, it bumps nothing).
    await db.delete(serviceDailyUptime).where(eq(serviceDailyUptime.serviceId, svc.id));
    await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'identified',
      body: { it: 'Causa individuata.' },
      notify: false,
    });
    expect(await historyVersion(db)).toBe(version);
    const second = await page();
    expect(second.bars.map((b) => [b.date, b.level, b.incidents])).toEqual(first.bars.map((b) => [b.date, b.level, b.incidents]));
    expect(await storedDays(db, svc.id), 'the kept copy served the closed days').toBe(0);

    // A new title is on the bars at once, and the days are read (and stored) again.
    const [row] = await db.select({ version: incidents.version }).from(incidents).where(eq(incidents.id, incident.id));
    await updateIncident(ctx, { incidentId: incident.id, expectedVersion: row!.version, title: { it: 'Fatturazione lenta' } });
    expect(await historyVersion(db)).toBe(version + 1);
    const third = await page();
    expect(titlesOn(third.bars, '2026-11-18')).toEqual(['Fatturazione lenta']);
    expect(await storedDays(db, svc.id)).toBe(89);

    await addPastOutage(db, svc.id, '2026-11-10T09:00:00Z', '2026-11-10T12:00:00Z');
    expect((await page()).bars.find((b) => b.date === '2026-11-10')!.level).toBe('major');

    // Resolving the incident ends its span on the bars (today's bar only: yesterday's still lists it).
    await db.update(incidents).set({ resolvedAt: new Date(NOW.getTime() - 36 * HOUR) }).where(eq(incidents.id, incident.id));
    const resolved = await page();
    expect(titlesOn(resolved.bars, '2026-11-18')).toEqual(['Fatturazione lenta']);
    expect(titlesOn(resolved.bars, '2026-11-20')).toEqual([]);
  });

  test('a transaction that wrote reads its own change, not the kept copy', async ({ database }) => {
    const db = database.db;
    const ctx = makeCtx(db, { now: NOW });
    const svc = await makeService(ctx, { since: new Date(NOW.getTime() - 200 * DAY) });
    const levelOn = async (c: typeof ctx, date: string) =>
      (await getServicePage(c, { key: svc.key, locale: 'it' }))!.service.bars.find((b) => b.date === date)!.level;
    expect(await levelOn(ctx, '2026-11-12')).toBe('operational');

    await db.transaction(async (tx) => {
      const inside = { ...ctx, db: tx as unknown as Db };
      expect(await levelOn(inside, '2026-11-12')).toBe('operational');
      await addPastOutage(inside.db, svc.id, '2026-11-12T09:00:00Z', '2026-11-12T12:00:00Z');
      expect(await levelOn(inside, '2026-11-12')).toBe('major');
    });
    expect(await levelOn(ctx, '2026-11-12')).toBe('major');
  });
});
