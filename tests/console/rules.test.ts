/**
 * The console's HTTP rules that need no server: where a `next` may lead, which cookie a request gets, how
 * typed wall-clock times become instants (DST days included), and the audit diff.
 */
import { describe, expect, it } from 'vitest';
import { auditDiff } from '../../src/components/admin/audit.ts';
import { FormReader, checkSignInNonce, consoleLocale, cookieSecurity, isConsolePath, safeNext } from '../../src/http/console.ts';

describe('safeNext', () => {
  it.each([
    ['/admin/incidents/abc?x=1', '/admin/incidents/abc?x=1'],
    ['/admin', '/admin'],
    ['https://evil.example/admin', '/admin'],
    ['//evil.example/admin', '/admin'],
    ['/\\evil.example', '/admin'],
    ['\\\\evil.example', '/admin'],
    ['/admin/../evil', '/admin'],
    ['/administrator', '/admin'],
    ['/', '/admin'],
    ['javascript:alert(1)', '/admin'],
    ['/admin\n/x', '/admin'],
    ['/admin/sign-in?next=/admin', '/admin'],
    ['/admin/sign-out', '/admin'],
    ['/admin//evil.example', '/admin'],
    [undefined, '/admin'],
    [42, '/admin'],
  ])('%j → %s', (input, expected) => {
    expect(safeNext(input)).toBe(expected);
  });
});

describe('cookieSecurity', () => {
  it('uses the __Host- Secure cookie on HTTPS, behind a TLS proxy (SITE_URL https) and on loopback hosts', () => {
    for (const [url, site] of [
      ['https://status.example.com/admin', 'https://status.example.com'],
      ['http://10.0.0.5:4321/admin', 'https://status.example.com'],
      ['http://localhost:4321/admin', 'http://localhost:4321'],
      ['http://127.0.0.1:4321/admin', 'http://localhost:4321'],
      ['http://[::1]:4321/admin', 'http://localhost:4321'],
    ]) {
      expect(cookieSecurity(new URL(url!), site!), url).toEqual({
        secure: true,
        sessionCookie: '__Host-vedetta_session',
        signInCookie: '__Host-vedetta_signin',
      });
    }
  });

  it('falls back to a plain cookie on a plain-HTTP host, where a Secure cookie would be dropped', () => {
    expect(cookieSecurity(new URL('http://10.0.0.5:4321/admin'), 'http://10.0.0.5:4321')).toEqual({
      secure: false,
      sessionCookie: 'vedetta_session',
      signInCookie: 'vedetta_signin',
    });
  });
});

describe('small rules', () => {
  it('knows console paths', () => {
    expect(isConsolePath('/admin')).toBe(true);
    expect(isConsolePath('/admin/incidents')).toBe(true);
    expect(isConsolePath('/administrator')).toBe(false);
    expect(isConsolePath('/')).toBe(false);
  });

  it('checks the sign-in nonce in constant time and refuses blanks', () => {
    expect(checkSignInNonce('abc', 'abc')).toBe(true);
    expect(checkSignInNonce('abc', 'abd')).toBe(false);
    expect(checkSignInNonce('abc', 'abcd')).toBe(false);
    expect(checkSignInNonce(undefined, 'abc')).toBe(false);
    expect(checkSignInNonce('abc', '')).toBe(false);
    expect(checkSignInNonce('abc', null)).toBe(false);
  });

  it('picks the console language from the cookie, then the browser', () => {
    expect(consoleLocale('en', 'it-IT')).toBe('en');
    expect(consoleLocale(undefined, 'en-GB,en;q=0.9')).toBe('en');
    expect(consoleLocale(undefined, 'fr-FR')).toBe('it');
    expect(consoleLocale('xx', 'en')).toBe('it');
  });
});

describe('FormReader', () => {
  const form = (entries: Record<string, string | string[]>) => {
    const data = new FormData();
    for (const [k, v] of Object.entries(entries)) for (const one of Array.isArray(v) ? v : [v]) data.append(k, one);
    return new FormReader(data);
  };

  it('reads datetime-local values as Rome wall-clock time, correct on DST days', () => {
    const errors: Record<string, string> = {};
    const f = form({
      winter: '2026-01-15T10:30',
      summer: '2026-07-15T10:30',
      gap: '2026-03-29T02:30',
      overlap: '2026-10-25T02:30',
      bad: '2026-02-30T10:00',
      empty: '',
    });
    const at = (name: string) => f.dateTime(name, 'Europe/Rome', errors, 'bad date')?.toISOString();
    expect(at('winter')).toBe('2026-01-15T09:30:00.000Z');
    expect(at('summer')).toBe('2026-07-15T08:30:00.000Z');
    // 02:30 does not exist on 29 March (clocks jump to 03:00): read as 03:30 CEST.
    expect(at('gap')).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 happens twice on 25 October: the first one (CEST) is meant.
    expect(at('overlap')).toBe('2026-10-25T00:30:00.000Z');
    expect(at('empty')).toBeUndefined();
    expect(at('bad')).toBeUndefined();
    expect(errors).toEqual({ bad: 'bad date' });
  });

  it('builds per-language texts, leaving a blank English out so readers fall back to Italian', () => {
    const f = form({ 'title.it': 'Ciao', 'title.en': '  ', 'body.it': '', 'body.en': '' });
    expect(f.localized('title')).toEqual({ it: 'Ciao' });
    expect(f.optLocalized('body')).toBeUndefined();
    expect(form({ 'x.it': 'a', 'x.en': 'b' }).localized('x')).toEqual({ it: 'a', en: 'b' });
  });

  it('never echoes the CSRF token or a password back into a re-rendered form', () => {
    expect(form({ _csrf: 't', password: 'p', name: 'n' }).values()).toEqual({ name: 'n' });
  });

  it('reports a malformed integer', () => {
    const errors: Record<string, string> = {};
    expect(form({ n: '12' }).int('n', errors, 'not a number')).toBe(12);
    expect(form({ n: '1.5' }).int('n', errors, 'not a number')).toBeUndefined();
    expect(errors).toEqual({ n: 'not a number' });
  });
});

describe('auditDiff', () => {
  it('lists changed fields only, flattening per-language texts and showing instants in Rome time', () => {
    const rows = auditDiff(
      { status: 'investigating', title: { it: 'A', en: 'A' }, nextUpdateBy: '2026-11-28T09:00:00.000Z', updatedAt: 'x', version: 1 },
      { status: 'identified', title: { it: 'A', en: 'B' }, nextUpdateBy: '2026-11-28T10:00:00.000Z', updatedAt: 'y', version: 2 },
      'it',
      'Europe/Rome',
    );
    expect(rows).toEqual([
      { field: 'status', before: 'investigating', after: 'identified' },
      { field: 'title.en', before: 'A', after: 'B' },
      { field: 'nextUpdateBy', before: '28 nov 2026, 10:00 CET', after: '28 nov 2026, 11:00 CET' },
      { field: 'version', before: '1', after: '2' },
    ]);
  });

  it('shows a creation as after-only values', () => {
    expect(auditDiff(null, { key: 'web' }, 'en', 'Europe/Rome')).toEqual([{ field: 'key', before: null, after: 'web' }]);
  });
});
