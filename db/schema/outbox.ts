import { doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz } from './columns.ts';

export const OUTBOX_KINDS = ['event.dispatch', 'email.fanout', 'email.batch', 'webhook.delivery'] as const;
export const OUTBOX_STATES = ['pending', 'done', 'dead'] as const;

/**
 * The work queue for everything sent outward. A row is written in the same transaction as the change that
 * causes it and claimed after commit with FOR UPDATE SKIP LOCKED plus a lease (`lockedUntil`), never by holding
 * a transaction open across a network call: PGlite has one connection, and a lease outlives a killed worker
 * by exactly its length. `(kind, subjectId)` is unique, so enqueuing the same work twice is a no-op.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: idColumn(),
    kind: text('kind', { enum: OUTBOX_KINDS }).notNull(),
    /** The row the work is about: an event, an e-mail fan-out, an e-mail batch or a webhook delivery. */
    subjectId: text('subject_id').notNull(),
    state: text('state', { enum: OUTBOX_STATES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    runAt: tstz('run_at').notNull().defaultNow(),
    lockedUntil: tstz('locked_until'),
    lockedBy: text('locked_by'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    doneAt: tstz('done_at'),
  },
  (t) => [
    uniqueIndex('outbox_kind_subject_uq').on(t.kind, t.subjectId),
    index('outbox_due_idx').on(t.state, t.runAt),
    // For pruning finished work (src/services/retention.ts) without reading the whole queue.
    index('outbox_done_at_idx').on(t.doneAt),
  ],
);

/**
 * One alert to many subscribers. `content` is rendered once per locale when the fan-out starts (the state of
 * the incident at that moment), so every retry of every batch sends byte-identical e-mails. `cursor` is the
 * last subscriber id already put into batches: expansion resumes there after a crash.
 */
export const emailFanouts = pgTable(
  'email_fanouts',
  {
    id: idColumn(),
    /** What the alert is for, unique: `event:<eventId>`, `reminder:<maintenanceId>`. */
    key: text('key').notNull(),
    eventId: text('event_id'),
    maintenanceId: text('maintenance_id'),
    incidentId: text('incident_id'),
    serviceKeys: jsonb('service_keys').$type<string[]>().notNull(),
    state: text('state', { enum: ['expanding', 'queued', 'done'] }).notNull().default('expanding'),
    cursor: text('cursor'),
    content: jsonb('content').$type<Record<string, unknown>>(),
    recipients: integer('recipients').notNull().default(0),
    createdAt: createdAt(),
    expandedAt: tstz('expanded_at'),
  },
  (t) => [uniqueIndex('email_fanouts_key_uq').on(t.key), index('email_fanouts_event_idx').on(t.eventId)],
);

/** Up to 100 messages sent in one provider request under one idempotency key. */
export const emailBatches = pgTable(
  'email_batches',
  {
    id: idColumn(),
    fanoutId: text('fanout_id'),
    /** Position within the fan-out; (fanoutId, seq) is unique so re-expansion after a crash adds nothing. */
    seq: integer('seq').notNull().default(0),
    state: text('state', { enum: ['pending', 'sent', 'failed'] }).notNull().default('pending'),
    idempotencyKey: text('idempotency_key'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: tstz('sent_at'),
  },
  (t) => [uniqueIndex('email_batches_fanout_seq_uq').on(t.fanoutId, t.seq)],
);

export const EMAIL_KINDS = ['alert', 'confirm', 'owner_notice'] as const;
export const EMAIL_STATES = ['queued', 'sent', 'failed', 'delivered', 'bounced', 'complained'] as const;

/** One e-mail to one address: what per-update counts, bounces and the console's mail list are made of. */
export const emailMessages = pgTable(
  'email_messages',
  {
    id: idColumn(),
    kind: text('kind', { enum: EMAIL_KINDS }).notNull(),
    fanoutId: text('fanout_id'),
    batchId: text('batch_id').notNull(),
    /** Position in the batch: the provider answers ids in request order. */
    position: integer('position').notNull().default(0),
    subscriberId: text('subscriber_id'),
    email: text('email').notNull(),
    locale: text('locale', { enum: ['it', 'en'] }).notNull(),
    /** Rendered e-mail for one-off messages (confirmation, owner notices); alerts derive theirs from the fan-out. */
    content: jsonb('content').$type<Record<string, unknown>>(),
    state: text('state', { enum: EMAIL_STATES }).notNull().default('queued'),
    providerId: text('provider_id'),
    error: text('error'),
    createdAt: createdAt(),
    sentAt: tstz('sent_at'),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('email_messages_batch_idx').on(t.batchId, t.position),
    index('email_messages_fanout_state_idx').on(t.fanoutId, t.state),
    index('email_messages_provider_idx').on(t.providerId),
    index('email_messages_subscriber_idx').on(t.subscriberId),
  ],
);

/**
 * Shared counters for limits that must hold across every process on one database: the e-mail provider's
 * request rate (`nextAt` is the next free slot) and the public forms' per-IP / per-address windows.
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: tstz('window_start').notNull().defaultNow(),
  count: integer('count').notNull().default(0),
  nextAt: tstz('next_at'),
  tokens: doublePrecision('tokens'),
});

/** Ids of signed webhooks already received (Resend's `svix-id`), so a redelivery is acknowledged and ignored. */
export const inboundWebhooks = pgTable(
  'inbound_webhooks',
  {
    id: text('id').primaryKey(),
    source: text('source').notNull(),
    receivedAt: createdAt(),
  },
  // One row per provider event (a delivered or bounced status for each e-mail): pruned by age (src/services/retention.ts).
  (t) => [index('inbound_webhooks_received_idx').on(t.receivedAt)],
);

/** Installation-wide secrets made at first boot (e.g. the key that signs links in e-mails), shared by instances. */
export const appSecrets = pgTable('app_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
});
