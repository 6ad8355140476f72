import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { auditLog } from '../../../db/schema/index.ts';
import { listAudit } from '../../../src/services/audit.ts';
import { createOperator, ensureFirstAdmin, listOperators, operatorActor, signIn, updateOperator } from '../../../src/services/auth.ts';
import { createService, updateService } from '../../../src/services/catalog.ts';
import { dbTest as test } from '../../support/db.ts';
import { ADMIN, EDITOR, PASSWORD, SYSTEM_ACTOR, VIEWER, as, ctxFor, email, expectAudit, expectServiceError, uniqueKey } from './helpers.ts';

describe('operators', { timeout: 120_000 }, () => {
  test('the last active admin can be neither demoted nor disabled', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR });
    // Whatever admins earlier tests left are rolled back: this one is alone... unless the database has others.
    const others = (await listOperators(sys)).filter((o) => o.role === 'admin' && !o.disabledAt);
    for (const o of others) await updateOperator(sys, { operatorId: o.id, role: 'editor' }).catch(() => {});
    const anna = await createOperator(sys, { email: email(), name: 'Anna', role: 'admin', password: PASSWORD });
    const admin = as(sys, operatorActor(anna));
    const demote = await expectServiceError(updateOperator(admin, { operatorId: anna.id, role: 'editor' }), 'conflict');
    expect(demote.message).toMatch(/last active administrator/);
    expect(demote.fields).toHaveProperty('role');
    const disable = await expectServiceError(updateOperator(admin, { operatorId: anna.id, disabled: true }), 'conflict');
    expect(disable.fields).toHaveProperty('disabled');

    const bruno = await createOperator(admin, { email: email(), name: 'Bruno', role: 'editor', password: PASSWORD });
    await updateOperator(admin, { operatorId: bruno.id, role: 'admin' });
    // Two admins now: either may step down, but then the other is the last one.
    const stepped = await updateOperator(admin, { operatorId: anna.id, role: 'viewer', name: 'Anna B.' });
    expect(stepped).toMatchObject({ role: 'viewer', name: 'Anna B.' });
    expect(stepped).not.toHaveProperty('passwordHash');
    await expectServiceError(updateOperator(admin, { operatorId: bruno.id, disabled: true }), 'conflict');
    // A disabled admin does not count as active.
    await updateOperator(sys, { operatorId: anna.id, role: 'admin', disabled: true });
    await expectServiceError(updateOperator(sys, { operatorId: bruno.id, role: 'editor' }), 'conflict');
  });

  test('changes are audited before/after without password hashes', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR });
    const op = await createOperator(sys, { email: email(), name: 'Carla', role: 'viewer', password: PASSWORD });
    await updateOperator(as(sys, ADMIN), { operatorId: op.id, role: 'editor' });
    const row = await expectAudit(db, 'operator', op.id, 'operator.update', { before: true, after: true, actor: 'operator:op-admin' });
    expect(row.before).toMatchObject({ role: 'viewer' });
    expect(row.after).toMatchObject({ role: 'editor' });
    const all = await db.select().from(auditLog).where(eq(auditLog.objectId, op.id));
    expect(JSON.stringify(all)).not.toMatch(/passwordHash|\$argon2/);
    await expectServiceError(updateOperator(sys, { operatorId: 'nobody' }), 'not_found');
    await expectServiceError(createOperator(sys, { email: op.email.toUpperCase(), name: 'Dup', role: 'viewer', password: PASSWORD }), 'conflict');
    await expectServiceError(createOperator(sys, { email: 'not-an-address', name: 'X', role: 'viewer', password: 'short' }), 'validation_failed');
    expect((await listOperators(sys)).every((o) => !('passwordHash' in o))).toBe(true);
  });

  test('ensureFirstAdmin creates one administrator in an empty installation only', async ({ db }) => {
    const sys = ctxFor(db, { actor: SYSTEM_ACTOR });
    const existing = await listOperators(sys);
    if (existing.length > 0) {
      expect(await ensureFirstAdmin(sys, {})).toBeNull();
      return;
    }
    const first = await ensureFirstAdmin(sys, { email: 'boss@example.test' });
    expect(first?.email).toBe('boss@example.test');
    expect(first?.generatedPassword).toMatch(/^[\w-]{20}$/);
    await expect(signIn(sys, { email: 'boss@example.test', password: first!.generatedPassword!, client: 'c' })).resolves.toBeDefined();
    expect(await ensureFirstAdmin(sys, { email: 'other@example.test' })).toBeNull();
    expect((await listOperators(sys)).map((o) => [o.email, o.role])).toEqual([['boss@example.test', 'admin']]);
  });
});

describe('listAudit', { timeout: 120_000 }, () => {
  test('newest first, filtered, paged by cursor; operator history only for admins', async ({ db }) => {
    const ctx = ctxFor(db, { actor: EDITOR, now: '2026-03-19T10:00:00Z' });
    const service = await createService(ctx, { key: uniqueKey(), name: { it: 'S' } });
    for (let i = 1; i <= 5; i++) {
      ctx.clock.advance(1000);
      await updateService(ctx, { service: service.key, sortOrder: i });
    }
    const viewer = as(ctx, VIEWER);
    const first = await listAudit(viewer, { objectType: 'service', objectId: service.id, limit: 4 });
    expect(first.items.map((r) => r.action)).toEqual(['service.update', 'service.update', 'service.update', 'service.update']);
    expect(first.items.map((r) => (r.after as { sortOrder: number }).sortOrder)).toEqual([5, 4, 3, 2]);
    expect(first.nextCursor).not.toBeNull();
    const second = await listAudit(viewer, { objectType: 'service', objectId: service.id, limit: 4, before: first.nextCursor! });
    expect(second.items.map((r) => r.action)).toEqual(['service.update', 'service.create']);
    expect(second.nextCursor).toBeNull();
    expect((await listAudit(viewer, { actor: 'operator:op-editor', objectId: service.id })).items).toHaveLength(6);
    expect((await listAudit(viewer, { actor: 'operator:someone-else', objectId: service.id })).items).toHaveLength(0);
    await expectServiceError(listAudit(viewer, { before: 'garbage' }), 'validation_failed');

    const sys = as(ctx, SYSTEM_ACTOR);
    const op = await createOperator(sys, { email: email(), name: 'Dora', role: 'viewer', password: PASSWORD });
    expect((await listAudit(viewer, { objectType: 'operator', objectId: op.id })).items).toHaveLength(0);
    expect((await listAudit(as(ctx, ADMIN), { objectType: 'operator', objectId: op.id })).items).toHaveLength(1);
  });
});
