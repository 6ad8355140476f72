import { boolean, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import {
  INCIDENT_IMPACTS,
  INCIDENT_STATUSES,
  MILESTONE_STATES,
  SERVICE_STATUSES,
} from '../../src/domain/vocab.ts';
import { createdAt, idColumn, localized, tstz } from './columns.ts';
import { services } from './services.ts';

export const incidents = pgTable(
  'incidents',
  {
    id: idColumn(),
    title: localized('title').notNull(),
    impact: text('impact', { enum: INCIDENT_IMPACTS }).notNull(),
    status: text('status', { enum: INCIDENT_STATUSES }).notNull(),
    startedAt: tstz('started_at').notNull(),
    resolvedAt: tstz('resolved_at'),
    /** The public promise: the next update will be posted by this time. */
    nextUpdateBy: tstz('next_update_by'),
    postmortem: localized('postmortem'),
    postmortemAt: tstz('postmortem_at'),
    /** Optimistic concurrency: every write bumps it, a write carrying an older one is refused. */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('incidents_started_idx').on(t.startedAt),
    index('incidents_status_idx').on(t.status),
    // Incidents still open or resolved since X (each uptime bar lists the incidents of its day).
    index('incidents_resolved_idx').on(t.resolvedAt),
  ],
);

export const incidentServices = pgTable(
  'incident_services',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.serviceId] }), index('incident_services_service_idx').on(t.serviceId)],
);

export const incidentUpdates = pgTable(
  'incident_updates',
  {
    id: idColumn(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    status: text('status', { enum: INCIDENT_STATUSES }).notNull(),
    body: localized('body').notNull(),
    displayAt: tstz('display_at').notNull(),
    notify: boolean('notify').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [index('incident_updates_incident_time_idx').on(t.incidentId, t.displayAt)],
);

/** The status change an update announced for each affected service. */
export const incidentUpdateServices = pgTable(
  'incident_update_services',
  {
    updateId: text('update_id')
      .notNull()
      .references(() => incidentUpdates.id, { onDelete: 'cascade' }),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    oldStatus: text('old_status', { enum: SERVICE_STATUSES }),
    newStatus: text('new_status', { enum: SERVICE_STATUSES }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.updateId, t.serviceId] })],
);

/** The recovery plan: ordered milestones with expected and actual dates. */
export const milestones = pgTable(
  'milestones',
  {
    id: idColumn(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    serviceId: text('service_id').references(() => services.id, { onDelete: 'set null' }),
    title: localized('title').notNull(),
    description: localized('description'),
    state: text('state', { enum: MILESTONE_STATES }).notNull().default('planned'),
    expectedAt: tstz('expected_at'),
    actualAt: tstz('actual_at'),
    delayReason: localized('delay_reason'),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('milestones_incident_idx').on(t.incidentId, t.sortOrder)],
);

/** Decision-style questions and answers attached to an incident. */
export const incidentFaq = pgTable(
  'incident_faq',
  {
    id: idColumn(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    /** Stable anchor for links shared between partners: #slug on the incident page. */
    slug: text('slug').notNull(),
    question: localized('question').notNull(),
    answer: localized('answer').notNull(),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('incident_faq_incident_idx').on(t.incidentId, t.sortOrder)],
);
