/**
 * Locale choice and per-locale text. Italian is the language every text is written in first;
 * English is offered where the operators wrote it, so any gap falls back to Italian, never to blank.
 */
import { DEFAULT_LOCALE, LOCALES, type Locale, type LocalizedText } from './vocab.ts';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The supported locale a language tag belongs to, or null: 'en-GB' → 'en', 'EN_us' → 'en', 'fr' → null. */
function matchLocale(tag: string): Locale | null {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(primary) ? primary : null;
}

/** A locale from a URL segment, cookie or setting; anything unsupported or absent means Italian. */
export function resolveLocale(input: string | null | undefined): Locale {
  return (input && matchLocale(input)) || DEFAULT_LOCALE;
}

/**
 * Region used for Intl formatting. English readers of an Italian service are mostly in Europe, so
 * en-GB: 24-hour clock, day before month, and zone names like "CET" where en-US would print "GMT+1".
 */
export function intlLocale(locale: Locale): string {
  return locale === 'en' ? 'en-GB' : 'it-IT';
}

export type PickedText = {
  text: string;
  /** The language the text is actually in, for a lang="…" attribute when it differs from the page. */
  locale: Locale;
  fallback: boolean;
};

/**
 * The text in the wanted locale, or the Italian one when that is missing or blank (an operator
 * who cleared the English field meant "no translation", not "show nothing").
 */
export function pickText(text: LocalizedText | null | undefined, locale: Locale): PickedText {
  const wanted = text?.[locale];
  if (typeof wanted === 'string' && wanted.trim() !== '') return { text: wanted, locale, fallback: false };
  return { text: text?.it ?? '', locale: DEFAULT_LOCALE, fallback: locale !== DEFAULT_LOCALE };
}

/**
 * The best supported locale for an Accept-Language header (RFC 9110 §12.5.4): highest q first,
 * header order breaking ties, q=0 meaning "not this one". Entries with a malformed q are ignored,
 * and a wildcard or no match gives Italian.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranges: { tag: string; q: number; order: number }[] = [];
  acceptLanguage.split(',').forEach((entry, order) => {
    const [tag, ...params] = entry.split(';').map((s) => s.trim());
    if (!tag) return;
    let q = 1;
    for (const param of params) {
      const m = /^q\s*=\s*(.*)$/i.exec(param);
      if (!m) continue;
      const value = m[1] ?? '';
      q = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value) ? Number(value) : Number.NaN;
    }
    if (!Number.isNaN(q) && q > 0) ranges.push({ tag, q, order });
  });
  ranges.sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { tag } of ranges) {
    if (tag === '*') return DEFAULT_LOCALE;
    const match = matchLocale(tag);
    if (match) return match;
  }
  return DEFAULT_LOCALE;
}
