import { sql } from 'drizzle-orm';
import { date, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { SERVICE_STATUSES, STATUS_SOURCES, type ServiceStatus } from '../../src/domain/vocab.ts';
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
    // "Intervals still running or ended since X" (the uptime reads): `ended_at is null` and `ended_at >= X` both use it.
    index('status_intervals_service_end_idx').on(t.serviceId, t.endedAt),
  ],
);

/**
 * Heartbeats received, one row per service and minute (`count` heartbeats in it): a monitor reporting every few
 * seconds costs at most 1,440 rows a day per service, and the record still says when it was alive.
 */
export const heartbeatMinutes = pgTable(
  'heartbeat_minutes',
  {
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    minute: tstz('minute').notNull(),
    count: integer('count').notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.serviceId, t.minute] })],
);

/**
 * Pre-aggregated uptime: the seconds a service spent in each status during one closed local day of a page time
 * zone, computed once from `status_intervals` so a page reads 89 rows per service instead of walking its history.
 * A trigger on `status_intervals` (migration 0003) deletes the rows of every day a change touches; the read side
 * (src/services/uptime.ts) recomputes missing days and stores them again. Today is never stored: it is still open.
 */
export const serviceDailyUptime = pgTable(
  'service_daily_uptime',
  {
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    timeZone: text('time_zone').notNull(),
    /** Local calendar date in `time_zone`, 'YYYY-MM-DD'. */
    day: date('day', { mode: 'string' }).notNull(),
    /** Local midnight to the next local midnight (23 or 25 hours on DST days), so invalidation needs no zone rules. */
    dayStart: tstz('day_start').notNull(),
    dayEnd: tstz('day_end').notNull(),
    seconds: jsonb('seconds').$type<Record<ServiceStatus, number>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.serviceId, t.timeZone, t.day] })],
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
