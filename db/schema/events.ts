import { bigserial, boolean, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { EVENT_TYPES } from '../../src/domain/vocab.ts';
import type { LocalizedText } from '../../src/domain/vocab.ts';
import { tstz } from './columns.ts';

/**
 * The public event stream: one row per thing readers are told (an update, a resolution, a milestone moved,
 * a notice, a maintenance step), written in the same transaction as the change. Feeds read it; e-mail and
 * webhook fan-out start from it. Only published content ever becomes an event.
 */
export const events = pgTable(
  'events',
  {
    /** Monotonic, so consumers can resume after the last one they saw. */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: text('id').notNull().unique(),
    type: text('type', { enum: EVENT_TYPES }).notNull(),
    incidentId: text('incident_id'),
    maintenanceId: text('maintenance_id'),
    /** The row the event is about (update, milestone, notice, maintenance, service). */
    subjectId: text('subject_id').notNull(),
    serviceKeys: jsonb('service_keys').$type<string[]>().notNull(),
    title: jsonb('title').$type<LocalizedText>().notNull(),
    body: jsonb('body').$type<LocalizedText>(),
    /** Event-specific facts (statuses, dates) for renderers and webhook payloads. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    notify: boolean('notify').notNull().default(true),
    occurredAt: tstz('occurred_at').notNull(),
  },
  (t) => [index('events_occurred_idx').on(t.occurredAt), index('events_incident_idx').on(t.incidentId, t.occurredAt)],
);
