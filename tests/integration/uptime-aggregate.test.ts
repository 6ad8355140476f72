/**
 * The pre-aggregated daily uptime (service_daily_uptime + the invalidation trigger + src/services/uptime.ts)
 * must give the same bars as measuring the full status history directly (`dailyUptimeBars`), on the first
 * read (days computed and stored), on later reads (days read back), and after changes to the history.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import type { Db } from '../../db/client.ts';
import { heartbeatMinutes, services, statusIntervals } from '../../db/schema/index.ts';
import { type DayBar, dailyUptimeBars, uptimeOverPeriod } from '../../src/domain/uptime.ts';
import type { ServiceStatus } from '../../src/domain/vocab.ts';
import { setServiceStatus } from '../../src/services/catalog.ts';
import { recordHeartbeat } from '../../src/services/heartbeats.ts';
import { getHomePage, getServicePage } from '../../src/services/read.ts';
import { uptimeDays } from '../../src/services/uptime.ts';
import { dbTest as test } from '../support/db.ts';
import { DAY, HOUR, ROME, clock, makeCtx, makeService, storedDays } from './factories.ts';

test.beforeAll(async ({ database }) => void database);

const MINUTE = 60_000;
// 90 days before this include both of Rome's 2026 DST changes (29 March, 25 October).
const NOW = new Date('2026-11-20T15:37:00Z');
const LONG_AGO = new Date('2026-01-01T00:00:00Z');

type Row = { status: ServiceStatus; start: Date; end: Date | null };

/** Direct measurement of the whole history, the reference the aggregate must match. */
async function directBars(db: Db, serviceId: string, now: Date, timeZone: string): Promise<DayBar[]> {
  const rows = await db.select().from(statusIntervals).where(eq(statusIntervals.serviceId, serviceId));
  const history = rows
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
    .map((r) => ({ status: r.status, start: r.startedAt, end: r.endedAt }));
  return dailyUptimeBars(history, { days: 90, now, timeZone });
}

function expectSameBars(actual: DayBar[], expected: DayBar[]) {
  expect(actual.map((b) => [b.date, b.level, b.start.toISOString(), b.end.toISOString()])).toEqual(
    expected.map((b) => [b.date, b.level, b.start.toISOString(), b.end.toISOString()]),
  );
  actual.forEach((bar, i) => {
    const want = expected[i]!;
    for (const [status, seconds] of Object.entries(want.seconds)) {
      expect(bar.seconds[status as ServiceStatus], `${bar.date} ${status}`).toBeCloseTo(seconds, 6);
    }
    if (want.uptime === null) expect(bar.uptime).toBeNull();
    else expect(bar.uptime, bar.date).toBeCloseTo(want.uptime, 12);
  });
}

/** A history with overlaps, short blips, outages across midnight and both DST changes, ending in an open one. */
async function busyService(db: Db, ctx: ReturnType<typeof makeCtx>) {
  const svc = await makeService(ctx, { since: LONG_AGO });
  const [open] = await db.select().from(statusIntervals).where(eq(statusIntervals.serviceId, svc.id));
  // The creation interval stays open (operational); the rows below overlap it and win while they run.
  const rows: Row[] = [
    // Spring forward (a 23-hour day): partial outage from 01:30 to 03:30 local (00:30Z..01:30Z).
    { status: 'partial_outage', start: new Date('2026-03-29T00:30:00Z'), end: new Date('2026-03-29T01:30:00Z') },
    // Fall back (a 25-hour day), major outage across the repeated hour.
    { status: 'major_outage', start: new Date('2026-10-25T00:10:00Z'), end: new Date('2026-10-25T02:20:00Z') },
    // Across midnight in Rome (23:00 → 01:00 CET).
    { status: 'degraded_performance', start: new Date('2026-11-02T22:00:00Z'), end: new Date('2026-11-03T00:00:00Z') },
    // A 2-minute blip: counted in the figure, not in the colour.
    { status: 'major_outage', start: new Date('2026-11-05T09:00:00Z'), end: new Date('2026-11-05T09:02:00Z') },
    // Overlaps: a maintenance with an outage inside it; the later start wins, then maintenance resumes.
    { status: 'under_maintenance', start: new Date('2026-11-10T01:00:00Z'), end: new Date('2026-11-10T05:00:00Z') },
    { status: 'major_outage', start: new Date('2026-11-10T02:00:00Z'), end: new Date('2026-11-10T03:00:00Z') },
    // Several days long, ending yesterday.
    { status: 'partial_outage', start: new Date('2026-11-16T12:00:00Z'), end: new Date('2026-11-19T08:00:00Z') },
  ];
  await db.insert(statusIntervals).values(
    rows.map((r) => ({ serviceId: svc.id, status: r.status, source: 'manual' as const, startedAt: r.start, endedAt: r.end })),
  );
  return { svc, creationInterval: open! };
}

describe('pre-aggregated daily uptime', () => {
  test('equals the direct computation on the first read, and when read back from the stored days', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const { svc } = await busyService(db, ctx);
    // Still open, started today: today's bar is measured live.
    await setServiceStatus(ctx, { service: svc.key, status: 'degraded_performance', at: new Date(NOW.getTime() - 3 * HOUR) });
    const expected = await directBars(db, svc.id, NOW, ROME);

    expect(await storedDays(db, svc.id)).toBe(0);
    const first = (await getHomePage(ctx, { locale: 'it' })).services.find((s) => s.id === svc.id)!;
    expectSameBars(first.bars, expected);
    // Every closed day is stored; today is not.
    expect(await storedDays(db, svc.id)).toBe(89);

    const again = (await getHomePage(ctx, { locale: 'en' })).services.find((s) => s.id === svc.id)!;
    expectSameBars(again.bars, expected);
    expect(again.status).toBe('degraded_performance');
    const history = (await db.select().from(statusIntervals).where(eq(statusIntervals.serviceId, svc.id))).map((r) => ({
      status: r.status,
      start: r.startedAt,
      end: r.endedAt,
    }));
    expect(again.uptime90).toBeCloseTo(uptimeOverPeriod(history, { from: expected[0]!.start, to: NOW })!, 12);
    const page = await getServicePage(ctx, { key: svc.key, locale: 'it' });
    expect(page!.uptime30).toBeCloseTo(uptimeOverPeriod(history, { from: expected[60]!.start, to: NOW })!, 12);

    // The DST days really are 23 and 25 hours long, and coloured by what happened in them.
    const autumn = again.bars.find((b) => b.date === '2026-10-25')!;
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(25 * HOUR);
    expect(autumn.level).toBe('major');
    expect(again.bars.find((b) => b.date === '2026-11-05')!.level).toBe('operational');
  });

  test('a status change dated in a stored day forgets that day only, and the next read matches again', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const { svc } = await busyService(db, ctx);
    await uptimeDays(ctx, [svc.id], 90, null);
    expect(await storedDays(db, svc.id)).toBe(89);

    // A correction entered late: an outage on 12 November (13:00–14:30 in Rome).
    await db.insert(statusIntervals).values({
      serviceId: svc.id,
      status: 'major_outage',
      source: 'manual',
      startedAt: new Date('2026-11-12T12:00:00Z'),
      endedAt: new Date('2026-11-12T13:30:00Z'),
    });
    expect(await storedDays(db, svc.id)).toBe(88);
    const bars = (await getHomePage(ctx, { locale: 'it' })).services.find((s) => s.id === svc.id)!.bars;
    expectSameBars(bars, await directBars(db, svc.id, NOW, ROME));
    expect(bars.find((b) => b.date === '2026-11-12')!.level).toBe('major');
    expect(await storedDays(db, svc.id)).toBe(89);

    // Moving an end across midnight forgets the two days it moved through.
    await db
      .update(statusIntervals)
      .set({ endedAt: new Date('2026-11-14T01:00:00Z') })
      .where(and(eq(statusIntervals.serviceId, svc.id), eq(statusIntervals.startedAt, new Date('2026-11-12T12:00:00Z'))));
    expect(await storedDays(db, svc.id)).toBe(86);
    expectSameBars(await barsOf(ctx, svc.id), await directBars(db, svc.id, NOW, ROME));

    // Deleting a past interval forgets its days too.
    await db
      .delete(statusIntervals)
      .where(and(eq(statusIntervals.serviceId, svc.id), eq(statusIntervals.startedAt, new Date('2026-11-16T12:00:00Z'))));
    expect(await storedDays(db, svc.id)).toBe(85);
    expectSameBars(await barsOf(ctx, svc.id), await directBars(db, svc.id, NOW, ROME));
  });

  test('a status change now keeps every stored day; the next midnight adds one more', async ({ db }) => {
    const c = clock(NOW);
    const ctx = makeCtx(db, { now: c });
    const { svc } = await busyService(db, ctx);
    await uptimeDays(ctx, [svc.id], 90, null);
    // Closes the long-open creation interval and opens a new one, both at now: no closed day changes.
    await setServiceStatus(ctx, { service: svc.key, status: 'major_outage' });
    expect(await storedDays(db, svc.id)).toBe(89);
    expectSameBars(await barsOf(ctx, svc.id), await directBars(db, svc.id, NOW, ROME));

    // Past midnight in Rome the outage day is closed: it is measured once and stored, the open outage continues.
    c.advance(10 * HOUR);
    expectSameBars(await barsOf(ctx, svc.id), await directBars(db, svc.id, c.now(), ROME));
    expect(await storedDays(db, svc.id)).toBe(90);
    c.advance(2 * DAY + 7 * MINUTE);
    expectSameBars(await barsOf(ctx, svc.id), await directBars(db, svc.id, c.now(), ROME));
  });

  test('the spring-forward day is 23 hours long, stored and read back the same', async ({ db }) => {
    const april = new Date('2026-04-10T08:00:00Z');
    const ctx = makeCtx(db, { now: april });
    const { svc } = await busyService(db, ctx);
    const first = await barsOf(ctx, svc.id);
    const again = await barsOf(ctx, svc.id);
    const expected = await directBars(db, svc.id, april, ROME);
    expectSameBars(first, expected);
    expectSameBars(again, expected);
    const spring = again.find((b) => b.date === '2026-03-29')!;
    expect(spring.end.getTime() - spring.start.getTime()).toBe(23 * HOUR);
    expect(spring.level).toBe('partial');
    expect(spring.seconds.partial_outage).toBe(3600);
  });

  test('each page time zone keeps its own days', async ({ db }) => {
    const rome = makeCtx(db, { now: NOW });
    const { svc } = await busyService(db, rome);
    const ny = makeCtx(db, { now: NOW, timeZone: 'America/New_York' });
    expectSameBars(await barsOf(rome, svc.id), await directBars(db, svc.id, NOW, ROME));
    expectSameBars(await barsOf(ny, svc.id), await directBars(db, svc.id, NOW, 'America/New_York'));
    expect(await storedDays(db, svc.id, 'America/New_York')).toBe(89);
    expect(await storedDays(db, svc.id, ROME)).toBe(89);
  });

  test('a service created yesterday has empty days before it, and a day begun at its creation', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const svc = await makeService(ctx, { since: new Date(NOW.getTime() - 20 * HOUR) });
    const bars = await barsOf(ctx, svc.id);
    expectSameBars(bars, await directBars(db, svc.id, NOW, ROME));
    expect(bars.filter((b) => b.level === 'nodata')).toHaveLength(88);
  });

  test('heartbeats are counted per service and minute', async ({ db }) => {
    const c = clock(new Date('2026-11-20T10:00:05Z'));
    const ctx = makeCtx(db, { now: c });
    const svc = await makeService(ctx);
    await recordHeartbeat(ctx, { service: svc.key });
    c.advance(20_000);
    await recordHeartbeat(ctx, { service: svc.key });
    c.advance(40_000);
    await recordHeartbeat(ctx, { service: svc.key });
    const rows = await db.select().from(heartbeatMinutes).where(eq(heartbeatMinutes.serviceId, svc.id));
    expect(rows.map((r) => [r.minute.toISOString(), r.count]).sort()).toEqual([
      ['2026-11-20T10:00:00.000Z', 2],
      ['2026-11-20T10:01:00.000Z', 1],
    ]);
    // Removing the service removes its record.
    await db.delete(services).where(eq(services.id, svc.id));
    expect(await db.select().from(heartbeatMinutes).where(eq(heartbeatMinutes.serviceId, svc.id))).toEqual([]);
  });
});

async function barsOf(ctx: ReturnType<typeof makeCtx>, serviceId: string) {
  const home = await getHomePage(ctx, { locale: 'it' });
  return home.services.find((s) => s.id === serviceId)!.bars;
}
