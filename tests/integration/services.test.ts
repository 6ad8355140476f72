import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { backlogSamples, events, outbox, services, statusIntervals } from '../../db/schema/index.ts';
import { createService, recordBacklogSample, setServiceStatus } from '../../src/services/catalog.ts';
import { getServicePage } from '../../src/services/read.ts';
import {
  HOUR,
  auditFor,
  clock,
  expectServiceError,
  intervalsOf,
  makeCtx,
  makeService,
  uniqueKey,
} from './factories.ts';
import { dbTest as test } from '../support/db.ts';

// Opens the file's database under the hook timeout rather than the first test's (slow on a busy machine).
test.beforeAll(async ({ database }) => void database);

const T0 = new Date('2026-03-10T08:00:00Z');

describe('createService', () => {
  test('creates the service with an open operational interval from now, and an audit row', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const key = uniqueKey('web');
    const row = await createService(ctx, { key, name: { it: 'Portale web', en: 'Web portal' } });

    expect(row.key).toBe(key);
    expect(row.name).toEqual({ it: 'Portale web', en: 'Web portal' });
    const intervals = await intervalsOf(db, row.id);
    expect(intervals).toHaveLength(1);
    expect(intervals[0]).toMatchObject({ status: 'operational', source: 'manual', startedAt: T0, endedAt: null });

    const audit = await auditFor(db, 'service', row.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'service.create', actor: 'operator:test-operator', before: null, at: T0 });
    expect((audit[0]!.after as { key: string }).key).toBe(key);
  });

  test('starts the history at `since`, else at availableFrom, with the given status', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const since = new Date('2026-01-01T00:00:00Z');
    const a = await makeService(ctx, { since, status: 'degraded_performance' });
    expect(await intervalsOf(db, a.id)).toMatchObject([{ status: 'degraded_performance', startedAt: since }]);

    const from = new Date('2026-03-11T00:00:00Z');
    const b = await makeService(ctx, { availableFrom: from, availableUntil: new Date('2026-03-19T18:00:00Z') });
    expect(await intervalsOf(db, b.id)).toMatchObject([{ status: 'operational', startedAt: from }]);
  });

  test('names each wrong field and writes nothing', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const key = uniqueKey();
    const error = await expectServiceError(
      createService(ctx, { key: 'Not A Key!', name: { it: '   ' } }),
      'validation_failed',
    );
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(['key', 'name.it']);
    expect(error.message).toContain('key');

    const window = await expectServiceError(
      createService(ctx, {
        key,
        name: { it: 'Canale di emergenza' },
        availableFrom: new Date('2026-03-12T00:00:00Z'),
        availableUntil: new Date('2026-03-11T00:00:00Z'),
      }),
      'validation_failed',
    );
    expect(window.fields).toHaveProperty('availableUntil');
    expect(await db.select().from(services).where(eq(services.key, key))).toHaveLength(0);
  });

  test('a duplicate key is a conflict naming the key, and the first service is untouched', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const first = await makeService(ctx);
    const error = await expectServiceError(
      createService(ctx, { key: first.key, name: { it: 'Doppione' } }),
      'conflict',
    );
    expect(error.fields).toHaveProperty('key');
    expect(error.message).toContain(first.key);
    const rows = await db.select().from(services).where(eq(services.key, first.key));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.name).toEqual(first.name);
    expect(await intervalsOf(db, first.id)).toHaveLength(1);
  });
});

describe('setServiceStatus', () => {
  test('closes the open interval at the change time and opens a new one', async ({ db }) => {
    const c = clock(T0);
    const ctx = makeCtx(db, { now: c });
    const svc = await makeService(ctx);
    c.advance(2 * HOUR);
    const result = await setServiceStatus(ctx, { service: svc.key, status: 'major_outage' });
    expect(result).toEqual({ serviceId: svc.id, oldStatus: 'operational', newStatus: 'major_outage' });

    const changeAt = new Date(T0.getTime() + 2 * HOUR);
    const intervals = await intervalsOf(db, svc.id);
    expect(intervals).toMatchObject([
      { status: 'operational', startedAt: T0, endedAt: changeAt },
      { status: 'major_outage', source: 'manual', startedAt: changeAt, endedAt: null },
    ]);
    expect(intervals.filter((i) => i.endedAt === null)).toHaveLength(1);

    const audit = (await auditFor(db, 'service', svc.id)).filter((a) => a.action === 'service.status');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.before).toEqual({ status: 'operational' });
    expect(audit[0]!.after).toMatchObject({ status: 'major_outage', source: 'manual' });
  });

  test('a change by hand is announced on feeds and to webhooks (not e-mailed); an unchanged status or a maintenance step is not', async ({ db }) => {
    const c = clock(T0);
    const ctx = makeCtx(db, { now: c });
    const svc = await makeService(ctx);
    const announced = () => db.select().from(events).where(eq(events.subjectId, svc.id));
    c.advance(HOUR);
    await setServiceStatus(ctx, { service: svc.key, status: 'partial_outage' });
    const [event] = await announced();
    expect(event).toMatchObject({
      type: 'service.status_changed',
      notify: false,
      occurredAt: new Date(T0.getTime() + HOUR),
      data: { service: svc.key, from: 'operational', to: 'partial_outage', source: 'manual' },
    });
    // Webhooks get it through the outbox, as every public event.
    expect(await db.select().from(outbox).where(eq(outbox.subjectId, event!.id))).toHaveLength(1);
    c.advance(HOUR);
    await setServiceStatus(ctx, { service: svc.key, status: 'partial_outage' });
    await setServiceStatus(ctx, { service: svc.key, status: 'under_maintenance', source: 'maintenance' });
    expect(await announced()).toHaveLength(1);
  });

  test('keeps exactly one open interval through many changes, each dated as given', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const svc = await makeService(ctx);
    const at = (h: number) => new Date(T0.getTime() + h * HOUR);
    await setServiceStatus(ctx, { service: svc.key, status: 'partial_outage', at: at(1) });
    await setServiceStatus(ctx, { service: svc.key, status: 'major_outage', at: at(3), source: 'heartbeat' });
    await setServiceStatus(ctx, { service: svc.key, status: 'operational', at: at(7) });

    const intervals = await intervalsOf(db, svc.id);
    expect(intervals.map((i) => [i.status, i.startedAt, i.endedAt])).toEqual([
      ['operational', T0, at(1)],
      ['partial_outage', at(1), at(3)],
      ['major_outage', at(3), at(7)],
      ['operational', at(7), null],
    ]);
    expect(intervals[2]!.source).toBe('heartbeat');
  });

  test('the database refuses a second open interval for one service', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const svc = await makeService(ctx);
    // A savepoint, so the failed insert does not abort the test's transaction.
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(statusIntervals).values({ serviceId: svc.id, status: 'major_outage', source: 'manual', startedAt: T0 });
      }),
    ).rejects.toThrow();
    expect(await intervalsOf(db, svc.id)).toHaveLength(1);
  });

  test('a change dated before the current status began is refused and changes nothing', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const svc = await makeService(ctx);
    await setServiceStatus(ctx, { service: svc.key, status: 'partial_outage', at: new Date(T0.getTime() + HOUR) });
    const before = await intervalsOf(db, svc.id);

    const error = await expectServiceError(
      setServiceStatus(ctx, { service: svc.key, status: 'major_outage', at: new Date(T0.getTime() + 30 * 60_000) }),
      'validation_failed',
    );
    expect(error.fields).toHaveProperty('at');
    expect(await intervalsOf(db, svc.id)).toEqual(before);
  });

  test('setting the status it already has is a no-op: no interval, no audit row', async ({ db }) => {
    const c = clock(T0);
    const ctx = makeCtx(db, { now: c });
    const svc = await makeService(ctx, { status: 'degraded_performance' });
    c.advance(HOUR);
    const result = await setServiceStatus(ctx, { service: svc.key, status: 'degraded_performance' });
    expect(result.newStatus).toBe('degraded_performance');
    expect(await intervalsOf(db, svc.id)).toMatchObject([{ status: 'degraded_performance', startedAt: T0, endedAt: null }]);
    expect((await auditFor(db, 'service', svc.id)).map((a) => a.action)).toEqual(['service.create']);
  });

  test('an unknown service is not found, naming it (as for its heartbeat or its settings)', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const key = uniqueKey('missing');
    const error = await expectServiceError(setServiceStatus(ctx, { service: key, status: 'major_outage' }), 'not_found');
    expect(error.message).toContain(key);
  });

  test('an invalid status names the field', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const svc = await makeService(ctx);
    const error = await expectServiceError(
      // @ts-expect-error: a status outside the vocabulary, as a request could send
      setServiceStatus(ctx, { service: svc.key, status: 'down' }),
      'validation_failed',
    );
    expect(Object.keys(error.fields ?? {})).toEqual(['status']);
  });
});

describe('recordBacklogSample', () => {
  test('stores samples; the service view shows the latest per metric and the history in order', async ({ db }) => {
    const now = new Date('2026-03-19T10:00:00Z');
    const ctx = makeCtx(db, { now });
    const svc = await makeService(ctx, { since: new Date('2026-03-01T00:00:00Z') });
    const at = (h: number) => new Date(now.getTime() - h * HOUR);
    const label = { it: 'Fatture passive da importare', en: 'Passive invoices to import' };
    await recordBacklogSample(ctx, { service: svc.key, metric: 'passive', label, count: 12_000, oldestAgeSeconds: 86_400, measuredAt: at(48) });
    await recordBacklogSample(ctx, { service: svc.key, metric: 'passive', label, count: 300, measuredAt: at(2) });
    await recordBacklogSample(ctx, { service: svc.key, metric: 'passive', label, count: 4_000, measuredAt: at(24) });
    const nso = await recordBacklogSample(ctx, {
      service: svc.key,
      metric: 'nso',
      label: { it: 'Ordini NSO da importare' },
    count: 0,
    });
    expect(nso.measuredAt).toEqual(now);

    const rows = await db.select().from(backlogSamples).where(eq(backlogSamples.serviceId, svc.id));
    expect(rows).toHaveLength(4);

    const page = await getServicePage(ctx, { key: svc.key, locale: 'en' });
    const latest = Object.fromEntries(page!.service.backlog.map((b) => [b.metric, b]));
    expect(latest.passive).toMatchObject({ count: 300, label: 'Passive invoices to import', measuredAt: at(2) });
    // No English label: Italian is shown.
    expect(latest.nso).toMatchObject({ count: 0, label: 'Ordini NSO da importare' });
    const passive = page!.backlogHistory.find((m) => m.metric === 'passive');
    expect(passive!.samples.map((s) => s.count)).toEqual([12_000, 4_000, 300]);
  });

  test('refuses negative counts and bad metric names, naming the fields', async ({ db }) => {
    const ctx = makeCtx(db, { now: T0 });
    const svc = await makeService(ctx);
    const error = await expectServiceError(
      recordBacklogSample(ctx, { service: svc.key, metric: 'Has Spaces', label: { it: 'x' }, count: -1 }),
      'validation_failed',
    );
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(['count', 'metric']);
    expect(await db.select().from(backlogSamples).where(eq(backlogSamples.serviceId, svc.id))).toHaveLength(0);
  });
});
