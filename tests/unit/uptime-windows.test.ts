/**
 * dayWindows remembers each zone's midnights; the remembered ones must be the ones zonedTimeToUtc computes, across
 * month and year ends, leap days and DST changes, in zones with odd rules, and the day keys must be the local dates.
 */
import { describe, expect, it } from 'vitest';
import { zonedDateKey, zonedParts, zonedTimeToUtc } from '../../src/domain/time.ts';
import { barFromSeconds, dailyUptimeBars, dayWindows, emptySeconds, sumSeconds } from '../../src/domain/uptime.ts';

const ZONES = ['Europe/Rome', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Apia', 'Asia/Kathmandu', 'UTC'];
const NOWS = ['2026-03-01T10:00:00Z', '2028-03-01T10:00:00Z', '2027-01-01T00:30:00Z', '2026-11-01T04:00:00Z'];

describe('dayWindows', () => {
  it.each(ZONES)('matches the midnights computed one by one in %s (twice: computed, then remembered)', (timeZone) => {
    for (const iso of NOWS) {
      const now = new Date(iso);
      const today = zonedParts(now, timeZone);
      for (let pass = 0; pass < 2; pass++) {
        const windows = dayWindows({ days: 400, now, timeZone });
        expect(windows).toHaveLength(400);
        windows.forEach((w, i) => {
          const start = zonedTimeToUtc(timeZone, today.year, today.month, today.day - (399 - i));
          expect(w.start.toISOString(), `${timeZone} ${iso} #${i}`).toBe(start.toISOString());
          expect(w.date).toBe(zonedDateKey(start, timeZone));
          expect(w.end.getTime()).toBe(i === 399 ? now.getTime() : windows[i + 1]!.start.getTime());
        });
      }
    }
  });

  it('includes 29 February in a leap year and not otherwise', () => {
    const dates = (iso: string) => dayWindows({ days: 10, now: new Date(iso), timeZone: 'Europe/Rome' }).map((w) => w.date);
    expect(dates('2028-03-03T12:00:00Z')).toContain('2028-02-29');
    expect(dates('2027-03-03T12:00:00Z')).toEqual(expect.not.arrayContaining(['2027-02-29']));
    expect(dates('2027-03-03T12:00:00Z')).toContain('2027-02-28');
  });

  it('refuses a non-positive or fractional number of days', () => {
    expect(() => dayWindows({ days: 0, now: new Date(), timeZone: 'UTC' })).toThrow(RangeError);
    expect(() => dayWindows({ days: 1.5, now: new Date(), timeZone: 'UTC' })).toThrow(RangeError);
  });
});

describe('bars from per-day seconds', () => {
  it('give the same bars as measuring the intervals, and sums of days give the period', () => {
    const now = new Date('2026-10-26T09:00:00Z');
    const intervals = [
      { status: 'operational' as const, start: new Date('2026-10-01T00:00:00Z'), end: null },
      { status: 'major_outage' as const, start: new Date('2026-10-25T00:30:00Z'), end: new Date('2026-10-25T02:30:00Z') },
    ];
    const direct = dailyUptimeBars(intervals, { days: 10, now, timeZone: 'Europe/Rome' });
    const rebuilt = direct.map((b) => barFromSeconds({ date: b.date, start: b.start, end: b.end }, b.seconds));
    expect(rebuilt).toEqual(direct);
    const total = sumSeconds(direct.map((b) => b.seconds));
    expect(total.major_outage).toBe(7200);
    expect(sumSeconds([])).toEqual(emptySeconds());
  });
});
