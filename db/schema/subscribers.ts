import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tstz } from './columns.ts';

export const SUBSCRIBER_STATES = ['pending', 'confirmed', 'unsubscribed', 'suppressed'] as const;
export const CONSENT_SOURCES = ['double_opt_in', 'operator_attested'] as const;

/**
 * One row per e-mail address. Only `confirmed` rows ever receive alerts; a pending row receives only its
 * confirmation e-mail. `serviceKeys` is the chosen set when `allServices` is false.
 */
export const subscribers = pgTable(
  'subscribers',
  {
    id: idColumn(),
    /** Stored lower-cased and trimmed, so one address is one row. */
    email: text('email').notNull(),
    locale: text('locale', { enum: ['it', 'en'] }).notNull().default('it'),
    allServices: boolean('all_services').notNull().default(true),
    serviceKeys: jsonb('service_keys').$type<string[]>().notNull().default([]),
    state: text('state', { enum: SUBSCRIBER_STATES }).notNull().default('pending'),
    consent: text('consent', { enum: CONSENT_SOURCES }).notNull().default('double_opt_in'),
    /** Who attested consent collected elsewhere and how (imports only). */
    consentNote: text('consent_note'),
    /** Bumped whenever a confirmation link is (re)issued; older confirmation links stop working. */
    confirmNonce: integer('confirm_nonce').notNull().default(0),
    confirmSentAt: tstz('confirm_sent_at'),
    confirmedAt: tstz('confirmed_at'),
    unsubscribedAt: tstz('unsubscribed_at'),
    suppressedAt: tstz('suppressed_at'),
    suppressedReason: text('suppressed_reason'),
    source: text('source', { enum: ['public', 'import', 'console'] }).notNull().default('public'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('subscribers_email_uq').on(t.email),
    // Fan-out walks confirmed subscribers in id order (keyset pagination).
    index('subscribers_state_id_idx').on(t.state, t.id),
    index('subscribers_service_keys_idx').using('gin', t.serviceKeys),
  ],
);
