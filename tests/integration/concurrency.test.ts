/**
 * Writes racing each other, as two operators (or an operator and a heartbeat) do during an outage.
 *
 * These tests COMMIT to the file's own database (`database.db`, outside any test transaction), because a race
 * needs two transactions. They live in a file of their own so the rows they leave (dropped with the file's
 * database) cannot disturb tests that read the whole page. On PostgreSQL the calls really run side by side on
 * two connections; PGlite runs one transaction at a time, so there the same calls simply serialise.
 */
import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { services } from '../../db/schema/index.ts';
import { ServiceError } from '../../src/services/errors.ts';
import { createService, setServiceStatus } from '../../src/services/catalog.ts';
import { postIncidentUpdate } from '../../src/services/incidents.ts';
import { addFaqEntry } from '../../src/services/recovery.ts';
import { HOUR, intervalsOf, makeCtx, makeIncident, makeService, uniqueKey } from './factories.ts';
import { dbTest as test } from '../support/db.ts';

test.beforeAll(async ({ database }) => void database);

const T0 = new Date('2026-03-10T00:00:00Z');
const ROUNDS = 5;

function describeFailure(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'ok';
  const e = result.reason as Error & { code?: string };
  return e instanceof ServiceError ? `ServiceError(${e.code})` : `${e.name}: ${e.message.slice(0, 120)}`;
}

describe('concurrent writes', () => {
  test('two creations of the same key: one service, the other is told conflict', async ({ database }) => {
    const ctx = makeCtx(database.db, { now: T0 });
    for (let round = 0; round < ROUNDS; round++) {
      const key = uniqueKey('race');
      const results = await Promise.allSettled([
        createService(ctx, { key, name: { it: 'A' } }),
        createService(ctx, { key, name: { it: 'B' } }),
      ]);
      expect(results.map(describeFailure).sort()).toEqual(['ServiceError(conflict)', 'ok']);
      expect(await database.db.$count(services, eq(services.key, key))).toBe(1);
    }
  });

  test('two status changes on one service: both apply in turn, one open interval, no gap', async ({ database }) => {
    const ctx = makeCtx(database.db, { now: T0 });
    for (let round = 0; round < ROUNDS; round++) {
      const svc = await makeService(ctx, { since: T0 });
      const results = await Promise.allSettled([
        setServiceStatus(ctx, { service: svc.key, status: 'major_outage', at: new Date(T0.getTime() + HOUR), source: 'heartbeat' }),
        setServiceStatus(ctx, { service: svc.key, status: 'partial_outage', at: new Date(T0.getTime() + HOUR) }),
      ]);
      expect(results.map(describeFailure)).toEqual(['ok', 'ok']);
      const intervals = await intervalsOf(database.db, svc.id);
      expect(intervals.filter((i) => i.endedAt === null)).toHaveLength(1);
      expect(intervals).toHaveLength(3);
      for (let i = 1; i < intervals.length; i++) expect(intervals[i]!.startedAt).toEqual(intervals[i - 1]!.endedAt);
    }
  });

  test('two updates from the same version: one is posted, the other gets the version conflict', async ({ database }) => {
    const ctx = makeCtx(database.db, { now: T0 });
    for (let round = 0; round < ROUNDS; round++) {
      const { incident } = await makeIncident(ctx, { impact: 'none' });
      const results = await Promise.allSettled([
        postIncidentUpdate(ctx, { incidentId: incident.id, status: 'identified', body: { it: 'A' }, expectedVersion: 1 }),
        postIncidentUpdate(ctx, { incidentId: incident.id, status: 'monitoring', body: { it: 'B' }, expectedVersion: 1 }),
      ]);
      expect(results.map(describeFailure).sort()).toEqual(['ServiceError(conflict)', 'ok']);
      // Leave nothing open behind for other readers of this database.
      await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: { it: 'Fine' } });
    }
  });

  test('two FAQ entries with the same question at once get different anchors', async ({ database }) => {
    const ctx = makeCtx(database.db, { now: T0 });
    for (let round = 0; round < ROUNDS; round++) {
      const { incident } = await makeIncident(ctx, { impact: 'none', status: 'resolved' });
      const question = { it: 'La mia area è vuota?' };
      const results = await Promise.all([
        addFaqEntry(ctx, { incidentId: incident.id, question, answer: { it: 'A' } }),
        addFaqEntry(ctx, { incidentId: incident.id, question, answer: { it: 'B' } }),
      ]);
      expect(new Set(results.map((r) => r.slug)).size).toBe(2);
    }
  });
});
