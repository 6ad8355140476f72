import { jsonb, timestamp, text } from 'drizzle-orm/pg-core';
import type { LocalizedText } from '../../src/domain/vocab.ts';
import { newId } from '../ids.ts';

/** Every table keys on short random text ids: they appear in public URLs and leak no row counts. */
export const idColumn = () => text('id').primaryKey().$defaultFn(newId);
export const localized = (name: string) => jsonb(name).$type<LocalizedText>();
export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
export const createdAt = () => tstz('created_at').notNull().defaultNow();
