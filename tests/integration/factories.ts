/** Context and row factories: every row is unique (random keys), nothing depends on seeded data. */
import { randomBytes } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Db } from '../../db/client.ts';
import { auditLog, serviceDailyUptime, statusIntervals } from '../../db/schema/index.ts';
import { createService } from '../../src/services/catalog.ts';
import type { Actor, Ctx } from '../../src/services/context.ts';
import { type TestClock, type TestCtx, makeCtx as baseCtx, testClock } from '../support/db.ts';
import { ServiceError } from '../../src/services/errors.ts';
import { createIncident } from '../../src/services/incidents.ts';
import type { In, CreateIncidentInput, CreateServiceInput } from '../../src/services/inputs.ts';

export const ROME = 'Europe/Rome';
// Services authorize every write: an operator actor needs a role (editor: every write short of admin).
export const OPERATOR: Actor = { kind: 'operator', id: 'test-operator', role: 'editor' };

/** A clock tests can move (the shared harness's): `ctx.now` reads it. */
export type Clock = TestClock;
export const clock = (start: Date | string): Clock => testClock(start);

/**
 * A service context on the test's transaction (shared harness), acting as an editor by default, in Rome.
 * `now` is a fixed instant or a clock the test moves.
 */
export function makeCtx(
  db: Db,
  opts: { now?: Date | string | Clock; timeZone?: string; actor?: Actor } = {},
): TestCtx {
  const given = opts.now;
  const moving = typeof given === 'object' && given !== null && 'now' in given ? given : undefined;
  const ctx = baseCtx(db, {
    actor: opts.actor ?? OPERATOR,
    timeZone: opts.timeZone ?? ROME,
    siteUrl: 'https://status.example.test',
    now: moving ? undefined : (given as Date | string | undefined),
  });
  return moving ? { ...ctx, now: moving.now, clock: moving } : ctx;
}

export const uid = () => randomBytes(5).toString('hex');
export const uniqueKey = (prefix = 'svc') => `${prefix}-${uid()}`;

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export async function makeService(ctx: Ctx, overrides: Partial<In<typeof CreateServiceInput>> = {}) {
  const key = overrides.key ?? uniqueKey();
  return createService(ctx, { key, name: { it: `Servizio ${key}`, en: `Service ${key}` }, ...overrides });
}

export async function makeIncident(ctx: Ctx, overrides: Partial<In<typeof CreateIncidentInput>> = {}) {
  return createIncident(ctx, {
    title: { it: `Incidente ${uid()}`, en: `Incident ${uid()}` },
    impact: 'major',
    body: { it: 'Stiamo verificando.', en: 'We are investigating.' },
    ...overrides,
  });
}

export async function intervalsOf(db: Db, serviceId: string) {
  const rows = await db.select().from(statusIntervals).where(eq(statusIntervals.serviceId, serviceId));
  return rows.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (a.endedAt === null ? 1 : -1));
}

/** How many closed days of a service's uptime are stored for a page time zone (the read side's own cache). */
export async function storedDays(db: Db, serviceId: string, timeZone = ROME) {
  const [row] = await db
    .select({ n: count() })
    .from(serviceDailyUptime)
    .where(and(eq(serviceDailyUptime.serviceId, serviceId), eq(serviceDailyUptime.timeZone, timeZone)));
  return row!.n;
}

export async function auditFor(db: Db, objectType: string, objectId: string) {
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.objectType, objectType), eq(auditLog.objectId, objectId)));
  return rows.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Awaits a rejection and checks it is a ServiceError with this code; returns it for more checks. */
export async function expectServiceError(
  promise: Promise<unknown>,
  code: ServiceError['code'],
): Promise<ServiceError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a ServiceError "${code}", but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  expect((error as ServiceError).code).toBe(code);
  return error as ServiceError;
}
