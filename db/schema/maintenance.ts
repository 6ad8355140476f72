import { boolean, index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { MAINTENANCE_STATUSES, SERVICE_STATUSES } from '../../src/domain/vocab.ts';
import { createdAt, idColumn, localized, tstz } from './columns.ts';
import { services } from './services.ts';

export const maintenances = pgTable(
  'maintenances',
  {
    id: idColumn(),
    title: localized('title').notNull(),
    body: localized('body'),
    status: text('status', { enum: MAINTENANCE_STATUSES }).notNull().default('scheduled'),
    scheduledStart: tstz('scheduled_start').notNull(),
    scheduledEnd: tstz('scheduled_end').notNull(),
    startedAt: tstz('started_at'),
    completedAt: tstz('completed_at'),
    /**
     * E-mail subscribers about this window: chosen when it is scheduled and kept for the steps the scheduler takes
     * on its own (start, completion), which have no operator to ask. Webhooks and feeds carry every step anyway.
     */
    notify: boolean('notify').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('maintenances_window_idx').on(t.scheduledStart, t.scheduledEnd)],
);

export const maintenanceServices = pgTable(
  'maintenance_services',
  {
    maintenanceId: text('maintenance_id')
      .notNull()
      .references(() => maintenances.id, { onDelete: 'cascade' }),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    /**
     * The status the service had when this window put it under maintenance: completing the window restores it.
     * Null while scheduled, and when the window did not take the service over (an incident or a missing
     * heartbeat already had it down, which maintenance must not hide).
     */
    previousStatus: text('previous_status', { enum: SERVICE_STATUSES }),
  },
  (t) => [primaryKey({ columns: [t.maintenanceId, t.serviceId] })],
);
