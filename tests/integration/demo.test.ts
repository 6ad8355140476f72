/**
 * The demo scenario (src/demo): loaded into a fresh migrated database with a fixed "today", it must tell the
 * reference story through the service layer — and never date anything that happened after now.
 */
import { count, isNotNull } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  backlogSamples,
  dataGapNotices,
  events,
  incidentFaq,
  incidentUpdates,
  incidents,
  milestones,
  services,
  statusIntervals,
} from '../../db/schema/index.ts';
import { loadDemoScenario } from '../../src/demo/scenario.ts';
import { MAIN_INCIDENT, STORY, type At } from '../../src/demo/story.ts';
import { addZonedDays, formatZonedLocal, zonedDateKey, zonedTimeToUtc } from '../../src/domain/time.ts';
import type { Ctx } from '../../src/services/context.ts';
import { getHistory, getHomePage, getIncidentPage, getServicePage } from '../../src/services/read.ts';
import { makeCtx, useTestDatabase } from '../support/db.ts';

const ROME = 'Europe/Rome';
const HOUR = 3_600_000;
const LOAD_TIMEOUT = 120_000;

/** A Rome wall-clock time as an instant. */
const rome = (y: number, mo: number, d: number, h = 12, mi = 0) => zonedTimeToUtc(ROME, y, mo, d, h, mi);
/** The Rome calendar date ('YYYY-MM-DD') of scenario day `n` when `today` is day `anchor`. */
const dateOfDay = (today: Date, n: number, anchor = 19) => zonedDateKey(addZonedDays(today, n - anchor, ROME), ROME);

/** The questions partners must be able to answer (scenario.md), by the slug the demo gives them. */
const SCENARIO_QUESTIONS = [
  'area-vuota',
  'quando-torna-lo-storico',
  'fatture-non-presenti-ne-portale-ne-agenzia',
  'fatture-presenti-solo-su-fatture-e-corrispettivi',
  'fatture-in-elaborazione-sdi',
  'fatture-solo-fino-al-giorno-prima',
  'canale-di-emergenza',
  'sanzioni-invio-tardivo',
];

async function mainIncidentId(ctx: Ctx): Promise<string> {
  const home = await getHomePage(ctx, { locale: 'it' });
  const main = home.activeIncidents.find((i) => i.title.text.startsWith('Data center fuori servizio'));
  if (!main) throw new Error('main incident not on the home page');
  return main.id;
}

/** Everything the demo says happened, as [what, when] pairs, to compare with now. */
async function happenedDates(ctx: Ctx): Promise<[string, Date][]> {
  const db = ctx.db;
  const rows: [string, Date][] = [];
  for (const r of await db.select({ at: incidentUpdates.displayAt }).from(incidentUpdates)) rows.push(['update', r.at]);
  for (const r of await db.select({ at: incidents.startedAt, end: incidents.resolvedAt }).from(incidents)) {
    rows.push(['incident start', r.at]);
    if (r.end) rows.push(['incident resolution', r.end]);
  }
  for (const r of await db.select({ at: backlogSamples.measuredAt }).from(backlogSamples)) rows.push(['sample', r.at]);
  for (const r of await db.select({ at: milestones.actualAt }).from(milestones).where(isNotNull(milestones.actualAt))) {
    rows.push(['milestone actual', r.at!]);
  }
  for (const r of await db.select({ at: dataGapNotices.publishedAt }).from(dataGapNotices)) rows.push(['notice', r.at]);
  for (const r of await db.select({ at: statusIntervals.startedAt }).from(statusIntervals)) rows.push(['status change', r.at]);
  return rows;
}

async function expectNothingAfter(ctx: Ctx, now: Date) {
  const late = (await happenedDates(ctx)).filter(([, at]) => at.getTime() > now.getTime());
  expect(late.map(([what, at]) => `${what} ${at.toISOString()}`)).toEqual([]);
}

describe('the story data', () => {
  const order = (a: At) => a.day * 1440 + Number(a.time.slice(0, 2)) * 60 + Number(a.time.slice(3));

  it('writes each incident and milestone in time order', () => {
    for (const incident of STORY.incidents) {
      const times = incident.updates.map((u) => order(u.at));
      expect(times, incident.key).toEqual([...times].sort((a, b) => a - b));
    }
    for (const m of STORY.milestones) {
      const times = [m.listedAt, ...m.changes.map((c) => c.at)].map(order);
      expect(times, m.key).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('has the main incident with 10–14 updates, all in Italian and English', () => {
    const main = STORY.incidents.find((i) => i.key === MAIN_INCIDENT)!;
    expect(main.updates.length).toBeGreaterThanOrEqual(10);
    expect(main.updates.length).toBeLessThanOrEqual(14);
    expect(main.updates.every((u) => u.body.it.trim() && u.body.en.trim())).toBe(true);
  });

  it('answers every scenario question, with unique readable slugs', () => {
    const slugs = STORY.faq.map((f) => f.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    expect(slugs).toEqual(expect.arrayContaining(SCENARIO_QUESTIONS));
  });
});

describe('demo loaded on day 19 in the afternoon', () => {
  const t = useTestDatabase();
  const today = rome(2026, 3, 19, 15, 0);
  const run = <T>(fn: (ctx: Ctx) => Promise<T>) => t.run(fn, { now: today });

  beforeAll(async () => {
    // Loaded once, committed in this file's own database; the tests only read it.
    await loadDemoScenario(makeCtx(t.db, { now: today }), { today, day: 19 });
  }, LOAD_TIMEOUT);

  it('creates the six services and the emergency channel, open until the end of day 19', () =>
    run(async (ctx) => {
      const rows = await ctx.db.select().from(services);
      expect(rows.map((s) => s.key).sort()).toEqual(
        ['emergency-channel', 'phone', 'receipt-matching', 'receiving', 'sending', 'support', 'web'].sort(),
      );
      for (const s of rows) {
        expect(s.name.it, s.key).toBeTruthy();
        expect(s.name.en, s.key).toBeTruthy();
        expect(s.description?.it, s.key).toBeTruthy();
        expect(s.groupName?.it, s.key).toBeTruthy();
      }
      const channel = rows.find((s) => s.key === 'emergency-channel')!;
      expect(formatZonedLocal(channel.availableFrom!, ROME)).toBe(`${dateOfDay(today, 11)}T10:00`);
      expect(formatZonedLocal(channel.availableUntil!, ROME)).toBe(`${dateOfDay(today, 20)}T00:00`);

      const home = await getHomePage(ctx, { locale: 'en' });
      expect(home.services.map((s) => s.key)).toContain('emergency-channel');
      expect(new Set(home.services.map((s) => s.group))).toEqual(new Set(['E-invoicing', 'Support']));
    }));

  it('rolls the home page up to a real disruption, with the day-19 statuses', () =>
    run(async (ctx) => {
      const home = await getHomePage(ctx, { locale: 'it' });
      expect(home.indicator).not.toBe('none');
      const status = Object.fromEntries(home.services.map((s) => [s.key, s.status]));
      expect(status).toEqual({
        web: 'operational',
        sending: 'operational',
        receiving: 'degraded_performance',
        'receipt-matching': 'partial_outage',
        'emergency-channel': 'operational',
        support: 'partial_outage',
        phone: 'partial_outage',
      });
      // The bars are not flat: the outage took days out of the 90-day uptime.
      const web = home.services.find((s) => s.key === 'web')!;
      expect(web.uptime90).toBeLessThan(0.97);
      expect(web.bars.some((b) => b.level === 'major')).toBe(true);
      expect(web.bars.filter((b) => b.level === 'operational').length).toBeGreaterThan(60);
    }));

  it('tells the main incident in at least 10 updates in both languages, each status change shown', () =>
    run(async (ctx) => {
      const id = await mainIncidentId(ctx);
      const it = (await getIncidentPage(ctx, { id, locale: 'it' }))!;
      const en = (await getIncidentPage(ctx, { id, locale: 'en' }))!;
      expect(it.updates.length).toBeGreaterThanOrEqual(10);
      expect(en.updates.every((u) => u.body.locale === 'en')).toBe(true);
      expect(it.updates.every((u) => u.body.locale === 'it')).toBe(true);
      expect(['monitoring', 'identified']).toContain(it.status);

      const first = it.updates.at(-1)!;
      expect(formatZonedLocal(first.displayAt, ROME)).toBe(`${dateOfDay(today, 10)}T00:50`);
      expect(first.services).toHaveLength(6);
      expect(first.services.every((s) => s.newStatus === 'major_outage')).toBe(true);
      // The general reopening moves several services at once, and says from what to what.
      const reopening = it.updates.find((u) => formatZonedLocal(u.displayAt, ROME) === `${dateOfDay(today, 15)}T08:00`)!;
      expect(reopening.services.find((s) => s.key === 'sending')).toMatchObject({
        oldStatus: 'major_outage',
        newStatus: 'partial_outage',
      });

      // The public promise: a few hours ahead of now, not overdue.
      expect(it.nextUpdateBy!.getTime()).toBeGreaterThan(today.getTime() + HOUR);
      expect(it.nextUpdateBy!.getTime()).toBeLessThanOrEqual(today.getTime() + 4 * HOUR);
      expect(it.nextUpdateOverdue).toBe(false);

      // Links to the FAQ point at this incident's anchors, in each language's URL space.
      const withLink = it.updates.map((u) => u.body.text).find((b) => b.includes('#area-vuota'))!;
      expect(withLink).toContain(`/incidents/${id}#area-vuota`);
      expect(en.updates.map((u) => u.body.text).join('\n')).toContain(`/en/incidents/${id}#`);
    }));

  it('keeps a recovery plan with done, in-progress, planned, delayed and cancelled milestones', () =>
    run(async (ctx) => {
      const page = (await getIncidentPage(ctx, { id: await mainIncidentId(ctx), locale: 'en' }))!;
      const plan = page.plan.milestones;
      expect(plan.length).toBeGreaterThanOrEqual(9);
      expect(plan.length).toBeLessThanOrEqual(12);
      expect(new Set(plan.map((m) => m.state))).toEqual(new Set(['done', 'in_progress', 'planned', 'delayed', 'cancelled']));
      for (const m of plan.filter((m) => m.state === 'done')) expect(m.actualAt, m.title.text).not.toBeNull();
      const delayed = plan.find((m) => m.state === 'delayed')!;
      expect(delayed.delayReason?.text).toBeTruthy();
      expect(dateOfDayKey(delayed.expectedAt!)).toBe(dateOfDay(today, 22));
      const receipts = plan.find((m) => m.service?.key === 'receipt-matching')!;
      expect(receipts.state).toBe('in_progress');
      expect(formatZonedLocal(receipts.expectedAt!, ROME)).toBe(`${dateOfDay(today, 20)}T20:00`);
      expect(plan.filter((m) => m.late)).toEqual([]);
    }));

  it('publishes the data-gap windows at 21:30 of day 9 and day 8, Rome time', () =>
    run(async (ctx) => {
      const page = (await getIncidentPage(ctx, { id: await mainIncidentId(ctx), locale: 'it' }))!;
      expect(page.notices).toHaveLength(2);
      const restored = page.notices.find((n) => n.windows.length === 2)!;
      expect(restored.windows.map((w) => formatZonedLocal(w.restoredUntil, ROME)).sort()).toEqual(
        [`${dateOfDay(today, 8)}T21:30`, `${dateOfDay(today, 9)}T21:30`].sort(),
      );
      for (const w of restored.windows) expect(formatZonedLocal(w.gapEndsAt!, ROME)).toBe(`${dateOfDay(today, 10)}T00:50`);
      expect(restored.services.map((s) => s.key)).toEqual(expect.arrayContaining(['web', 'sending', 'receiving']));
      expect(restored.audience?.text).toBeTruthy();
      expect(restored.action?.text).toContain('#fatture-in-elaborazione-sdi');
      const empty = page.notices.find((n) => n !== restored)!;
      expect(empty.action?.text).toContain('#area-vuota');
    }));

  it('answers every scenario question in Italian and English', () =>
    run(async (ctx) => {
      const id = await mainIncidentId(ctx);
      const it = (await getIncidentPage(ctx, { id, locale: 'it' }))!;
      const en = (await getIncidentPage(ctx, { id, locale: 'en' }))!;
      expect(it.faq.map((f) => f.slug)).toEqual(SCENARIO_QUESTIONS);
      expect(en.faq.every((f) => f.question.locale === 'en' && f.answer.locale === 'en')).toBe(true);
      const penalties = it.faq.find((f) => f.slug === 'sanzioni-invio-tardivo')!;
      expect(penalties.answer.text).toContain('cumulo giuridico');
      expect(penalties.answer.text).toContain('472/1997');
      expect(penalties.answer.text).toMatch(/non consulenza/);
      // Questions about "day 9" name its real date.
      const day9 = new Intl.DateTimeFormat('it-IT', { timeZone: ROME, day: 'numeric', month: 'long' }).format(
        addZonedDays(today, -10, ROME),
      );
      expect(it.faq.filter((f) => f.question.text.includes(day9)).length).toBeGreaterThanOrEqual(3);
    }));

  it('shows backlogs going down, with receipt matching still large on day 19', () =>
    run(async (ctx) => {
      const receiving = (await getServicePage(ctx, { key: 'receiving', locale: 'it' }))!;
      const passive = receiving.backlogHistory.find((m) => m.metric === 'passive_invoices')!;
      expect(passive.samples.length).toBeGreaterThanOrEqual(10);
      expect(passive.samples.at(-1)!.count).toBeLessThan(passive.samples[0]!.count / 100);
      // New passive invoices arrive within 3 hours.
      expect(passive.samples.at(-1)!.oldestAgeSeconds).toBeLessThanOrEqual(3 * 3600);
      expect(receiving.backlogHistory.map((m) => m.metric).sort()).toEqual(['nso_orders', 'passive_invoices']);
      const matching = (await getServicePage(ctx, { key: 'receipt-matching', locale: 'it' }))!;
      const receipts = matching.backlogHistory[0]!.samples;
      expect(receipts.at(-1)!.count).toBeGreaterThan(50_000);
      expect(receipts.at(-1)!.count).toBeLessThan(Math.max(...receipts.map((s) => s.count)));
      const days = new Set(receipts.map((s) => zonedDateKey(s.measuredAt, ROME)));
      expect(days.size).toBe(5);
    }));

  it('has a history with earlier incidents and completed maintenance, and one upcoming window', () =>
    run(async (ctx) => {
      const history = await getHistory(ctx, { locale: 'it', page: 1 });
      const items = history.months.flatMap((m) => m.items);
      expect(items.filter((i) => i.kind === 'incident' && i.status !== 'monitoring').length).toBeGreaterThanOrEqual(3);
      expect(items.filter((i) => i.kind === 'maintenance').length).toBeGreaterThanOrEqual(2);
      const home = await getHomePage(ctx, { locale: 'it' });
      expect(home.maintenances).toHaveLength(1);
      expect(home.maintenances[0]!.status).toBe('scheduled');
      expect(home.maintenances[0]!.services.map((s) => s.key)).toEqual(['web']);
      expect(home.maintenances[0]!.scheduledStart.getTime()).toBeGreaterThan(today.getTime());
    }));

  it('dates nothing that happened after now', () => run((ctx) => expectNothingAfter(ctx, today)));

  it('stamps what it wrote with the story time, not the load time (created_at, feed dates)', () =>
    run(async (ctx) => {
      const updates = await ctx.db.select({ shown: incidentUpdates.displayAt, created: incidentUpdates.createdAt }).from(incidentUpdates);
      for (const u of updates) expect(u.created).toEqual(u.shown);
      const changes = await ctx.db.select({ at: events.occurredAt, type: events.type }).from(events);
      const planEvents = changes.filter((e) => e.type === 'milestone.updated' || e.type === 'notice.published');
      expect(planEvents.length).toBeGreaterThan(5);
      // Only what the story has happen today's afternoon may be dated near the load time.
      expect(planEvents.filter((e) => today.getTime() - e.at.getTime() < HOUR)).toHaveLength(0);
    }));

  it('starts the status history 95 days back and writes it without overlaps', () =>
    run(async (ctx) => {
      const rows = await ctx.db.select().from(statusIntervals);
      const first = Math.min(...rows.map((r) => r.startedAt.getTime()));
      expect(zonedDateKey(new Date(first), ROME)).toBe(dateOfDay(today, 19 - 95));
      const byService = new Map<string, typeof rows>();
      for (const r of rows) byService.set(r.serviceId, [...(byService.get(r.serviceId) ?? []), r]);
      for (const list of byService.values()) {
        list.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
        expect(list.filter((r) => r.endedAt === null)).toHaveLength(1);
        for (let i = 1; i < list.length; i++) expect(list[i - 1]!.endedAt).toEqual(list[i]!.startedAt);
      }
    }));
});

function dateOfDayKey(d: Date) {
  return zonedDateKey(d, ROME);
}

describe('demo loaded at other times', () => {
  const t = useTestDatabase();

  it(
    'compresses the morning of day 19 into the hours already gone when loaded early',
    () => {
      const today = rome(2026, 3, 19, 6, 45);
      return t.run(
        async (ctx) => {
          await loadDemoScenario(ctx, { today, day: 19 });
          await expectNothingAfter(ctx, today);
          const page = (await getIncidentPage(ctx, { id: await mainIncidentId(ctx), locale: 'it' }))!;
          expect(page.updates.length).toBe(14);
          expect(zonedDateKey(page.updates[0]!.displayAt, ROME)).toBe(dateOfDay(today, 19));
          const home = await getHomePage(ctx, { locale: 'it' });
          expect(home.services.find((s) => s.key === 'sending')!.status).toBe('operational');
        },
        { now: today },
      );
    },
    LOAD_TIMEOUT,
  );

  it(
    'loads on the spring DST day (29 March 2026)',
    () => {
      const today = rome(2026, 3, 29, 12, 0);
      return t.run(
        async (ctx) => {
          await loadDemoScenario(ctx, { today, day: 19 });
          await expectNothingAfter(ctx, today);
          const page = (await getIncidentPage(ctx, { id: await mainIncidentId(ctx), locale: 'it' }))!;
          const windows = page.notices.flatMap((n) => n.windows).map((w) => formatZonedLocal(w.restoredUntil, ROME));
          // Day 19 is 29 March, so day 9 is 19 March and day 8 is 18 March.
          expect(windows).toEqual(expect.arrayContaining(['2026-03-19T21:30', '2026-03-18T21:30']));
          expect(formatZonedLocal(page.startedAt, ROME)).toBe('2026-03-20T00:50');
          expect(page.startedAt.toISOString()).toBe('2026-03-19T23:50:00.000Z');
        },
        { now: today },
      );
    },
    LOAD_TIMEOUT,
  );

  it(
    'keeps wall-clock times when the DST change falls inside the story (autumn, day 15 = 25 October 2026)',
    () => {
      const today = rome(2026, 10, 29, 16, 0);
      return t.run(
        async (ctx) => {
          await loadDemoScenario(ctx, { today, day: 19 });
          await expectNothingAfter(ctx, today);
          const page = (await getIncidentPage(ctx, { id: await mainIncidentId(ctx), locale: 'it' }))!;
          // Day 10 is in summer time (CEST), day 15 onwards in winter time (CET): both read as written.
          expect(formatZonedLocal(page.startedAt, ROME)).toBe('2026-10-20T00:50');
          expect(page.startedAt.toISOString()).toBe('2026-10-19T22:50:00.000Z');
          const reopening = page.plan.milestones.find((m) => m.title.text.startsWith('Riapertura generale'))!;
          expect(reopening.actualAt!.toISOString()).toBe('2026-10-25T07:00:00.000Z');
          expect(formatZonedLocal(reopening.actualAt!, ROME)).toBe('2026-10-25T08:00');
        },
        { now: today },
      );
    },
    LOAD_TIMEOUT,
  );

  it(
    'shows the story as it stood on an earlier day (day 12): nothing from later days',
    () => {
      const today = rome(2026, 3, 12, 20, 0);
      return t.run(
        async (ctx) => {
          await loadDemoScenario(ctx, { today, day: 12 });
          await expectNothingAfter(ctx, today);
          const home = await getHomePage(ctx, { locale: 'it' });
          expect(home.indicator).toBe('critical');
          expect(home.services.find((s) => s.key === 'web')!.status).toBe('major_outage');
          const page = (await getIncidentPage(ctx, { id: home.activeIncidents[0]!.id, locale: 'it' }))!;
          expect(page.status).toBe('identified');
          expect(page.faq.map((f) => f.slug)).not.toContain('area-vuota');
          expect(page.nextUpdateBy!.getTime()).toBeGreaterThan(today.getTime());
        },
        { now: today },
      );
    },
    LOAD_TIMEOUT,
  );

  it(
    'loads as day 40 too (the latest the configuration allows)',
    () => {
      const today = rome(2026, 5, 5, 10, 0);
      return t.run(
        async (ctx) => {
          await loadDemoScenario(ctx, { today, day: 40 });
          await expectNothingAfter(ctx, today);
          const home = await getHomePage(ctx, { locale: 'it' });
          expect(home.services.map((s) => s.key)).not.toContain('emergency-channel');
          expect(home.maintenances).toEqual([]);
        },
        { now: today },
      );
    },
    LOAD_TIMEOUT,
  );

  it(
    'leaves nothing behind when loading fails part-way',
    () => {
      const today = rome(2026, 3, 19, 15, 0);
      return t.run(
        async (ctx) => {
          // The emergency channel is created on day 11, after the outage began: a clash there fails mid-story.
          await ctx.db.insert(services).values({ key: 'emergency-channel', name: { it: 'Occupato' } });
          await expect(loadDemoScenario(ctx, { today, day: 19 })).rejects.toThrow(/emergency-channel/);
          const [s] = await ctx.db.select({ n: count() }).from(services);
          const [i] = await ctx.db.select({ n: count() }).from(incidents);
          const [f] = await ctx.db.select({ n: count() }).from(incidentFaq);
          const [h] = await ctx.db.select({ n: count() }).from(statusIntervals);
          expect([s!.n, i!.n, f!.n, h!.n]).toEqual([1, 0, 0, 0]);
        },
        { now: today },
      );
    },
    LOAD_TIMEOUT,
  );
});
