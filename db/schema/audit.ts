import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { idColumn, tstz } from './columns.ts';

/** Who changed what, when, with the object before and after: written in the same transaction as the change. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: idColumn(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    at: tstz('at').notNull(),
  },
  (t) => [index('audit_log_object_idx').on(t.objectType, t.objectId, t.at), index('audit_log_at_idx').on(t.at)],
);
