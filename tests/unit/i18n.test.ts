import { describe, expect, it } from 'vitest';
import { intlLocale, isLocale, negotiateLocale, pickText, resolveLocale } from '../../src/domain/i18n.ts';

describe('resolveLocale', () => {
  it('accepts supported locales and region variants', () => {
    expect(resolveLocale('en')).toBe('en');
    expect(resolveLocale('en-GB')).toBe('en');
    expect(resolveLocale('EN_us')).toBe('en');
    expect(resolveLocale(' it-IT ')).toBe('it');
  });

  it('falls back to Italian for anything else', () => {
    for (const input of [null, undefined, '', 'fr', 'de-DE', 'english', 'e', '*']) {
      expect(resolveLocale(input), String(input)).toBe('it');
    }
  });
});

describe('isLocale / intlLocale', () => {
  it('recognises only exact locale codes', () => {
    expect(isLocale('it')).toBe(true);
    expect(isLocale('en-GB')).toBe(false);
    expect(isLocale(undefined)).toBe(false);
  });

  it('formats English the European way', () => {
    expect(intlLocale('en')).toBe('en-GB');
    expect(intlLocale('it')).toBe('it-IT');
  });
});

describe('pickText', () => {
  it('returns the wanted locale when present', () => {
    expect(pickText({ it: 'Ciao', en: 'Hello' }, 'en')).toEqual({ text: 'Hello', locale: 'en', fallback: false });
    expect(pickText({ it: 'Ciao', en: 'Hello' }, 'it')).toEqual({ text: 'Ciao', locale: 'it', fallback: false });
  });

  it('falls back to Italian when the translation is missing or blank', () => {
    expect(pickText({ it: 'Ciao' }, 'en')).toEqual({ text: 'Ciao', locale: 'it', fallback: true });
    expect(pickText({ it: 'Ciao', en: '   \n' }, 'en')).toEqual({ text: 'Ciao', locale: 'it', fallback: true });
    expect(pickText({ it: 'Ciao', en: '' }, 'en')).toEqual({ text: 'Ciao', locale: 'it', fallback: true });
  });

  it('keeps the text as written (no trimming of real content)', () => {
    expect(pickText({ it: 'x', en: '  Hello\n' }, 'en').text).toBe('  Hello\n');
  });

  it('copes with no text at all', () => {
    expect(pickText(null, 'en')).toEqual({ text: '', locale: 'it', fallback: true });
    expect(pickText(undefined, 'it')).toEqual({ text: '', locale: 'it', fallback: false });
  });
});

describe('negotiateLocale', () => {
  it('takes the first supported language by preference', () => {
    expect(negotiateLocale('en-GB,en;q=0.9,it;q=0.8')).toBe('en');
    expect(negotiateLocale('it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7')).toBe('it');
    expect(negotiateLocale('fr-FR,fr;q=0.9,en;q=0.8,it;q=0.7')).toBe('en');
  });

  it('orders by q, not by position', () => {
    expect(negotiateLocale('it;q=0.5, en;q=0.8')).toBe('en');
    expect(negotiateLocale('en;q=0.3, de, it;q=0.4')).toBe('it');
  });

  it('keeps header order for equal q', () => {
    expect(negotiateLocale('en, it')).toBe('en');
    expect(negotiateLocale('it, en')).toBe('it');
  });

  it('skips languages refused with q=0 and entries with a malformed q', () => {
    expect(negotiateLocale('en;q=0, it;q=0.1')).toBe('it');
    expect(negotiateLocale('it;q=0, en;q=0.1')).toBe('en');
    expect(negotiateLocale('it;q=2, en;q=0.5')).toBe('en');
    expect(negotiateLocale('it;q=abc, en;q=0.5')).toBe('en');
  });

  it('gives Italian for a wildcard, nothing supported, or no header', () => {
    expect(negotiateLocale('*')).toBe('it');
    expect(negotiateLocale('fr, *;q=0.5, en;q=0.1')).toBe('it');
    expect(negotiateLocale('de, fr')).toBe('it');
    expect(negotiateLocale('')).toBe('it');
    expect(negotiateLocale(null)).toBe('it');
    expect(negotiateLocale(' , ;q=1')).toBe('it');
  });
});
