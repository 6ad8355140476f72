import { describe, expect, it } from 'vitest';
import {
  LEVEL_MIN_SECONDS,
  dailyUptimeBars,
  dayLevel,
  flattenIntervals,
  uptimeOverPeriod,
  uptimeRatio,
  type DayBar,
  type StatusInterval,
} from '../../src/domain/uptime.ts';
import { SERVICE_STATUSES, type ServiceStatus } from '../../src/domain/vocab.ts';

const ROME = 'Europe/Rome';
const utc = (iso: string) => new Date(iso);
const iv = (status: ServiceStatus, start: string, end: string | null): StatusInterval => ({
  status,
  start: utc(start),
  end: end === null ? null : utc(end),
});
const secs = (partial: Partial<Record<ServiceStatus, number>>): Record<ServiceStatus, number> => ({
  operational: 0,
  under_maintenance: 0,
  degraded_performance: 0,
  partial_outage: 0,
  major_outage: 0,
  ...partial,
});
const byDate = (bars: DayBar[], date: string) => {
  const bar = bars.find((b) => b.date === date);
  if (!bar) throw new Error(`no bar for ${date}`);
  return bar;
};
const DAY = 86_400;

// "now" for most tests: Saturday 28 November 2026, 14:30 CET (13:30 UTC). Rome is UTC+1 then.
const NOW = utc('2026-11-28T13:30:00Z');
const ALWAYS_UP = iv('operational', '2026-11-01T00:00:00Z', null);

function expectAccounted(bars: DayBar[]) {
  for (const bar of bars) {
    const total = SERVICE_STATUSES.reduce((s, st) => s + bar.seconds[st], 0) + bar.noDataSeconds;
    expect(total, bar.date).toBeCloseTo((bar.end.getTime() - bar.start.getTime()) / 1000, 6);
  }
}

describe('flattenIntervals', () => {
  it('lets a later-starting interval win and the earlier one resume after it', () => {
    const segments = flattenIntervals(
      [
        iv('major_outage', '2026-11-27T10:00:00Z', '2026-11-27T12:00:00Z'),
        iv('operational', '2026-11-27T00:00:00Z', null),
        iv('degraded_performance', '2026-11-27T11:00:00Z', '2026-11-27T11:30:00Z'),
      ],
      utc('2026-11-27T13:00:00Z'),
    );
    expect(segments.map((s) => [s.status, s.start.toISOString(), s.end.toISOString()])).toEqual([
      ['operational', '2026-11-27T00:00:00.000Z', '2026-11-27T10:00:00.000Z'],
      ['major_outage', '2026-11-27T10:00:00.000Z', '2026-11-27T11:00:00.000Z'],
      ['degraded_performance', '2026-11-27T11:00:00.000Z', '2026-11-27T11:30:00.000Z'],
      ['major_outage', '2026-11-27T11:30:00.000Z', '2026-11-27T12:00:00.000Z'],
      ['operational', '2026-11-27T12:00:00.000Z', '2026-11-27T13:00:00.000Z'],
    ]);
  });

  it('resolves a slight overlap between consecutive rows in favour of the newer one', () => {
    const segments = flattenIntervals(
      [
        iv('operational', '2026-11-27T00:00:00Z', '2026-11-27T10:05:00Z'),
        iv('major_outage', '2026-11-27T10:00:00Z', '2026-11-27T11:00:00Z'),
        iv('operational', '2026-11-27T10:59:00Z', null),
      ],
      utc('2026-11-27T12:00:00Z'),
    );
    expect(segments.map((s) => [s.status, s.start.toISOString(), s.end.toISOString()])).toEqual([
      ['operational', '2026-11-27T00:00:00.000Z', '2026-11-27T10:00:00.000Z'],
      ['major_outage', '2026-11-27T10:00:00.000Z', '2026-11-27T10:59:00.000Z'],
      ['operational', '2026-11-27T10:59:00.000Z', '2026-11-27T12:00:00.000Z'],
    ]);
  });

  it('breaks a tie on start time by input order (later row wins)', () => {
    const segments = flattenIntervals(
      [
        iv('degraded_performance', '2026-11-27T10:00:00Z', '2026-11-27T11:00:00Z'),
        iv('partial_outage', '2026-11-27T10:00:00Z', '2026-11-27T11:00:00Z'),
      ],
      NOW,
    );
    expect(segments).toHaveLength(1);
    expect(segments[0]!.status).toBe('partial_outage');
  });

  it('merges touching segments of the same status and leaves gaps as gaps', () => {
    const segments = flattenIntervals(
      [
        iv('operational', '2026-11-27T00:00:00Z', '2026-11-27T01:00:00Z'),
        iv('operational', '2026-11-27T01:00:00Z', '2026-11-27T02:00:00Z'),
        iv('operational', '2026-11-27T03:00:00Z', '2026-11-27T04:00:00Z'),
      ],
      NOW,
    );
    expect(segments.map((s) => [s.start.toISOString(), s.end.toISOString()])).toEqual([
      ['2026-11-27T00:00:00.000Z', '2026-11-27T02:00:00.000Z'],
      ['2026-11-27T03:00:00.000Z', '2026-11-27T04:00:00.000Z'],
    ]);
  });

  it('clips at now and drops empty, inverted and future intervals', () => {
    const now = utc('2026-11-27T12:00:00Z');
    const segments = flattenIntervals(
      [
        iv('operational', '2026-11-27T11:00:00Z', '2026-11-27T15:00:00Z'),
        iv('major_outage', '2026-11-27T13:00:00Z', null),
        iv('partial_outage', '2026-11-27T05:00:00Z', '2026-11-27T04:00:00Z'),
        iv('degraded_performance', '2026-11-27T06:00:00Z', '2026-11-27T06:00:00Z'),
      ],
      now,
    );
    expect(segments.map((s) => [s.status, s.start.toISOString(), s.end.toISOString()])).toEqual([
      ['operational', '2026-11-27T11:00:00.000Z', '2026-11-27T12:00:00.000Z'],
    ]);
  });
});

describe('uptimeRatio', () => {
  it('weights partial outages at 30 % and ignores degraded and maintenance', () => {
    // 10 h observed (6 up, 1 major, 2 partial, ½ degraded, ½ maintenance) → downtime 1 h + 0.6 h = 1.6 h → 84 %.
    expect(uptimeRatio(secs({ operational: 6 * 3600, major_outage: 3600, partial_outage: 7200, degraded_performance: 1800, under_maintenance: 1800 }))).toBeCloseTo(0.84, 12);
    expect(uptimeRatio(secs({ degraded_performance: 100, under_maintenance: 100 }))).toBe(1);
    expect(uptimeRatio(secs({ major_outage: 100 }))).toBe(0);
  });

  it('is null without observed time', () => {
    expect(uptimeRatio(secs({}))).toBeNull();
  });
});

describe('dayLevel', () => {
  it('does not colour a full day for a 2-minute blip', () => {
    expect(dayLevel(secs({ operational: DAY - 120, major_outage: 120 }))).toBe('operational');
  });

  it('colours the day from 5 minutes of a status, inclusive', () => {
    expect(LEVEL_MIN_SECONDS).toBe(300);
    expect(dayLevel(secs({ operational: DAY - 300, major_outage: 300 }))).toBe('major');
    expect(dayLevel(secs({ operational: DAY - 299, major_outage: 299 }))).toBe('operational');
    expect(dayLevel(secs({ operational: DAY - 600, partial_outage: 600 }))).toBe('partial');
    expect(dayLevel(secs({ operational: DAY - 600, degraded_performance: 600 }))).toBe('degraded');
  });

  it('adds worse statuses to milder ones: short pieces of trouble still add up', () => {
    // 4 min each: major alone 4 min (< 5); partial-or-worse 8 min (≥ 5) → partial.
    expect(dayLevel(secs({ operational: DAY - 720, degraded_performance: 240, partial_outage: 240, major_outage: 240 }))).toBe('partial');
    // 3 min major + 3 min degraded: partial-or-worse 3 min, degraded-or-worse 6 min → degraded.
    expect(dayLevel(secs({ operational: DAY - 360, degraded_performance: 180, major_outage: 180 }))).toBe('degraded');
  });

  it('shows maintenance only when no trouble reaches the threshold, and never adds it to trouble', () => {
    expect(dayLevel(secs({ operational: DAY - 7200, under_maintenance: 7200 }))).toBe('maintenance');
    expect(dayLevel(secs({ operational: DAY - 7800, under_maintenance: 7200, degraded_performance: 600 }))).toBe('degraded');
    expect(dayLevel(secs({ operational: DAY - 360, under_maintenance: 180, degraded_performance: 180 }))).toBe('operational');
  });

  it('judges a short observed span by half of it', () => {
    // Only 4 minutes observed: 2 minutes of major outage is half of what is known.
    expect(dayLevel(secs({ operational: 120, major_outage: 120 }))).toBe('major');
    expect(dayLevel(secs({ operational: 130, major_outage: 110 }))).toBe('operational');
  });

  it('is nodata without observed time', () => {
    expect(dayLevel(secs({}))).toBe('nodata');
  });
});

describe('dailyUptimeBars', () => {
  it('returns one bar per local day, oldest first, the last one ending now', () => {
    const bars = dailyUptimeBars([ALWAYS_UP], { days: 3, now: NOW, timeZone: ROME });
    expect(bars.map((b) => b.date)).toEqual(['2026-11-26', '2026-11-27', '2026-11-28']);
    expect(bars[0]!.start).toEqual(utc('2026-11-25T23:00:00Z'));
    expect(bars[0]!.end).toEqual(utc('2026-11-26T23:00:00Z'));
    expect(bars[2]!.start).toEqual(utc('2026-11-27T23:00:00Z'));
    expect(bars[2]!.end).toEqual(NOW);
    // Today so far: 00:00 → 14:30 = 14.5 h.
    expect(bars[2]!.seconds.operational).toBe(14.5 * 3600);
    expect(bars.every((b) => b.uptime === 1 && b.level === 'operational' && b.noDataSeconds === 0)).toBe(true);
    expectAccounted(bars);
  });

  it('makes every bar nodata when there is no history', () => {
    const bars = dailyUptimeBars([], { days: 3, now: NOW, timeZone: ROME });
    expect(bars.map((b) => [b.level, b.uptime, b.noDataSeconds])).toEqual([
      ['nodata', null, DAY],
      ['nodata', null, DAY],
      ['nodata', null, 14.5 * 3600],
    ]);
  });

  it('paints a 6-hour major outage red with 75 % uptime', () => {
    // 08:00–14:00 CET on 27 November.
    const bars = dailyUptimeBars([ALWAYS_UP, iv('major_outage', '2026-11-27T07:00:00Z', '2026-11-27T13:00:00Z')], {
      days: 3,
      now: NOW,
      timeZone: ROME,
    });
    const day = byDate(bars, '2026-11-27');
    expect(day.seconds.major_outage).toBe(6 * 3600);
    expect(day.seconds.operational).toBe(18 * 3600);
    expect(day.uptime).toBeCloseTo(0.75, 12);
    expect(day.level).toBe('major');
    expect(byDate(bars, '2026-11-26').level).toBe('operational');
    expect(byDate(bars, '2026-11-28').uptime).toBe(1);
    expectAccounted(bars);
  });

  it('keeps a 2-minute blip green but shows it in the uptime', () => {
    const bars = dailyUptimeBars([ALWAYS_UP, iv('major_outage', '2026-11-26T09:00:00Z', '2026-11-26T09:02:00Z')], {
      days: 3,
      now: NOW,
      timeZone: ROME,
    });
    const day = byDate(bars, '2026-11-26');
    expect(day.level).toBe('operational');
    expect(day.uptime).toBeCloseTo(1 - 120 / DAY, 12);
    expect(day.uptime).toBeLessThan(1);
  });

  it('splits an outage from 23:30 to 00:30 Rome time across the two local days', () => {
    // 23:30 CET on 26 Nov = 22:30 UTC; 00:30 CET on 27 Nov = 23:30 UTC (still 26 Nov in UTC).
    const bars = dailyUptimeBars([ALWAYS_UP, iv('major_outage', '2026-11-26T22:30:00Z', '2026-11-26T23:30:00Z')], {
      days: 3,
      now: NOW,
      timeZone: ROME,
    });
    for (const date of ['2026-11-26', '2026-11-27']) {
      const day = byDate(bars, date);
      expect(day.seconds.major_outage, date).toBe(1800);
      expect(day.level, date).toBe('major');
      expect(day.uptime, date).toBeCloseTo(1 - 1800 / DAY, 12);
    }
    expectAccounted(bars);
  });

  it('weights a partial outage and leaves degraded performance and maintenance as up', () => {
    const bars = dailyUptimeBars(
      [
        ALWAYS_UP,
        iv('partial_outage', '2026-11-25T10:00:00Z', '2026-11-25T12:00:00Z'),
        iv('degraded_performance', '2026-11-26T10:00:00Z', '2026-11-26T13:00:00Z'),
        iv('under_maintenance', '2026-11-27T01:00:00Z', '2026-11-27T03:00:00Z'),
      ],
      { days: 4, now: NOW, timeZone: ROME },
    );
    const partial = byDate(bars, '2026-11-25');
    expect(partial.uptime).toBeCloseTo(1 - (0.3 * 7200) / DAY, 12); // 97.5 %
    expect(partial.level).toBe('partial');
    expect(byDate(bars, '2026-11-26')).toMatchObject({ uptime: 1, level: 'degraded' });
    expect(byDate(bars, '2026-11-27')).toMatchObject({ uptime: 1, level: 'maintenance' });
    expect(byDate(bars, '2026-11-27').seconds.under_maintenance).toBe(7200);
  });

  it('counts an open outage until now in today’s partial bar', () => {
    const bars = dailyUptimeBars([ALWAYS_UP, iv('major_outage', '2026-11-28T12:30:00Z', null)], {
      days: 2,
      now: NOW,
      timeZone: ROME,
    });
    const today = bars[1]!;
    expect(today.date).toBe('2026-11-28');
    expect(today.seconds.major_outage).toBe(3600);
    expect(today.seconds.operational).toBe(13.5 * 3600);
    expect(today.uptime).toBeCloseTo(1 - 1 / 14.5, 12);
  });

  it('colours today by what mostly happened when little of it has passed', () => {
    // 00:04 CET on 28 Nov, down since 00:02.
    const now = utc('2026-11-27T23:04:00Z');
    const bars = dailyUptimeBars([ALWAYS_UP, iv('major_outage', '2026-11-27T23:02:00Z', null)], {
      days: 1,
      now,
      timeZone: ROME,
    });
    expect(bars).toHaveLength(1);
    expect(bars[0]).toMatchObject({ date: '2026-11-28', level: 'major', uptime: 0.5 });
  });

  it('shows nodata days before the service existed and counts only observed time', () => {
    // Created at 12:00 CET on 27 November.
    const bars = dailyUptimeBars([iv('operational', '2026-11-27T11:00:00Z', null)], {
      days: 4,
      now: NOW,
      timeZone: ROME,
    });
    expect(bars.map((b) => [b.date, b.level, b.uptime])).toEqual([
      ['2026-11-25', 'nodata', null],
      ['2026-11-26', 'nodata', null],
      ['2026-11-27', 'operational', 1],
      ['2026-11-28', 'operational', 1],
    ]);
    expect(byDate(bars, '2026-11-27').noDataSeconds).toBe(12 * 3600);
    expect(byDate(bars, '2026-11-27').seconds.operational).toBe(12 * 3600);
    expectAccounted(bars);
  });

  it('excludes a gap in the history from the uptime instead of counting it as up or down', () => {
    const bars = dailyUptimeBars(
      [
        iv('operational', '2026-11-25T23:00:00Z', '2026-11-26T05:00:00Z'),
        iv('major_outage', '2026-11-26T05:00:00Z', '2026-11-26T06:00:00Z'),
        // No data 06:00–17:00 UTC.
        iv('operational', '2026-11-26T17:00:00Z', null),
      ],
      { days: 3, now: NOW, timeZone: ROME },
    );
    const day = byDate(bars, '2026-11-26');
    expect(day.noDataSeconds).toBe(11 * 3600);
    // Observed 13 h (6 + 1 + 6), down 1 h.
    expect(day.uptime).toBeCloseTo(1 - 1 / 13, 12);
  });

  it('builds a 23-hour bar for 29 March 2026', () => {
    const now = utc('2026-03-30T10:00:00Z'); // 12:00 CEST
    const bars = dailyUptimeBars(
      [
        iv('operational', '2026-03-01T00:00:00Z', null),
        // 01:30 CET → 03:30 CEST: one real hour across the jump.
        iv('major_outage', '2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z'),
      ],
      { days: 3, now, timeZone: ROME },
    );
    expect(bars.map((b) => b.date)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    const [sat, sun, mon] = bars as [DayBar, DayBar, DayBar];
    expect(sat.end.getTime() - sat.start.getTime()).toBe(DAY * 1000);
    expect(sun.start).toEqual(utc('2026-03-28T23:00:00Z'));
    expect(sun.end).toEqual(utc('2026-03-29T22:00:00Z'));
    expect(sun.seconds.major_outage).toBe(3600);
    expect(sun.seconds.operational).toBe(22 * 3600);
    expect(sun.uptime).toBeCloseTo(1 - 1 / 23, 12);
    expect(mon.start).toEqual(utc('2026-03-29T22:00:00Z'));
    expect(mon.seconds.operational).toBe(12 * 3600);
    expectAccounted(bars);
  });

  it('builds a 25-hour bar for 25 October 2026', () => {
    const now = utc('2026-10-26T10:00:00Z'); // 11:00 CET
    const bars = dailyUptimeBars(
      [
        iv('operational', '2026-10-01T00:00:00Z', null),
        // 00:00 CEST → 06:00 CET on 25 October: seven real hours.
        iv('major_outage', '2026-10-24T22:00:00Z', '2026-10-25T05:00:00Z'),
      ],
      { days: 3, now, timeZone: ROME },
    );
    expect(bars.map((b) => b.date)).toEqual(['2026-10-24', '2026-10-25', '2026-10-26']);
    const [sat, sun, mon] = bars as [DayBar, DayBar, DayBar];
    expect(sat.seconds.operational).toBe(DAY);
    expect(sat.seconds.major_outage).toBe(0);
    expect(sun.start).toEqual(utc('2026-10-24T22:00:00Z'));
    expect(sun.end).toEqual(utc('2026-10-25T23:00:00Z'));
    expect(sun.seconds.major_outage).toBe(7 * 3600);
    expect(sun.seconds.operational).toBe(18 * 3600);
    expect(sun.uptime).toBeCloseTo(0.72, 12);
    expect(mon.seconds.operational).toBe(11 * 3600);
    expectAccounted(bars);
  });

  it('produces 90 bars whose lengths are all 24 h except across DST', () => {
    const now = utc('2026-11-28T13:30:00Z');
    const bars = dailyUptimeBars([iv('operational', '2026-01-01T00:00:00Z', null)], { days: 90, now, timeZone: ROME });
    expect(bars).toHaveLength(90);
    expect(bars[0]!.date).toBe('2026-08-31');
    const lengths = bars.slice(0, -1).map((b) => (b.end.getTime() - b.start.getTime()) / 3_600_000);
    expect(lengths.filter((h) => h !== 24)).toEqual([25]);
    expect(byDate(bars, '2026-10-25').end.getTime() - byDate(bars, '2026-10-25').start.getTime()).toBe(25 * 3_600_000);
    // Consecutive bars touch.
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.start).toEqual(bars[i - 1]!.end);
  });

  it('accepts unsorted input', () => {
    const intervals = [
      iv('operational', '2026-11-27T13:00:00Z', null),
      iv('major_outage', '2026-11-27T07:00:00Z', '2026-11-27T13:00:00Z'),
      iv('operational', '2026-11-01T00:00:00Z', '2026-11-27T07:00:00Z'),
    ];
    const sorted = [...intervals].reverse();
    const opts = { days: 3, now: NOW, timeZone: ROME };
    expect(dailyUptimeBars(intervals, opts)).toEqual(dailyUptimeBars(sorted, opts));
    expect(byDate(dailyUptimeBars(intervals, opts), '2026-11-27').seconds.major_outage).toBe(6 * 3600);
  });

  it('rejects a non-positive or fractional number of days', () => {
    expect(() => dailyUptimeBars([], { days: 0, now: NOW, timeZone: ROME })).toThrow(RangeError);
    expect(() => dailyUptimeBars([], { days: 2.5, now: NOW, timeZone: ROME })).toThrow(RangeError);
  });
});

describe('uptimeOverPeriod', () => {
  const history = [
    iv('operational', '2026-11-20T00:00:00Z', null),
    iv('major_outage', '2026-11-20T02:00:00Z', '2026-11-20T03:00:00Z'),
    iv('partial_outage', '2026-11-20T05:00:00Z', '2026-11-20T07:00:00Z'),
  ];

  it('uses the same weighting as the bars', () => {
    // 10 h window: 1 h major + 0.3 × 2 h partial = 1.6 h down → 84 %.
    const ratio = uptimeOverPeriod(history, { from: utc('2026-11-20T00:00:00Z'), to: utc('2026-11-20T10:00:00Z') });
    expect(ratio).toBeCloseTo(0.84, 12);
  });

  it('clips intervals to the window', () => {
    // 02:30–06:00: 30 min major, 1 h partial in 3.5 h → 1 − (0.5 + 0.3) / 3.5.
    const ratio = uptimeOverPeriod(history, { from: utc('2026-11-20T02:30:00Z'), to: utc('2026-11-20T06:00:00Z') });
    expect(ratio).toBeCloseTo(1 - 0.8 / 3.5, 12);
  });

  it('leaves out time before the service existed', () => {
    const ratio = uptimeOverPeriod(history, { from: utc('2026-10-20T00:00:00Z'), to: utc('2026-11-20T10:00:00Z') });
    expect(ratio).toBeCloseTo(0.84, 12);
  });

  it('runs open intervals only until now', () => {
    const intervals = [iv('operational', '2026-11-20T00:00:00Z', '2026-11-20T08:00:00Z'), iv('major_outage', '2026-11-20T08:00:00Z', null)];
    // Window 00:00–24:00 but now is 10:00: 8 h up, 2 h down, the rest unknown.
    const ratio = uptimeOverPeriod(intervals, {
      from: utc('2026-11-20T00:00:00Z'),
      to: utc('2026-11-21T00:00:00Z'),
      now: utc('2026-11-20T10:00:00Z'),
    });
    expect(ratio).toBeCloseTo(0.8, 12);
  });

  it('is null without any data in the window', () => {
    expect(uptimeOverPeriod(history, { from: utc('2026-10-01T00:00:00Z'), to: utc('2026-10-31T00:00:00Z') })).toBeNull();
    expect(uptimeOverPeriod([], { from: utc('2026-10-01T00:00:00Z'), to: utc('2026-10-31T00:00:00Z') })).toBeNull();
  });
});
