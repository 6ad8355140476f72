import type { Locale } from '../domain/vocab.ts';
import { LOCALES } from '../domain/vocab.ts';
import en from './en.ts';
import it, { type Dictionary } from './it.ts';

export type { Dictionary };
export { SITE } from './site.ts';

const DICTIONARIES: Record<Locale, Dictionary> = { it, en };

export function dict(locale: Locale): Dictionary {
  return DICTIONARIES[locale];
}

export { LOCALES };

/** The path prefix of a locale: '' for Italian (the default), '/en' for English. */
export function localePrefix(locale: Locale): string {
  return locale === 'it' ? '' : `/${locale}`;
}

/** A site path ('/incidents/x', '/') in the given locale's URL space. */
export function localePath(locale: Locale, path: string): string {
  const prefix = localePrefix(locale);
  if (!prefix) return path;
  return path === '/' ? `${prefix}/` : `${prefix}${path}`;
}

/** Which locale a URL path belongs to, and the path without its locale prefix. */
export function splitLocalePath(pathname: string): { locale: Locale; path: string } {
  for (const l of LOCALES) {
    if (l === 'it') continue;
    if (pathname === `/${l}` || pathname === `/${l}/`) return { locale: l, path: '/' };
    if (pathname.startsWith(`/${l}/`)) return { locale: l, path: pathname.slice(l.length + 1) };
  }
  return { locale: 'it', path: pathname || '/' };
}
