import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { and, count, eq, gt, isNull, lt } from 'drizzle-orm';
import { z } from 'zod';
import { apiTokens, loginAttempts, operatorSessions, operators } from '../../db/schema/index.ts';
import { OPERATOR_ROLES, TOKEN_SCOPES, type TokenScope } from '../domain/vocab.ts';
import { recordAudit } from './audit.ts';
import { type Actor, type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { authorize } from './permissions.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
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
});

export const CreateTokenInput = z.object({
  name: z.string().trim().min(1).max(120),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1, 'at least one scope'),
  expiresAt: z.coerce.date().optional(),
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
    const [existing] = await tx.db.select({ id: operators.id }).from(operators).where(eq(operators.email, data.email));
    if (existing) throw new ServiceError('conflict', 'An operator with this e-mail already exists.', { email: 'already used' });
    const [row] = await tx.db
      .insert(operators)
      .values({ email: data.email, name: data.name, role: data.role, passwordHash, createdAt: tx.now() })
      .returning();
    const op = stripSecret(row!);
    await recordAudit(tx, { action: 'operator.create', objectType: 'operator', objectId: op.id, after: op });
    return op;
  });
}

/**
 * The first administrator of an empty installation: from the given password, or a generated one that the
 * caller prints once. Returns null when operators already exist.
 */
export async function ensureFirstAdmin(
  ctx: Ctx,
  opts: { email?: string; password?: string },
): Promise<{ email: string; generatedPassword: string | null } | null> {
  if ((await ctx.db.$count(operators)) > 0) return null;
  const generated = opts.password ? null : randomToken(15);
  const email = opts.email ?? 'admin@localhost';
  await createOperator(ctx, { email, name: 'Administrator', role: 'admin', password: opts.password ?? generated! });
  return { email, generatedPassword: generated };
}

export async function setPassword(ctx: Ctx, input: { email: string; password: string }) {
  authorize(ctx.actor, 'admin');
  const data = parseInput(z.object({ email: Email, password: Password }), input);
  const passwordHash = await hashPassword(data.password);
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db
      .update(operators)
      .set({ passwordHash, failedLogins: 0, lockedUntil: null })
      .where(eq(operators.email, data.email))
      .returning();
    if (!row) throw notFound('operator', data.email);
    // A reset signs the operator out everywhere.
    await tx.db.delete(operatorSessions).where(eq(operatorSessions.operatorId, row.id));
    await recordAudit(tx, { action: 'operator.password_reset', objectType: 'operator', objectId: row.id });
    return stripSecret(row);
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

  const [op] = await ctx.db.select().from(operators).where(eq(operators.email, email));
  const passwordOk = op
    ? await argon2Verify(op.passwordHash, String(input.password ?? ''))
    : (await argon2Verify(await (dummyHash ??= hashPassword(randomToken())), String(input.password ?? '')), false);
  const blocked =
    (await failuresOf(`email:${email}`)) >= MAX_FAILURES_PER_ACCOUNT ||
    (await failuresOf(`client:${input.client}`)) >= MAX_FAILURES_PER_CLIENT ||
    (op?.lockedUntil != null && op.lockedUntil > now) ||
    op?.disabledAt != null;
  if (!op || !passwordOk || blocked) {
    if (op && !passwordOk) {
      const failed = op.failedLogins + 1;
      await ctx.db
        .update(operators)
        .set({
          failedLogins: failed,
          lockedUntil: failed >= MAX_FAILURES_PER_ACCOUNT ? new Date(now.getTime() + LOCKOUT_MS) : op.lockedUntil,
        })
        .where(eq(operators.id, op.id));
    }
    throw await refuse();
  }
  const token = randomToken();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  return inTransaction({ ...ctx, actor: operatorActor(op) }, async (tx) => {
    await tx.db.update(operators).set({ failedLogins: 0, lockedUntil: null, lastLoginAt: now }).where(eq(operators.id, op.id));
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

export async function revokeApiToken(ctx: Ctx, tokenId: string) {
  authorize(ctx.actor, 'admin');
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db
      .update(apiTokens)
      .set({ revokedAt: tx.now() })
      .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
      .returning();
    if (!row) throw notFound('active API token', tokenId);
    await recordAudit(tx, { action: 'token.revoke', objectType: 'api_token', objectId: row.id });
    return row;
  });
}

/** The actor behind a bearer token, or null for any unknown, revoked or expired token (no detail given). */
export async function actorForApiToken(ctx: Ctx, secret: string | undefined): Promise<Actor | null> {
  if (!secret || !secret.startsWith(TOKEN_PREFIX)) return null;
  const now = ctx.now();
  const [row] = await ctx.db.select().from(apiTokens).where(eq(apiTokens.tokenHash, sha256(secret)));
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await ctx.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  return { kind: 'token', id: row.id, scopes: row.scopes as TokenScope[] };
}

/** Old failed-attempt rows serve no limit any more. */
export async function pruneLoginAttempts(ctx: Ctx) {
  await ctx.db.delete(loginAttempts).where(lt(loginAttempts.at, new Date(ctx.now().getTime() - LOGIN_WINDOW_MS)));
}
