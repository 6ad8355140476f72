import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz } from './columns.ts';

/**
 * A partner system's HTTPS receiver. The signing secret must be readable (the receiver verifies with the
 * same key, per Standard Webhooks), so unlike our own credentials it is stored as issued.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: idColumn(),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    secret: text('secret').notNull(),
    /** Event types or patterns such as `maintenance.*`. */
    events: jsonb('events').$type<string[]>().notNull(),
    locale: text('locale', { enum: ['it', 'en'] }).notNull().default('it'),
    state: text('state', { enum: ['pending', 'active', 'disabled'] }).notNull().default('pending'),
    ownerEmail: text('owner_email').notNull(),
    selfService: boolean('self_service').notNull().default(false),
    createdBy: text('created_by'),
    confirmNonce: integer('confirm_nonce').notNull().default(0),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    failingSince: tstz('failing_since'),
    disabledAt: tstz('disabled_at'),
    disabledReason: text('disabled_reason'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_state_idx').on(t.state)],
);

/** One event for one endpoint: its id is the `webhook-id` a receiver de-duplicates on. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: idColumn(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    state: text('state', { enum: ['pending', 'delivered', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** Each attempt: time, HTTP status or error, duration; newest last, capped. */
    log: jsonb('log').$type<{ at: string; status: number | null; error: string | null; ms: number }[]>().notNull().default([]),
    lastStatus: integer('last_status'),
    deliveredAt: tstz('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_endpoint_event_uq').on(t.endpointId, t.eventId),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
  ],
);
