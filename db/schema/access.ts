import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { OPERATOR_ROLES, TOKEN_SCOPES } from '../../src/domain/vocab.ts';
import { createdAt, idColumn, tstz } from './columns.ts';

export const operators = pgTable(
  'operators',
  {
    id: idColumn(),
    /** Stored lower-cased: sign-in compares addresses case-insensitively. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: OPERATOR_ROLES }).notNull(),
    passwordHash: text('password_hash').notNull(),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: tstz('locked_until'),
    disabledAt: tstz('disabled_at'),
    lastLoginAt: tstz('last_login_at'),
    /** Set for a generated first-run password and after an administrator's reset: the console asks for a new one first. */
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('operators_email_uq').on(t.email)],
);

/** The cookie holds a random token; only its SHA-256 is stored, so a database leak opens no session. */
export const operatorSessions = pgTable(
  'operator_sessions',
  {
    id: idColumn(),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: tstz('expires_at').notNull(),
    lastSeenAt: tstz('last_seen_at').notNull(),
  },
  (t) => [uniqueIndex('operator_sessions_token_uq').on(t.tokenHash), index('operator_sessions_operator_idx').on(t.operatorId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: idColumn(),
    name: text('name').notNull(),
    /** The first characters, shown in lists so operators can tell tokens apart without the secret. */
    prefix: text('prefix').notNull(),
    tokenHash: text('token_hash').notNull(),
    scopes: jsonb('scopes').$type<(typeof TOKEN_SCOPES)[number][]>().notNull(),
    createdBy: text('created_by').references(() => operators.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    expiresAt: tstz('expires_at'),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash)],
);

/** A POST retried with the same Idempotency-Key gets the first answer back instead of acting twice. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    actor: text('actor').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    body: jsonb('body'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.actor, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/** Failed sign-ins per address and per client, for rate limiting that holds across instances. */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    id: idColumn(),
    subject: text('subject').notNull(),
    at: tstz('at').notNull(),
  },
  (t) => [index('login_attempts_subject_at_idx').on(t.subject, t.at)],
);
