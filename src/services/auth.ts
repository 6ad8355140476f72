import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { and, asc, count, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { apiTokens, loginAttempts, operatorSessions, operators } from '../../db/schema/index.ts';
import { OPERATOR_ROLES, TOKEN_SCOPES, type TokenScope } from '../domain/vocab.ts';
import { type In, UpdateOperatorInput } from './inputs.ts';
import { recordAudit } from './audit.ts';
import { type Actor, type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { authorize } from './permissions.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** However active, a session ends this long after sign-in: a stolen cookie does not live for ever. */
export const SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Failures allowed per address, and per client, inside the window before sign-in is refused. */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_CLIENT = 20;
export const LOCKOUT_MS = 15 * 60 * 1000;

const GENERIC_LOGIN_ERROR = 'E-mail or password not recognised, or sign-in temporarily blocked. Try again later.';

export type Operator = typeof operators.$inferSelect;
export type PublicOperator = Omit<Operator, 'passwordHash'>;

const Password = z.string().min(12, 'at least 12 characters').max(200);
const Email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('must be an e-mail address'));

export const CreateOperatorInput = z.object({
  email: Email,
  name: z.string().trim().min(1).max(120),
  role: z.enum(OPERATOR_ROLES),
  password: Password,
  /** The password is a temporary one someone else chose: the operator replaces it at the first sign-in. */
  mustChangePassword: z.boolean().default(false),
});

export const CreateTokenInput = z.object({
  name: z.string().trim().min(1).max(120),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1, 'at least one scope'),
  expiresAt: z.coerce.date({ message: 'must be a date-time (ISO 8601)' }).optional(),
});

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

// Argon2id with OWASP's second recommended profile (19 MiB, 2 passes): ~70 ms here, memory-hard.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
export const hashPassword = (password: string) => argon2Hash(password, ARGON2);

/** Used when the address is unknown, so a wrong address costs the same time as a wrong password. */
let dummyHash: Promise<string> | undefined;

export function stripSecret(op: Operator): PublicOperator {
  const { passwordHash: _secret, ...rest } = op;
  return rest;
}

export function operatorActor(op: Pick<Operator, 'id' | 'role'>): Actor {
  return { kind: 'operator', id: op.id, role: op.role };
}

export async function createOperator(ctx: Ctx, input: z.input<typeof CreateOperatorInput>): Promise<PublicOperator> {
  authorize(ctx.actor, 'admin');
  const data = parseInput(CreateOperatorInput, input);
  const passwordHash = await hashPassword(data.password);
  return inTransaction(ctx, async (tx) => {
    // ON CONFLICT rather than a look-up first: two concurrent creations must not end in a raw unique violation.
    const [row] = await tx.db
      .insert(operators)
      .values({ email: data.email, name: data.name, role: data.role, passwordHash, mustChangePassword: data.mustChangePassword, createdAt: tx.now() })
      .onConflictDoNothing({ target: operators.email })
      .returning();
    if (!row) throw new ServiceError('conflict', 'An operator with this e-mail already exists.', { email: 'already used' });
    const op = stripSecret(row);
    await recordAudit(tx, { action: 'operator.create', objectType: 'operator', objectId: op.id, after: op });
    return op;
  });
}

export const DEFAULT_ADMIN_EMAIL = 'admin@vedetta.local';

/**
 * The first administrator of an empty installation: from the given password, or a generated one that the
 * caller prints once (and that the console then makes them replace). Returns null when operators already exist.
 */
export async function ensureFirstAdmin(
  ctx: Ctx,
  opts: { email?: string; password?: string },
): Promise<{ email: string; generatedPassword: string | null } | null> {
  if ((await ctx.db.$count(operators)) > 0) return null;
  const generated = opts.password ? null : randomToken(15);
  // A placeholder that passes the e-mail check ("admin@localhost" does not); set ADMIN_EMAIL to choose it.
  const email = opts.email ?? DEFAULT_ADMIN_EMAIL;
  try {
    await createOperator(ctx, { email, name: 'Administrator', role: 'admin', password: opts.password ?? generated!, mustChangePassword: generated !== null });
  } catch (error) {
    // Another instance booting at the same time created it first.
    if (error instanceof ServiceError && error.code === 'conflict') return null;
    throw error;
  }
  return { email, generatedPassword: generated };
}

export async function setPassword(ctx: Ctx, input: { email: string; password: string }) {
  authorize(ctx.actor, 'admin');
  const data = parseInput(z.object({ email: Email, password: Password }), input);
  const passwordHash = await hashPassword(data.password);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(operators).where(eq(operators.email, data.email)).for('update');
    if (!current) throw notFound('operator', data.email);
    const [row] = await tx.db
      .update(operators)
      // Someone else now knows this password: the operator chooses their own at the next sign-in.
      .set({ passwordHash, failedLogins: 0, lockedUntil: null, mustChangePassword: true })
      .where(eq(operators.id, current.id))
      .returning();
    // A reset signs the operator out everywhere.
    const ended = await tx.db.delete(operatorSessions).where(eq(operatorSessions.operatorId, current.id)).returning({ id: operatorSessions.id });
    await recordAudit(tx, {
      action: 'operator.password_reset',
      objectType: 'operator',
      objectId: current.id,
      before: { failedLogins: current.failedLogins, lockedUntil: current.lockedUntil },
      after: { passwordChanged: true, failedLogins: 0, lockedUntil: null, mustChangePassword: true, sessionsEnded: ended.length },
    });
    return stripSecret(row!);
  });
}

/**
 * Signs in with a generic error for every failure (unknown address, wrong password, locked, disabled), and rate
 * limits per address and per client in the database so the limit holds across instances.
 */
export async function signIn(
  ctx: Ctx,
  input: { email: string; password: string; client: string },
): Promise<{ token: string; operator: PublicOperator; expiresAt: Date }> {
  const email = String(input.email ?? '').trim().toLowerCase();
  const now = ctx.now();
  const since = new Date(now.getTime() - LOGIN_WINDOW_MS);
  const failuresOf = async (subject: string) =>
    (
      await ctx.db
        .select({ n: count() })
        .from(loginAttempts)
        .where(and(eq(loginAttempts.subject, subject), gt(loginAttempts.at, since)))
    )[0]?.n ?? 0;
  const refuse = async () => {
    await ctx.db.insert(loginAttempts).values([
      { subject: `email:${email}`, at: now },
      { subject: `client:${input.client}`, at: now },
    ]);
    return new ServiceError('forbidden', GENERIC_LOGIN_ERROR);
  };

  // No stored password is longer than 200 characters; the cut only bounds the work an oversized input causes.
  const password = String(input.password ?? '').slice(0, 256);
  const [op] = await ctx.db.select().from(operators).where(eq(operators.email, email));
  const passwordOk = op
    ? await argon2Verify(op.passwordHash, password)
    : (await argon2Verify(await (dummyHash ??= hashPassword(randomToken())), password), false);
  const blocked =
    (await failuresOf(`email:${email}`)) >= MAX_FAILURES_PER_ACCOUNT ||
    (await failuresOf(`client:${input.client}`)) >= MAX_FAILURES_PER_CLIENT ||
    (op?.lockedUntil != null && op.lockedUntil > now) ||
    op?.disabledAt != null;
  if (!op || !passwordOk || blocked) {
    if (op && !passwordOk) {
      // Counted on the locked row, so concurrent failures all count; a lock-out that has run out starts a new count
      // (otherwise one mistake after it would lock the account again at once).
      await inTransaction(ctx, async (tx) => {
        const [fresh] = await tx.db.select().from(operators).where(eq(operators.id, op.id)).for('update');
        if (!fresh) return;
        const expired = fresh.lockedUntil != null && fresh.lockedUntil <= now;
        const failed = (expired ? 0 : fresh.failedLogins) + 1;
        await tx.db
          .update(operators)
          .set({
            failedLogins: failed,
            lockedUntil: failed >= MAX_FAILURES_PER_ACCOUNT ? new Date(now.getTime() + LOCKOUT_MS) : expired ? null : fresh.lockedUntil,
          })
          .where(eq(operators.id, op.id));
      });
    }
    throw await refuse();
  }
  const token = randomToken();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  return inTransaction({ ...ctx, actor: operatorActor(op) }, async (tx) => {
    await tx.db.update(operators).set({ failedLogins: 0, lockedUntil: null, lastLoginAt: now }).where(eq(operators.id, op.id));
    // Earlier mistakes on this address stop counting once its owner has signed in.
    await tx.db.delete(loginAttempts).where(eq(loginAttempts.subject, `email:${email}`));
    await tx.db.insert(operatorSessions).values({ operatorId: op.id, tokenHash: sha256(token), createdAt: now, expiresAt, lastSeenAt: now });
    await recordAudit(tx, { action: 'operator.sign_in', objectType: 'operator', objectId: op.id });
    return { token, operator: stripSecret(op), expiresAt };
  });
}

/** The operator behind a session cookie, or null; sliding expiry on use. */
export async function operatorForSession(ctx: Ctx, token: string | undefined): Promise<PublicOperator | null> {
  if (!token) return null;
  const now = ctx.now();
  const [row] = await ctx.db
    .select({ session: operatorSessions, operator: operators })
    .from(operatorSessions)
    .innerJoin(operators, eq(operators.id, operatorSessions.operatorId))
    .where(and(eq(operatorSessions.tokenHash, sha256(token)), gt(operatorSessions.expiresAt, now)));
  if (!row || row.operator.disabledAt) return null;
  if (now.getTime() - row.session.createdAt.getTime() > SESSION_MAX_AGE_MS) {
    await ctx.db.delete(operatorSessions).where(eq(operatorSessions.id, row.session.id));
    return null;
  }
  // Touch at most once a minute: a page view should not be a write.
  if (now.getTime() - row.session.lastSeenAt.getTime() > 60_000) {
    await ctx.db
      .update(operatorSessions)
      .set({ lastSeenAt: now, expiresAt: new Date(now.getTime() + SESSION_TTL_MS) })
      .where(eq(operatorSessions.id, row.session.id));
  }
  return stripSecret(row.operator);
}

export async function signOut(ctx: Ctx, token: string | undefined): Promise<void> {
  if (!token) return;
  await ctx.db.delete(operatorSessions).where(eq(operatorSessions.tokenHash, sha256(token)));
}

/**
 * A CSRF token bound to the session: an HMAC-like digest of the session token, so it needs no storage and
 * cannot be guessed without the cookie.
 */
export function csrfTokenFor(sessionToken: string): string {
  return sha256(`csrf:${sessionToken}`).slice(0, 43);
}

export function checkCsrf(sessionToken: string | undefined, submitted: string | undefined): boolean {
  if (!sessionToken || !submitted) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(submitted);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const TOKEN_PREFIX = 'vdt_';

/** Creates an API token; the secret is returned once and only its hash is kept. */
export async function createApiToken(ctx: Ctx, input: z.input<typeof CreateTokenInput>) {
  authorize(ctx.actor, 'admin');
  const data = parseInput(CreateTokenInput, input);
  if (data.expiresAt && data.expiresAt <= ctx.now()) {
    throw new ServiceError('validation_failed', 'The expiry date is already past.', { expiresAt: 'must be in the future' });
  }
  const secret = `${TOKEN_PREFIX}${randomToken()}`;
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db
      .insert(apiTokens)
      .values({
        name: data.name,
        prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
        tokenHash: sha256(secret),
        scopes: data.scopes,
        createdBy: ctx.actor.kind === 'operator' ? ctx.actor.id : null,
        createdAt: tx.now(),
        expiresAt: data.expiresAt,
      })
      .returning();
    const { tokenHash: _hash, ...token } = row!;
    await recordAudit(tx, { action: 'token.create', objectType: 'api_token', objectId: token.id, after: token });
    return { token, secret };
  });
}

/** Revokes a token at once (it is refused from its next request). Takes the id, or `{ tokenId }`. */
export async function revokeApiToken(ctx: Ctx, input: string | { tokenId: string }): Promise<ApiTokenView> {
  authorize(ctx.actor, 'admin');
  const tokenId = typeof input === 'string' ? input : String(input?.tokenId ?? '');
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(apiTokens).where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt))).for('update');
    if (!current) throw notFound('active API token', tokenId);
    const [row] = await tx.db.update(apiTokens).set({ revokedAt: tx.now() }).where(eq(apiTokens.id, current.id)).returning();
    const before = tokenView(current, tx.now());
    const after = tokenView(row!, tx.now());
    await recordAudit(tx, { action: 'token.revoke', objectType: 'api_token', objectId: current.id, before, after });
    return after;
  });
}

/**
 * The actor behind a bearer token, or null for any unknown, revoked or expired token (no detail given). A token
 * an operator made stops working while that operator is disabled: someone who left keeps no automation behind.
 */
export async function actorForApiToken(ctx: Ctx, secret: string | undefined): Promise<Actor | null> {
  if (!secret || !secret.startsWith(TOKEN_PREFIX)) return null;
  const now = ctx.now();
  const [found] = await ctx.db
    .select({ token: apiTokens, creatorDisabledAt: operators.disabledAt })
    .from(apiTokens)
    .leftJoin(operators, eq(operators.id, apiTokens.createdBy))
    .where(eq(apiTokens.tokenHash, sha256(secret)));
  const row = found?.token;
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now) || found.creatorDisabledAt) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await ctx.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  return { kind: 'token', id: row.id, scopes: row.scopes as TokenScope[] };
}

/** Old failed-attempt rows serve no limit any more. */
export async function pruneLoginAttempts(ctx: Ctx) {
  await ctx.db.delete(loginAttempts).where(lt(loginAttempts.at, new Date(ctx.now().getTime() - LOGIN_WINDOW_MS)));
}

// ---------------------------------------------------------------------------------------------------------
// Administration: operators and tokens.

/** Every operator, active ones first, without password hashes. */
export async function listOperators(ctx: Ctx): Promise<PublicOperator[]> {
  authorize(ctx.actor, 'admin');
  const rows = await ctx.db.select().from(operators).orderBy(sql`${operators.disabledAt} is not null`, asc(operators.email));
  return rows.map(stripSecret);
}

/**
 * Renames, changes the role of, disables (signing out everywhere) or re-enables an operator. The last active
 * admin can be neither demoted nor disabled, so an installation never locks its administrators out.
 */
export async function updateOperator(ctx: Ctx, input: In<typeof UpdateOperatorInput>): Promise<PublicOperator> {
  authorize(ctx.actor, 'admin');
  const data = parseInput(UpdateOperatorInput, input);
  return inTransaction(ctx, async (tx) => {
    // Lock every active admin: two admins demoting each other at the same time must not both succeed.
    const admins = await tx.db
      .select({ id: operators.id })
      .from(operators)
      .where(and(eq(operators.role, 'admin'), isNull(operators.disabledAt)))
      .orderBy(asc(operators.id))
      .for('update');
    const [current] = await tx.db.select().from(operators).where(eq(operators.id, data.operatorId)).for('update');
    if (!current) throw notFound('operator', data.operatorId);
    const now = tx.now();
    const role = data.role ?? current.role;
    const disabledAt = data.disabled === undefined ? current.disabledAt : data.disabled ? (current.disabledAt ?? now) : null;
    const wasActiveAdmin = current.role === 'admin' && current.disabledAt === null;
    const staysActiveAdmin = role === 'admin' && disabledAt === null;
    if (wasActiveAdmin && !staysActiveAdmin && admins.length <= 1) {
      throw new ServiceError('conflict', 'This is the last active administrator: make someone else an administrator first.', {
        [data.role !== undefined && data.role !== 'admin' ? 'role' : 'disabled']: 'last active administrator',
      });
    }
    const [row] = await tx.db
      .update(operators)
      .set({ name: data.name ?? current.name, role, disabledAt })
      .where(eq(operators.id, current.id))
      .returning();
    if (disabledAt && !current.disabledAt) {
      await tx.db.delete(operatorSessions).where(eq(operatorSessions.operatorId, current.id));
    }
    const before = stripSecret(current);
    const after = stripSecret(row!);
    await recordAudit(tx, { action: 'operator.update', objectType: 'operator', objectId: current.id, before, after });
    return after;
  });
}

/**
 * The signed-in operator changes their own password (any role), proving the current one. Their other sessions
 * end; the one in use stays. Clears the request to choose a new password (first run, reset).
 */
export async function changeOwnPassword(
  ctx: Ctx,
  input: { currentPassword: string; newPassword: string; keepSessionToken?: string },
): Promise<PublicOperator> {
  if (ctx.actor.kind !== 'operator') throw new ServiceError('forbidden', 'Only a signed-in operator can change their password.');
  const data = parseInput(z.object({ currentPassword: z.string().max(256), newPassword: Password }), input);
  const [op] = await ctx.db.select().from(operators).where(eq(operators.id, ctx.actor.id));
  if (!op || op.disabledAt) throw new ServiceError('forbidden', 'Only a signed-in operator can change their password.');
  if (!(await argon2Verify(op.passwordHash, data.currentPassword))) {
    throw new ServiceError('validation_failed', 'The current password is not right.', { currentPassword: 'not right' });
  }
  const passwordHash = await hashPassword(data.newPassword);
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db.update(operators).set({ passwordHash, mustChangePassword: false }).where(eq(operators.id, op.id)).returning();
    const keep = input.keepSessionToken ? sha256(input.keepSessionToken) : '';
    const sessions = await tx.db.select().from(operatorSessions).where(eq(operatorSessions.operatorId, op.id));
    for (const s of sessions) if (s.tokenHash !== keep) await tx.db.delete(operatorSessions).where(eq(operatorSessions.id, s.id));
    await recordAudit(tx, { action: 'operator.password_change', objectType: 'operator', objectId: op.id, after: { passwordChanged: true } });
    return stripSecret(row!);
  });
}

export type ApiTokenView = Omit<typeof apiTokens.$inferSelect, 'tokenHash'> & {
  state: 'active' | 'expired' | 'revoked';
};

function tokenView(row: typeof apiTokens.$inferSelect, now: Date): ApiTokenView {
  const { tokenHash: _hash, ...rest } = row;
  const state = row.revokedAt ? 'revoked' : row.expiresAt && row.expiresAt <= now ? 'expired' : 'active';
  return { ...rest, state };
}

/** Every API token, newest first: names, prefixes, scopes, last use; never a secret or its hash. */
export async function listApiTokens(ctx: Ctx): Promise<ApiTokenView[]> {
  authorize(ctx.actor, 'admin');
  const rows = await ctx.db.select().from(apiTokens).orderBy(desc(apiTokens.createdAt), asc(apiTokens.id));
  const now = ctx.now();
  return rows.map((r) => tokenView(r, now));
}

/** Expired sessions serve no one; called by the scheduler. */
export async function pruneSessions(ctx: Ctx): Promise<void> {
  await ctx.db.delete(operatorSessions).where(lt(operatorSessions.expiresAt, ctx.now()));
}
