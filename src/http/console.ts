/**
 * The operator console's HTTP rules that do not depend on Astro: which cookies it sets and how, where it
 * may redirect, and how it reads form fields. Kept free of `astro:*` so plain vitest covers it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { negotiateLocale, resolveLocale } from '../domain/i18n.ts';
import { parseZonedLocal } from '../domain/time.ts';
import type { Locale, LocalizedText } from '../domain/vocab.ts';

export const CONSOLE_BASE = '/admin';
export const SIGN_IN_PATH = '/admin/sign-in';

/** /admin and everything below it (not /administrator). */
export function isConsolePath(pathname: string): boolean {
  return pathname === CONSOLE_BASE || pathname.startsWith(`${CONSOLE_BASE}/`);
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export type CookieSecurity = {
  /** Whether cookies carry `Secure` (and may use the `__Host-` prefix). */
  secure: boolean;
  sessionCookie: string;
  signInCookie: string;
};

/**
 * Cookie names and flags for a request.
 *
 * HTTPS sites (the request is https, or SITE_URL says https because TLS ends at a proxy) and loopback hosts
 * get `__Host-vedetta_session; Secure; HttpOnly; SameSite=Lax; Path=/`: the `__Host-` prefix makes the
 * browser refuse the cookie unless it is Secure, has Path=/ and no Domain, so a sibling subdomain cannot
 * plant or overwrite it. Browsers count http://localhost and http://127.0.0.1 as secure contexts and keep
 * Secure cookies there, so local development gets the same cookie as production.
 *
 * Any other plain-HTTP host (a test box reached at http://10.0.0.5) would silently drop a Secure cookie, and
 * nobody could sign in; there the cookie is `vedetta_session` without Secure. That deployment is sending
 * passwords in clear anyway: put it behind TLS and set SITE_URL to its https address.
 */
export function cookieSecurity(url: URL, siteUrl: string): CookieSecurity {
  const secure = url.protocol === 'https:' || siteUrl.startsWith('https:') || LOOPBACK_HOSTS.has(url.hostname);
  return secure
    ? { secure, sessionCookie: '__Host-vedetta_session', signInCookie: '__Host-vedetta_signin' }
    : { secure, sessionCookie: 'vedetta_session', signInCookie: 'vedetta_signin' };
}

export const LOCALE_COOKIE = 'vedetta_console_lang';

/** The console's language: the operator's choice (cookie), else the browser's preference, else Italian. */
export function consoleLocale(cookieValue: string | undefined, acceptLanguage: string | null): Locale {
  return cookieValue ? resolveLocale(cookieValue) : negotiateLocale(acceptLanguage);
}

const SENTINEL_ORIGIN = 'http://console.invalid';

/**
 * A redirect target taken from a request (`next`), reduced to a path inside the console; anything else
 * (absolute URLs, protocol-relative `//evil`, backslashes, control characters, paths outside /admin, the
 * sign-in and sign-out pages themselves) gives the fallback. Open redirects are how phishing mails borrow a
 * trusted domain.
 */
export function safeNext(raw: unknown, fallback = CONSOLE_BASE): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2000) return fallback;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return fallback;
  let url: URL;
  try {
    url = new URL(raw, SENTINEL_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== SENTINEL_ORIGIN || !isConsolePath(url.pathname)) return fallback;
  if (url.pathname.startsWith('/admin/sign-')) return fallback;
  if (url.pathname.includes('//')) return fallback;
  return url.pathname + url.search;
}

/** A random value for the sign-in form's double-submit cookie. */
export function newSignInNonce(): string {
  return randomBytes(24).toString('base64url');
}

/** Double-submit check for the sign-in form, which has no session yet: cookie and hidden field must match. */
export function checkSignInNonce(cookie: string | undefined, submitted: unknown): boolean {
  if (!cookie || typeof submitted !== 'string' || submitted.length === 0) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Field errors keyed by the form field name (which is the service's input path: `title.it`, `windows.0.restoredUntil`). */
export type FieldErrors = Record<string, string>;

/** Reads a submitted form; every getter tolerates absent fields and File values. */
export class FormReader {
  constructor(readonly data: FormData) {}

  /** The field's text, or '' when absent. Not trimmed: the services trim and validate. */
  str(name: string): string {
    const v = this.data.get(name);
    return typeof v === 'string' ? v : '';
  }

  /** The field's text, or undefined when absent or blank. */
  opt(name: string): string | undefined {
    const v = this.str(name).trim();
    return v === '' ? undefined : v;
  }

  all(name: string): string[] {
    return this.data.getAll(name).filter((v): v is string => typeof v === 'string');
  }

  bool(name: string): boolean {
    const v = this.str(name);
    return v === 'on' || v === '1' || v === 'true' || v === 'yes';
  }

  /** `{ it, en }` from `base.it` and `base.en`; English left out when blank (it then falls back to Italian). */
  localized(base: string): LocalizedText {
    const en = this.opt(`${base}.en`);
    return en ? { it: this.str(`${base}.it`), en } : { it: this.str(`${base}.it`) };
  }

  /** Like `localized`, but undefined when both languages are blank (an optional text left empty). */
  optLocalized(base: string): LocalizedText | undefined {
    if (!this.opt(`${base}.it`) && !this.opt(`${base}.en`)) return undefined;
    return this.localized(base);
  }

  /** An integer, or undefined when blank; a wrong value is reported in `errors`. */
  int(name: string, errors: FieldErrors, message: string): number | undefined {
    const v = this.opt(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,9}$/.test(v)) {
      errors[name] = message;
      return undefined;
    }
    return Number(v);
  }

  /**
   * A `datetime-local` value read as wall-clock time in the site's zone (correct on DST days, see
   * parseZonedLocal); undefined when blank, reported in `errors` when malformed.
   */
  dateTime(name: string, timeZone: string, errors: FieldErrors, message: string): Date | undefined {
    const v = this.opt(name);
    if (v === undefined) return undefined;
    const date = parseZonedLocal(v, timeZone);
    if (!date) errors[name] = message;
    return date ?? undefined;
  }

  /** Every text field, first value per name: what the form shows again after a failed submission. */
  values(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.data.entries()) {
      if (typeof v === 'string' && !(k in out) && k !== '_csrf' && k !== 'password') out[k] = v;
    }
    return out;
  }
}
