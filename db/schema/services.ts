import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { SERVICE_STATUSES, STATUS_SOURCES } from '../../src/domain/vocab.ts';
import { createdAt, idColumn, localized, tstz } from './columns.ts';

export const services = pgTable(
  'services',
  {
    id: idColumn(),
    key: text('key').notNull(),
    name: localized('name').notNull(),
    description: localized('description'),
    groupName: localized('group_name'),
    sortOrder: integer('sort_order').notNull().default(0),
    /** A temporary service (an emergency channel) exists only between these two times. */
    availableFrom: tstz('available_from'),
    availableUntil: tstz('available_until'),
    /** Automation: a service whose heartbeat is this many seconds overdue turns major_outage on its own. */
    heartbeatTimeoutSeconds: integer('heartbeat_timeout_s'),
    lastHeartbeatAt: tstz('last_heartbeat_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('services_key_uq').on(t.key)],
);

/**
 * The status history as intervals; the open interval (ended_at null) is the current status.
 * Uptime is computed from these, so a status is never stored twice.
 */
export const statusIntervals = pgTable(
  'status_intervals',
  {
    id: idColumn(),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    status: text('status', { enum: SERVICE_STATUSES }).notNull(),
    source: text('source', { enum: STATUS_SOURCES }).notNull(),
    incidentId: text('incident_id'),
    maintenanceId: text('maintenance_id'),
    startedAt: tstz('started_at').notNull(),
    endedAt: tstz('ended_at'),
  },
  (t) => [
    index('status_intervals_service_time_idx').on(t.serviceId, t.startedAt),
    uniqueIndex('status_intervals_one_open_uq').on(t.serviceId).where(sql`ended_at is null`),
  ],
);

/** Queue figures reported by a service (invoices still to import, receipts to match, ...). */
export const backlogSamples = pgTable(
  'backlog_samples',
  {
    id: idColumn(),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    metric: text('metric').notNull(),
    label: localized('label').notNull(),
    count: integer('count').notNull(),
    oldestAgeSeconds: integer('oldest_age_s'),
    measuredAt: tstz('measured_at').notNull(),
  },
  (t) => [index('backlog_samples_service_metric_time_idx').on(t.serviceId, t.metric, t.measuredAt)],
);
