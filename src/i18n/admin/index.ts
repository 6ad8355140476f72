import type { Locale } from '../../domain/vocab.ts';
import en from './en.ts';
import it, { type AdminDictionary } from './it.ts';

export type { AdminDictionary };

const DICTIONARIES: Record<Locale, AdminDictionary> = { it, en };

/** The console's strings in one language. */
export function adminDict(locale: Locale): AdminDictionary {
  return DICTIONARIES[locale];
}

export { fieldName } from './field-names.ts';

/** Labels of the shared vocabularies (statuses, impacts) in both languages, for the public-page preview. */
export { vocabulary } from './vocabulary.ts';
