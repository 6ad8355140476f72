import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { apiTokens, operatorSessions, operators } from '../../../db/schema/index.ts';
import {
  LOCKOUT_MS,
  MAX_FAILURES_PER_ACCOUNT,
  MAX_FAILURES_PER_CLIENT,
  SESSION_MAX_AGE_MS,
  SESSION_TTL_MS,
  actorForApiToken,
  changeOwnPassword,
  checkCsrf,
  createApiToken,
  createOperator,
  csrfTokenFor,
  ensureFirstAdmin,
  listApiTokens,
  operatorActor,
  operatorForSession,
  revokeApiToken,
  setPassword,
  signIn,
  signOut,
  updateOperator,
} from '../../../src/services/auth.ts';
import { dbTest as test } from '../../support/db.ts';
import { type C, HOUR, PASSWORD, SYSTEM_ACTOR, as, ctxFor, email, expectAudit, expectServiceError } from './helpers.ts';

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const T = '2026-03-19T09:00:00Z';

async function operator(sys: C, role: 'admin' | 'editor' | 'viewer' = 'editor') {
  return createOperator(sys, { email: email(), name: 'Maria Rossi', role, password: PASSWORD });
}

describe('sign-in', { timeout: 120_000 }, () => {
  test('succeeds with the right password; the session stores only a hash of its token', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    const result = await signIn(sys, { email: op.email.toUpperCase(), password: PASSWORD, client: '10.0.0.1' });
    expect(result.operator.id).toBe(op.id);
    expect(result.operator).not.toHaveProperty('passwordHash');
    expect(result.expiresAt.getTime()).toBe(new Date(T).getTime() + SESSION_TTL_MS);
    const sessions = await db.select().from(operatorSessions).where(eq(operatorSessions.operatorId, op.id));
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.tokenHash).toBe(sha256(result.token));
    expect(JSON.stringify(sessions)).not.toContain(result.token);
    expect((await operatorForSession(sys, result.token))?.id).toBe(op.id);
    await expectAudit(db, 'operator', op.id, 'operator.sign_in', { actor: `operator:${op.id}` });
  });

  test('fails with one generic message for an unknown address and for a wrong password', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    const unknown = await expectServiceError(signIn(sys, { email: email(), password: PASSWORD, client: 'c1' }), 'forbidden');
    const wrong = await expectServiceError(signIn(sys, { email: op.email, password: 'not the password', client: 'c1' }), 'forbidden');
    expect(unknown.message).toBe(wrong.message);
    expect(wrong.message).not.toMatch(/password is wrong|unknown|no such/i);
  });

  test(`locks the account after ${MAX_FAILURES_PER_ACCOUNT} failures, even for the right password, until the lock-out ends`, async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) {
      await expectServiceError(signIn(sys, { email: op.email, password: `wrong ${i}`, client: `c${i}` }), 'forbidden');
    }
    const [locked] = await db.select().from(operators).where(eq(operators.id, op.id));
    expect(locked!.lockedUntil).not.toBeNull();
    const refused = await expectServiceError(signIn(sys, { email: op.email, password: PASSWORD, client: 'fresh' }), 'forbidden');
    expect(refused.message).toMatch(/temporarily blocked/);

    sys.clock.advance(LOCKOUT_MS + 1000);
    // A lock-out that has run out starts a new count: one more mistake does not lock again at once.
    await expectServiceError(signIn(sys, { email: op.email, password: 'wrong again', client: 'fresh' }), 'forbidden');
    const ok = await signIn(sys, { email: op.email, password: PASSWORD, client: 'fresh' });
    expect(ok.operator.id).toBe(op.id);
    const [after] = await db.select().from(operators).where(eq(operators.id, op.id));
    expect(after!.failedLogins).toBe(0);
    expect(after!.lockedUntil).toBeNull();
  });

  test('a successful sign-in clears the earlier failures of that address', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT - 1; i++) {
      await expectServiceError(signIn(sys, { email: op.email, password: 'typo', client: 'c' }), 'forbidden');
    }
    await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    await expectServiceError(signIn(sys, { email: op.email, password: 'typo', client: 'c' }), 'forbidden');
    await expect(signIn(sys, { email: op.email, password: PASSWORD, client: 'c' })).resolves.toBeDefined();
  });

  test(`rate-limits a client after ${MAX_FAILURES_PER_CLIENT} failures on any addresses; other clients are unaffected`, async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    for (let i = 0; i < MAX_FAILURES_PER_CLIENT; i++) {
      await expectServiceError(signIn(sys, { email: `nobody-${i}@example.test`, password: 'guess', client: '203.0.113.9' }), 'forbidden');
    }
    await expectServiceError(signIn(sys, { email: op.email, password: PASSWORD, client: '203.0.113.9' }), 'forbidden');
    await expect(signIn(sys, { email: op.email, password: PASSWORD, client: '198.51.100.7' })).resolves.toBeDefined();
  }, 60_000);

  test('a disabled operator cannot sign in and loses their sessions', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    const { token } = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    await updateOperator(sys, { operatorId: op.id, disabled: true });
    expect(await operatorForSession(sys, token)).toBeNull();
    await expectServiceError(signIn(sys, { email: op.email, password: PASSWORD, client: 'c' }), 'forbidden');
    await updateOperator(sys, { operatorId: op.id, disabled: false });
    await expect(signIn(sys, { email: op.email, password: PASSWORD, client: 'c' })).resolves.toBeDefined();
  });
});

describe('sessions', { timeout: 120_000 }, () => {
  test(`expire ${SESSION_TTL_MS / HOUR} h after the last use`, async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    const { token } = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    sys.clock.advance(SESSION_TTL_MS - 1000);
    expect(await operatorForSession(sys, token)).not.toBeNull();
    // That use slid the expiry: 12 h from now, not from sign-in.
    sys.clock.advance(SESSION_TTL_MS - 1000);
    expect(await operatorForSession(sys, token)).not.toBeNull();
    sys.clock.advance(SESSION_TTL_MS + 1000);
    expect(await operatorForSession(sys, token)).toBeNull();
  });

  test('end after 7 days however active', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    const { token } = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    let t = 0;
    while (t + 10 * HOUR <= SESSION_MAX_AGE_MS) {
      sys.clock.advance(10 * HOUR);
      t += 10 * HOUR;
      expect(await operatorForSession(sys, token)).not.toBeNull();
    }
    sys.clock.advance(SESSION_MAX_AGE_MS - t + 1000);
    expect(await operatorForSession(sys, token)).toBeNull();
  });

  test('end on sign-out, and on a password reset', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    const a = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    const b = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    await signOut(sys, a.token);
    expect(await operatorForSession(sys, a.token)).toBeNull();
    expect(await operatorForSession(sys, b.token)).not.toBeNull();
    await setPassword(sys, { email: op.email, password: 'a brand new password' });
    expect(await operatorForSession(sys, b.token)).toBeNull();
    await expectAudit(db, 'operator', op.id, 'operator.password_reset');
    await expect(signIn(sys, { email: op.email, password: 'a brand new password', client: 'c' })).resolves.toBeDefined();
  });

  test('a changed own password needs the current one and ends the other sessions', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys, 'viewer');
    const mine = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    const other = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    const self = as(sys, operatorActor(op));
    await expectServiceError(changeOwnPassword(self, { currentPassword: 'nope', newPassword: 'my new long password' }), 'validation_failed');
    await changeOwnPassword(self, { currentPassword: PASSWORD, newPassword: 'my new long password', keepSessionToken: mine.token });
    expect(await operatorForSession(sys, mine.token)).not.toBeNull();
    expect(await operatorForSession(sys, other.token)).toBeNull();
    await expectServiceError(changeOwnPassword(sys, { currentPassword: PASSWORD, newPassword: 'my new long password' }), 'forbidden');
  });

  test('CSRF tokens are bound to the session', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    const a = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    const b = await signIn(sys, { email: op.email, password: PASSWORD, client: 'c' });
    expect(checkCsrf(a.token, csrfTokenFor(a.token))).toBe(true);
    expect(checkCsrf(a.token, csrfTokenFor(b.token))).toBe(false);
    expect(checkCsrf(a.token, undefined)).toBe(false);
    expect(checkCsrf(undefined, csrfTokenFor(a.token))).toBe(false);
    expect(checkCsrf(a.token, csrfTokenFor(a.token).slice(1))).toBe(false);
    expect(csrfTokenFor(a.token)).not.toContain(a.token);
  });
});

describe('the request to choose an own password (must_change_password)', { timeout: 120_000 }, () => {
  const flagOf = async (db: Parameters<typeof ctxFor>[0], id: string) =>
    (await db.select({ flag: operators.mustChangePassword }).from(operators).where(eq(operators.id, id)))[0]?.flag;

  test('is set for a first administrator whose password was generated, and cleared by changing it', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    await db.delete(operators); // an empty installation (rolled back with the test)
    const first = await ensureFirstAdmin(sys, { email: 'first@example.test' });
    expect(first?.generatedPassword).toBeTruthy();
    const [row] = await db.select().from(operators).where(eq(operators.email, 'first@example.test'));
    expect(row!.mustChangePassword).toBe(true);
    const session = await signIn(sys, { email: row!.email, password: first!.generatedPassword!, client: 'c' });
    expect(session.operator.mustChangePassword).toBe(true);
    expect((await operatorForSession(sys, session.token))?.mustChangePassword).toBe(true);

    const self = as(sys, operatorActor(row!));
    await expectServiceError(changeOwnPassword(self, { currentPassword: 'wrong', newPassword: 'my own long password' }), 'validation_failed');
    expect(await flagOf(db, row!.id)).toBe(true);
    const changed = await changeOwnPassword(self, { currentPassword: first!.generatedPassword!, newPassword: 'my own long password', keepSessionToken: session.token });
    expect(changed.mustChangePassword).toBe(false);
    expect(await flagOf(db, row!.id)).toBe(false);
    expect((await operatorForSession(sys, session.token))?.mustChangePassword).toBe(false);
  });

  test('is not set for a first administrator whose password was given (ADMIN_PASSWORD)', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    await db.delete(operators);
    const first = await ensureFirstAdmin(sys, { email: 'given@example.test', password: PASSWORD });
    expect(first?.generatedPassword).toBeNull();
    const [row] = await db.select().from(operators).where(eq(operators.email, 'given@example.test'));
    expect(row!.mustChangePassword).toBe(false);
  });

  test('is not set for operators created by an administrator, is set by a password reset and cleared by an own change', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const op = await operator(sys);
    expect(op.mustChangePassword).toBe(false);
    const reset = await setPassword(sys, { email: op.email, password: 'a reset password by admin' });
    expect(reset.mustChangePassword).toBe(true);
    expect(await flagOf(db, op.id)).toBe(true);
    await changeOwnPassword(as(sys, operatorActor(op)), { currentPassword: 'a reset password by admin', newPassword: 'now my very own one' });
    expect(await flagOf(db, op.id)).toBe(false);
  });
});

describe('API tokens', { timeout: 120_000 }, () => {
  test('keep only a hash: the secret is shown once and never stored or listed', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const { token, secret } = await createApiToken(sys, { name: 'monitoring', scopes: ['write'] });
    expect(secret).toMatch(/^vdt_/);
    expect(token).not.toHaveProperty('tokenHash');
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, token.id));
    expect(row!.tokenHash).toBe(sha256(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(secret.startsWith(row!.prefix)).toBe(true);
    const listed = (await listApiTokens(sys)).find((t) => t.id === token.id)!;
    expect(listed).not.toHaveProperty('tokenHash');
    expect(JSON.stringify(listed)).not.toContain(secret.slice(10));
    expect(listed.state).toBe('active');
    await expectAudit(db, 'api_token', token.id, 'token.create', { after: true });
  });

  test('authenticate with their scopes and record their last use', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const { token, secret } = await createApiToken(sys, { name: 'ci', scopes: ['read', 'write'] });
    expect(await actorForApiToken(sys, secret)).toEqual({ kind: 'token', id: token.id, scopes: ['read', 'write'] });
    expect((await listApiTokens(sys)).find((t) => t.id === token.id)!.lastUsedAt).toEqual(new Date(T));
    expect(await actorForApiToken(sys, `${secret}x`)).toBeNull();
    expect(await actorForApiToken(sys, secret.replace('vdt_', 'xxx_'))).toBeNull();
    expect(await actorForApiToken(sys, undefined)).toBeNull();
  });

  test('are refused once revoked or expired', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const revoked = await createApiToken(sys, { name: 'old', scopes: ['write'] });
    const view = await revokeApiToken(sys, { tokenId: revoked.token.id });
    expect(view.state).toBe('revoked');
    expect(view).not.toHaveProperty('tokenHash');
    expect(await actorForApiToken(sys, revoked.secret)).toBeNull();
    await expectServiceError(revokeApiToken(sys, revoked.token.id), 'not_found');
    await expectAudit(db, 'api_token', revoked.token.id, 'token.revoke');

    const expiring = await createApiToken(sys, { name: 'short', scopes: ['read'], expiresAt: new Date(new Date(T).getTime() + HOUR) });
    expect(await actorForApiToken(sys, expiring.secret)).not.toBeNull();
    sys.clock.advance(HOUR);
    expect(await actorForApiToken(sys, expiring.secret)).toBeNull();
    expect((await listApiTokens(sys)).find((t) => t.id === expiring.token.id)!.state).toBe('expired');
  });

  test("stop working while the operator who made them is disabled, and work again once re-enabled", async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const maker = await operator(sys, 'admin');
    const other = await operator(sys, 'admin');
    const made = await createApiToken(as(sys, { kind: 'operator', id: maker.id, role: 'admin' }), { name: 'deploy', scopes: ['write'] });
    const otherAdmin = as(sys, { kind: 'operator', id: other.id, role: 'admin' });
    expect(await actorForApiToken(sys, made.secret)).not.toBeNull();
    await updateOperator(otherAdmin, { operatorId: maker.id, disabled: true });
    expect(await actorForApiToken(sys, made.secret)).toBeNull();
    await updateOperator(otherAdmin, { operatorId: maker.id, disabled: false });
    expect(await actorForApiToken(sys, made.secret)).toEqual({ kind: 'token', id: made.token.id, scopes: ['write'] });
  });

  test('cannot be created already expired', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
    const error = await expectServiceError(createApiToken(sys, { name: 'x', scopes: ['read'], expiresAt: '2020-01-01' }), 'validation_failed');
    expect(error.fields).toHaveProperty('expiresAt');
  });
});
