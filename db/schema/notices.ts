import { boolean, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, localized, tstz } from './columns.ts';
import { incidents } from './incidents.ts';
import { services } from './services.ts';

/** A data-gap notice: what was restored up to when, for whom, and what readers must do. */
export const dataGapNotices = pgTable(
  'data_gap_notices',
  {
    id: idColumn(),
    incidentId: text('incident_id').references(() => incidents.id, { onDelete: 'cascade' }),
    title: localized('title').notNull(),
    body: localized('body'),
    /** Who is concerned (e.g. "clients whose area restore failed"). */
    audience: localized('audience'),
    /** What the reader must do. */
    action: localized('action'),
    publishedAt: tstz('published_at').notNull(),
    closedAt: tstz('closed_at'),
    createdAt: createdAt(),
  },
  (t) => [index('data_gap_notices_incident_idx').on(t.incidentId)],
);

/** One restored-up-to window per scope ("most areas", "some areas"). */
export const dataGapWindows = pgTable(
  'data_gap_windows',
  {
    id: idColumn(),
    noticeId: text('notice_id')
      .notNull()
      .references(() => dataGapNotices.id, { onDelete: 'cascade' }),
    scope: localized('scope').notNull(),
    /** Data is complete up to this instant... */
    restoredUntil: tstz('restored_until').notNull(),
    /** ...and missing until this one (null: until further notice). */
    gapEndsAt: tstz('gap_ends_at'),
    /**
     * The restore this window describes has not happened yet: `restoredUntil` is how far it is expected to go.
     * Readers must not be told data is back (nor see it in the success colour) before it is.
     */
    pending: boolean('pending').notNull().default(false),
    sortOrder: integer('sort_order').notNull().default(0),
  },
  (t) => [index('data_gap_windows_notice_idx').on(t.noticeId, t.sortOrder)],
);

export const dataGapNoticeServices = pgTable(
  'data_gap_notice_services',
  {
    noticeId: text('notice_id')
      .notNull()
      .references(() => dataGapNotices.id, { onDelete: 'cascade' }),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.noticeId, t.serviceId] })],
);
