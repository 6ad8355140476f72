import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { events } from '../../../db/schema/index.ts';
import { getServiceForEdit, listServices, setServiceStatus, updateService } from '../../../src/services/catalog.ts';
import { expireHeartbeats, recordHeartbeat } from '../../../src/services/heartbeats.ts';
import { createIncident, resolveIncident } from '../../../src/services/incidents.ts';
import { scheduleMaintenance, startMaintenance } from '../../../src/services/maintenance.ts';
import { dbTest as test } from '../../support/db.ts';
import { type C, HOUR, WRITE_TOKEN, as, ctxFor, expectAudit, expectServiceError, intervalsOf, makeService } from './helpers.ts';

const T = new Date('2026-03-19T08:00:00Z');
const txt = (it: string) => ({ it });
const current = async (ctx: C, serviceId: string) => (await intervalsOf(ctx.db, serviceId)).at(-1)!;

async function watched(db: Parameters<typeof ctxFor>[0], timeout = 60) {
  const ctx = ctxFor(db, { now: T, actor: WRITE_TOKEN });
  const service = await makeService(as(ctx, { kind: 'system', id: 'setup' }), { since: new Date(T.getTime() - HOUR) });
  await updateService(ctx, { service: service.key, heartbeatTimeoutSeconds: timeout });
  return { ctx, service };
}

describe('heartbeats', { timeout: 120_000 }, () => {
  test('a service that never reported, or has no timeout, is not declared down', async ({ db }) => {
    const { ctx, service } = await watched(db);
    const plain = await makeService(ctx, {});
    await recordHeartbeat(ctx, { service: plain.key });
    ctx.clock.advance(10 * HOUR);
    const { expired } = await expireHeartbeats(ctx);
    expect(expired).not.toContain(service.key);
    expect(expired).not.toContain(plain.key);
  });

  test('silence past the timeout turns the service major_outage once; the next heartbeat restores it', async ({ db }) => {
    const { ctx, service } = await watched(db, 60);
    const beat = await recordHeartbeat(ctx, { service: service.key });
    expect(beat.service.lastHeartbeatAt).toEqual(T);
    expect(beat.restored).toBeNull();

    ctx.clock.advance(60_000);
    expect((await expireHeartbeats(ctx)).expired).toEqual([]);
    expect((await getServiceForEdit(ctx, { service: service.key })).heartbeatOverdue).toBe(false);
    ctx.clock.advance(1000);
    expect((await getServiceForEdit(ctx, { service: service.key })).heartbeatOverdue).toBe(true);
    expect((await expireHeartbeats(ctx)).expired).toEqual([service.key]);
    expect(await current(ctx, service.id)).toMatchObject({ status: 'major_outage', source: 'heartbeat', endedAt: null });
    ctx.clock.advance(60_000);
    expect((await expireHeartbeats(ctx)).expired).toEqual([]);

    ctx.clock.advance(1000);
    const back = await recordHeartbeat(ctx, { service: service.key });
    expect(back.restored).toEqual({ from: 'major_outage', to: 'operational' });
    expect(await current(ctx, service.id)).toMatchObject({ status: 'operational', source: 'heartbeat', startedAt: ctx.now() });
    const changes = await db.select().from(events).where(eq(events.subjectId, service.id));
    expect(changes.map((e) => [e.type, (e.data as { to: string }).to, e.notify])).toEqual([
      ['service.status_changed', 'major_outage', false],
      ['service.status_changed', 'operational', false],
    ]);
    await expectAudit(db, 'service', service.id, 'service.status');
  });

  test('restores the status from before the outage, with its incident link', async ({ db }) => {
    const { ctx, service } = await watched(db, 60);
    const { incident } = await createIncident(ctx, { title: txt('Lento'), impact: 'minor', body: txt('x'), services: [{ service: service.key, status: 'partial_outage' }] });
    await recordHeartbeat(ctx, { service: service.key });
    ctx.clock.advance(2 * 60_000);
    expect((await expireHeartbeats(ctx)).expired).toEqual([service.key]);
    ctx.clock.advance(60_000);
    await recordHeartbeat(ctx, { service: service.key });
    expect(await current(ctx, service.id)).toMatchObject({ status: 'partial_outage', incidentId: incident.id });
    // ...so resolving the incident still brings the service back.
    await resolveIncident(ctx, { incidentId: incident.id, body: txt('ok') });
    expect(await current(ctx, service.id)).toMatchObject({ status: 'operational' });
  });

  test('an operator overriding a heartbeat outage is not fought until a new silence', async ({ db }) => {
    const { ctx, service } = await watched(db, 60);
    await recordHeartbeat(ctx, { service: service.key });
    ctx.clock.advance(2 * 60_000);
    await expireHeartbeats(ctx);
    await setServiceStatus(ctx, { service: service.key, status: 'degraded_performance' });
    ctx.clock.advance(10 * 60_000);
    expect((await expireHeartbeats(ctx)).expired).toEqual([]);
    // A heartbeat does not undo a status it did not set.
    const beat = await recordHeartbeat(ctx, { service: service.key });
    expect(beat.restored).toBeNull();
    expect(await current(ctx, service.id)).toMatchObject({ status: 'degraded_performance', source: 'manual' });
    ctx.clock.advance(2 * 60_000);
    expect((await expireHeartbeats(ctx)).expired).toEqual([service.key]);
  });

  test('a major outage from an incident, and maintenance, are left alone', async ({ db }) => {
    const { ctx, service } = await watched(db, 60);
    const other = (await watched(db, 60)).service;
    await recordHeartbeat(ctx, { service: service.key });
    await recordHeartbeat(ctx, { service: other.key });
    await createIncident(ctx, { title: txt('Giù'), impact: 'critical', body: txt('x'), services: [{ service: service.key, status: 'major_outage' }] });
    const m = await scheduleMaintenance(ctx, { title: txt('M'), services: [other.key], scheduledStart: T, scheduledEnd: new Date(T.getTime() + HOUR) });
    await startMaintenance(ctx, { maintenanceId: m.id });
    ctx.clock.advance(5 * 60_000);
    expect((await expireHeartbeats(ctx)).expired).toEqual([]);
    expect(await current(ctx, service.id)).toMatchObject({ status: 'major_outage', source: 'incident' });
    const beat = await recordHeartbeat(ctx, { service: service.key });
    expect(beat.restored).toBeNull();
    expect(await current(ctx, service.id)).toMatchObject({ status: 'major_outage', source: 'incident' });
  });

  test('updateService sets and clears the timeout; unknown services are refused', async ({ db }) => {
    const { ctx, service } = await watched(db, 60);
    expect((await listServices(ctx)).find((s) => s.key === service.key)?.heartbeatTimeoutSeconds).toBe(60);
    await expectServiceError(updateService(ctx, { service: service.key, heartbeatTimeoutSeconds: 1 }), 'validation_failed');
    await updateService(ctx, { service: service.key, heartbeatTimeoutSeconds: null });
    await recordHeartbeat(ctx, { service: service.key });
    ctx.clock.advance(10 * HOUR);
    expect((await expireHeartbeats(ctx)).expired).toEqual([]);
    await expectServiceError(recordHeartbeat(ctx, { service: 'no-such-service' }), 'not_found');
  });
});
