import { describe, expect, it } from 'vitest';
import {
  addZonedDays,
  formatDate,
  formatDateTime,
  formatDuration,
  formatEndDateTime,
  formatZonedLocal,
  isValidTimeZone,
  parseZonedLocal,
  startOfZonedDay,
  zonedDateKey,
  zoneOffsetMs,
  zonedTimeToUtc,
} from '../../src/domain/time.ts';

const ROME = 'Europe/Rome';
const utc = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
const MIN = 60_000;

// Europe/Rome 2026: CET (+1) until 29 March 01:00 UTC, CEST (+2) until 25 October 01:00 UTC.

describe('zoneOffsetMs', () => {
  it('is +1 h in winter and +2 h in summer in Rome', () => {
    expect(zoneOffsetMs(utc('2026-01-15T12:00:00Z'), ROME)).toBe(HOUR);
    expect(zoneOffsetMs(utc('2026-07-15T12:00:00Z'), ROME)).toBe(2 * HOUR);
  });

  it('switches exactly at 01:00 UTC on the DST days', () => {
    expect(zoneOffsetMs(utc('2026-03-29T00:59:59Z'), ROME)).toBe(HOUR);
    expect(zoneOffsetMs(utc('2026-03-29T01:00:00Z'), ROME)).toBe(2 * HOUR);
    expect(zoneOffsetMs(utc('2026-10-25T00:59:59Z'), ROME)).toBe(2 * HOUR);
    expect(zoneOffsetMs(utc('2026-10-25T01:00:00Z'), ROME)).toBe(HOUR);
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA names and rejects unknown ones', () => {
    expect(isValidTimeZone(ROME)).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});

describe('zonedDateKey', () => {
  it('uses the local calendar day, not the UTC one', () => {
    // 23:30 UTC on 28 March is 00:30 CET on 29 March.
    expect(zonedDateKey(utc('2026-03-28T23:30:00Z'), ROME)).toBe('2026-03-29');
    expect(zonedDateKey(utc('2026-03-28T23:30:00Z'), 'UTC')).toBe('2026-03-28');
    // 22:30 UTC on 30 June is 00:30 CEST on 1 July (month and offset both change).
    expect(zonedDateKey(utc('2026-06-30T22:30:00Z'), ROME)).toBe('2026-07-01');
    // 21:59 UTC on 30 June is still 23:59 on 30 June.
    expect(zonedDateKey(utc('2026-06-30T21:59:00Z'), ROME)).toBe('2026-06-30');
    // New York is behind UTC: 03:00 UTC on 1 January is still New Year's Eve there.
    expect(zonedDateKey(utc('2027-01-01T03:00:00Z'), 'America/New_York')).toBe('2026-12-31');
  });
});

describe('startOfZonedDay', () => {
  it('is local midnight in winter and in summer', () => {
    expect(startOfZonedDay(utc('2026-11-28T13:30:00Z'), ROME)).toEqual(utc('2026-11-27T23:00:00Z'));
    expect(startOfZonedDay(utc('2026-07-10T00:30:00Z'), ROME)).toEqual(utc('2026-07-09T22:00:00Z'));
  });

  it('maps local midnight to itself and a millisecond before it to the previous day', () => {
    const midnight = utc('2026-11-27T23:00:00Z');
    expect(startOfZonedDay(midnight, ROME)).toEqual(midnight);
    expect(startOfZonedDay(new Date(midnight.getTime() - 1), ROME)).toEqual(utc('2026-11-26T23:00:00Z'));
  });

  it('gives a 23-hour 29 March and a 25-hour 25 October in Rome', () => {
    const march29 = startOfZonedDay(utc('2026-03-29T12:00:00Z'), ROME);
    const march30 = startOfZonedDay(utc('2026-03-30T12:00:00Z'), ROME);
    expect(march29).toEqual(utc('2026-03-28T23:00:00Z')); // 00:00 CET
    expect(march30).toEqual(utc('2026-03-29T22:00:00Z')); // 00:00 CEST
    expect(march30.getTime() - march29.getTime()).toBe(23 * HOUR);

    const oct25 = startOfZonedDay(utc('2026-10-25T12:00:00Z'), ROME);
    const oct26 = startOfZonedDay(utc('2026-10-26T12:00:00Z'), ROME);
    expect(oct25).toEqual(utc('2026-10-24T22:00:00Z')); // 00:00 CEST
    expect(oct26).toEqual(utc('2026-10-25T23:00:00Z')); // 00:00 CET
    expect(oct26.getTime() - oct25.getTime()).toBe(25 * HOUR);
  });

  it('handles a southern-hemisphere DST end (Sydney, 5 April 2026: 25 hours)', () => {
    const start = startOfZonedDay(utc('2026-04-05T06:00:00Z'), 'Australia/Sydney');
    const next = startOfZonedDay(utc('2026-04-06T06:00:00Z'), 'Australia/Sydney');
    expect(start).toEqual(utc('2026-04-04T13:00:00Z')); // 00:00 AEDT (+11)
    expect(next).toEqual(utc('2026-04-05T14:00:00Z')); // 00:00 AEST (+10)
  });

  it('starts at 01:00 on a day whose midnight does not exist (Santiago, 6 September 2026)', () => {
    // Chile springs forward from 24:00 on Saturday to 01:00 on Sunday (−04 → −03).
    expect(startOfZonedDay(utc('2026-09-06T15:00:00Z'), 'America/Santiago')).toEqual(utc('2026-09-06T04:00:00Z'));
  });
});

describe('addZonedDays', () => {
  it('keeps the wall-clock time across the spring change (23 hours later)', () => {
    const noonSat = utc('2026-03-28T11:00:00Z'); // 12:00 CET
    const noonSun = addZonedDays(noonSat, 1, ROME);
    expect(noonSun).toEqual(utc('2026-03-29T10:00:00Z')); // 12:00 CEST
    expect(noonSun.getTime() - noonSat.getTime()).toBe(23 * HOUR);
    expect(addZonedDays(noonSun, -1, ROME)).toEqual(noonSat);
  });

  it('keeps the wall-clock time across the autumn change (25 hours later)', () => {
    const noonSat = utc('2026-10-24T10:00:00Z'); // 12:00 CEST
    expect(addZonedDays(noonSat, 1, ROME)).toEqual(utc('2026-10-25T11:00:00Z')); // 12:00 CET
  });

  it('crosses month and year ends and keeps milliseconds', () => {
    expect(addZonedDays(utc('2026-01-31T09:15:30.250Z'), 1, ROME)).toEqual(utc('2026-02-01T09:15:30.250Z'));
    expect(addZonedDays(utc('2026-12-31T12:00:00Z'), 1, ROME)).toEqual(utc('2027-01-01T12:00:00Z'));
    expect(addZonedDays(utc('2026-03-01T12:00:00Z'), -1, ROME)).toEqual(utc('2026-02-28T12:00:00Z'));
  });

  it('moves a time that lands in the spring gap forward', () => {
    // 02:30 CET on 28 March → 02:30 on 29 March does not exist → 03:30 CEST.
    expect(addZonedDays(utc('2026-03-28T01:30:00Z'), 1, ROME)).toEqual(utc('2026-03-29T01:30:00Z'));
  });

  it('refuses fractional days', () => {
    expect(() => addZonedDays(utc('2026-03-28T01:30:00Z'), 0.5, ROME)).toThrow(RangeError);
  });
});

describe('zonedTimeToUtc', () => {
  it('normalises overflowing fields', () => {
    // 32 December 2026 = 1 January 2027, 00:00 CET.
    expect(zonedTimeToUtc(ROME, 2026, 12, 32)).toEqual(utc('2026-12-31T23:00:00Z'));
  });
});

describe('parseZonedLocal', () => {
  it('reads ordinary winter and summer times', () => {
    expect(parseZonedLocal('2026-11-28T14:30', ROME)).toEqual(utc('2026-11-28T13:30:00Z'));
    expect(parseZonedLocal('2026-07-15T09:00', ROME)).toEqual(utc('2026-07-15T07:00:00Z'));
    expect(parseZonedLocal('2026-07-15 09:00:45', ROME)).toEqual(utc('2026-07-15T07:00:45Z'));
    expect(parseZonedLocal('2026-11-28', ROME)).toEqual(utc('2026-11-27T23:00:00Z'));
  });

  it('moves a time in the spring gap forward by the gap (02:30 → 03:30 CEST)', () => {
    expect(parseZonedLocal('2026-03-29T02:30', ROME)).toEqual(utc('2026-03-29T01:30:00Z'));
    expect(parseZonedLocal('2026-03-29T02:00', ROME)).toEqual(utc('2026-03-29T01:00:00Z'));
    // Either side of the gap is unambiguous.
    expect(parseZonedLocal('2026-03-29T01:59', ROME)).toEqual(utc('2026-03-29T00:59:00Z'));
    expect(parseZonedLocal('2026-03-29T03:00', ROME)).toEqual(utc('2026-03-29T01:00:00Z'));
  });

  it('takes the first occurrence of a repeated autumn time (02:30 CEST, not CET)', () => {
    expect(parseZonedLocal('2026-10-25T02:30', ROME)).toEqual(utc('2026-10-25T00:30:00Z'));
    expect(parseZonedLocal('2026-10-25T02:00', ROME)).toEqual(utc('2026-10-25T00:00:00Z'));
    expect(parseZonedLocal('2026-10-25T01:59', ROME)).toEqual(utc('2026-10-24T23:59:00Z'));
    expect(parseZonedLocal('2026-10-25T03:00', ROME)).toEqual(utc('2026-10-25T02:00:00Z'));
  });

  it('applies the same rules in New York', () => {
    expect(parseZonedLocal('2026-03-08T02:30', 'America/New_York')).toEqual(utc('2026-03-08T07:30:00Z'));
    expect(parseZonedLocal('2026-11-01T01:30', 'America/New_York')).toEqual(utc('2026-11-01T05:30:00Z'));
  });

  it('returns null for malformed or impossible input', () => {
    for (const bad of [
      '',
      'domani',
      '2026-02-30T10:00',
      '2026-02-29T10:00',
      '2026-13-01T00:00',
      '2026-00-10T00:00',
      '2026-04-31',
      '2026-01-01T24:00',
      '2026-01-01T10:60',
      '2026-01-01T10:00Z',
      '2026-1-1T10:00',
    ]) {
      expect(parseZonedLocal(bad, ROME), bad).toBeNull();
    }
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseZonedLocal('2028-02-29T10:00', ROME)).toEqual(utc('2028-02-29T09:00:00Z'));
  });

  it('round-trips with formatZonedLocal', () => {
    for (const s of ['2026-11-28T14:30', '2026-03-29T03:00', '2026-10-25T02:30', '2026-12-31T23:59']) {
      expect(formatZonedLocal(parseZonedLocal(s, ROME)!, ROME)).toBe(s);
    }
    expect(formatZonedLocal(parseZonedLocal('2026-03-29T02:30', ROME)!, ROME)).toBe('2026-03-29T03:30');
  });
});

describe('formatDateTime', () => {
  const winter = utc('2026-11-28T13:30:00Z');
  const summer = utc('2026-07-28T13:30:00Z');

  it('shows local time with the zone abbreviation', () => {
    expect(formatDateTime(winter, 'it', ROME)).toBe('28 nov 2026, 14:30 CET');
    expect(formatDateTime(summer, 'it', ROME)).toBe('28 lug 2026, 15:30 CEST');
    expect(formatDateTime(winter, 'en', ROME)).toBe('28 Nov 2026, 14:30 CET');
  });

  it('can leave the zone out', () => {
    expect(formatDateTime(winter, 'it', ROME, { withZone: false })).toBe('28 nov 2026, 14:30');
  });

  it('uses a 24-hour clock in English too', () => {
    expect(formatDateTime(utc('2026-11-28T21:05:00Z'), 'en', ROME)).toContain('22:05');
  });

  it('honours dateStyle', () => {
    expect(formatDateTime(winter, 'it', ROME, { dateStyle: 'short' })).toBe('28/11/26, 14:30 CET');
    const long = formatDateTime(winter, 'it', ROME, { dateStyle: 'long' });
    expect(long).toContain('28 novembre 2026');
    expect(long).toContain('14:30');
  });

  it('uses the date of the zone, not of UTC', () => {
    expect(formatDateTime(utc('2026-11-27T23:30:00Z'), 'it', ROME)).toBe('28 nov 2026, 00:30 CET');
  });
});

describe('formatEndDateTime', () => {
  it('writes local midnight as 24:00 of the day before, so "until" cannot be read as "during the next day"', () => {
    const midnight = utc('2026-12-02T23:00:00Z'); // 3 Dec 00:00 in Rome
    expect(formatEndDateTime(midnight, 'it', ROME)).toBe('2 dic 2026, 24:00 CET');
    expect(formatEndDateTime(midnight, 'en', ROME)).toBe('2 Dec 2026, 24:00 CET');
    expect(formatEndDateTime(midnight, 'it', ROME, { dateStyle: 'short', withZone: false })).toBe('02/12/26, 24:00');
    // Midnight in summer time, and at the end of the month and year.
    expect(formatEndDateTime(utc('2026-07-31T22:00:00Z'), 'it', ROME)).toBe('31 lug 2026, 24:00 CEST');
    expect(formatEndDateTime(utc('2026-12-31T23:00:00Z'), 'en', ROME)).toBe('31 Dec 2026, 24:00 CET');
  });

  it('writes any other moment exactly as formatDateTime does', () => {
    for (const iso of ['2026-12-02T22:59:00Z', '2026-12-02T23:01:00Z', '2026-11-28T13:30:00Z']) {
      expect(formatEndDateTime(utc(iso), 'it', ROME)).toBe(formatDateTime(utc(iso), 'it', ROME));
    }
  });
});

describe('formatDate', () => {
  it('formats the local calendar date', () => {
    expect(formatDate(utc('2026-11-27T23:30:00Z'), 'it', ROME)).toBe('28 nov 2026');
    expect(formatDate(utc('2026-11-27T23:30:00Z'), 'en', ROME, 'long')).toBe('28 November 2026');
  });
});

describe('formatDuration', () => {
  it('uses two units at most', () => {
    expect(formatDuration(3 * HOUR + 20 * MIN, 'it')).toBe('3 h 20 min');
    expect(formatDuration(52 * HOUR, 'it')).toBe('2 g 4 h');
    expect(formatDuration(52 * HOUR, 'en')).toBe('2 d 4 h');
    expect(formatDuration(45 * MIN, 'en')).toBe('45 min');
  });

  it('omits a zero second unit', () => {
    expect(formatDuration(2 * HOUR, 'it')).toBe('2 h');
    expect(formatDuration(48 * HOUR, 'it')).toBe('2 g');
  });

  it('rounds to the smaller unit shown, carrying over', () => {
    expect(formatDuration(90_000, 'it')).toBe('2 min'); // 1.5 min
    expect(formatDuration(59 * MIN + 30_000, 'it')).toBe('1 h');
    expect(formatDuration(24 * HOUR - 20_000, 'it')).toBe('1 g');
    expect(formatDuration(35 * HOUR + 40 * MIN, 'en')).toBe('1 d 12 h');
    expect(formatDuration(24 * HOUR + 20 * MIN, 'en')).toBe('1 d');
  });

  it('handles very short, zero and negative durations', () => {
    expect(formatDuration(20_000, 'it')).toBe('< 1 min');
    expect(formatDuration(0, 'it')).toBe('0 min');
    expect(formatDuration(-5_000, 'en')).toBe('0 min');
    expect(() => formatDuration(Number.NaN, 'it')).toThrow(RangeError);
  });
});
