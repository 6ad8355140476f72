/** Automation inputs: heartbeats and backlog figures. */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { backlogSamples } from '../../db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/services/context.ts';
import { expireHeartbeats } from '../../src/services/heartbeats.ts';
import { V1, expectError, useApi } from './support.ts';

const api = useApi();

describe('POST /services/{key}/heartbeat', () => {
  it('records the heartbeat; after a silence the service is down on its own, and the next heartbeat restores it', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const configured = await a.patch(`${V1}/services/${svc.key}`, write, { heartbeat_timeout_seconds: 60 });
      expect(configured.status, configured.text).toBe(200);
      expect(configured.body.heartbeat_timeout_seconds).toBe(60);

      // No body needed.
      const first = await a.call('POST', `${V1}/services/${svc.key}/heartbeat`, { token: write });
      expect(first.status, first.text).toBe(200);
      expect(first.body).toEqual({
        service: svc.key,
        last_heartbeat_at: a.ctx.now().toISOString(),
        heartbeat_timeout_seconds: 60,
        restored: null,
      });

      a.ctx.clock.advance(5 * 60_000);
      const expired = await expireHeartbeats({ ...a.ctx, actor: SYSTEM_ACTOR });
      expect(expired.expired).toEqual([svc.key]);
      const down = await a.get(`${V1}/services/${svc.key}`, write);
      expect(down.body).toMatchObject({ status: 'major_outage', status_source: 'heartbeat', heartbeat_overdue: true });

      a.ctx.clock.advance(1_000);
      const back = await a.post(`${V1}/services/${svc.key}/heartbeat`, write, {});
      expect(back.status, back.text).toBe(200);
      expect(back.body.restored).toEqual({ from: 'major_outage', to: 'operational' });
      const up = await a.get(`${V1}/services/${svc.key}`, write);
      expect(up.body).toMatchObject({ status: 'operational', heartbeat_overdue: false, last_heartbeat_at: a.ctx.now().toISOString() });
    }));

  it('unknown service 404, read token 403', () =>
    api.run(async (a) => {
      expectError(await a.post(`${V1}/services/no-such-service/heartbeat`, await a.token('write')), 404, 'not_found');
      const svc = await a.service();
      expectError(await a.post(`${V1}/services/${svc.key}/heartbeat`, await a.token('read')), 403, 'forbidden');
      expectError(await a.post(`${V1}/services/Not_A_Key/heartbeat`, await a.token('write')), 422, 'validation_failed');
    }));
});

describe('POST /services/{key}/backlog', () => {
  it('records a sample with metric, label, count, oldest_age_s and measured_at', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const measuredAt = new Date(a.ctx.now().getTime() - 60_000).toISOString();
      const res = await a.post(`${V1}/services/${svc.key}/backlog`, write, {
        metric: 'invoices_to_import',
        label: { it: 'Fatture da importare', en: 'Invoices to import' },
        count: 1840,
        oldest_age_s: 5400,
        measured_at: measuredAt,
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        service: svc.key,
        metric: 'invoices_to_import',
        label: { it: 'Fatture da importare', en: 'Invoices to import' },
        count: 1840,
        oldest_age_s: 5400,
        measured_at: measuredAt,
      });

      // Optional fields: no age, measured now; an offset in the time is accepted and answered in UTC.
      const second = await a.post(`${V1}/services/${svc.key}/backlog`, write, {
        metric: 'invoices_to_import',
        label: { it: 'Fatture da importare' },
        count: 1200,
        measured_at: '2026-03-10T09:30:00+01:00',
      });
      expect(second.status, second.text).toBe(201);
      expect(second.body).toMatchObject({ oldest_age_s: null, measured_at: '2026-03-10T08:30:00.000Z' });

      const rows = await a.ctx.db.select().from(backlogSamples).where(eq(backlogSamples.serviceId, svc.id));
      expect(rows.map((r) => r.count).sort()).toEqual([1200, 1840]);
    }));

  it('refuses wrong figures naming the fields, an unknown service, and a read token', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const bad = await a.post(`${V1}/services/${svc.key}/backlog`, write, {
        metric: 'Invoices To Import',
        label: 'invoices',
        count: 1.5,
        oldest_age_s: 'an hour',
        measured_at: 'yesterday',
      });
      const error = expectError(bad, 422, 'validation_failed');
      expect(Object.keys(error.fields!).sort()).toEqual(['count', 'label', 'measured_at', 'metric', 'oldest_age_s']);

      const body = { metric: 'queue', label: { it: 'Coda' }, count: 1 };
      // The service is the address, not a body field: an unknown one is not found (as for heartbeats).
      expectError(await a.post(`${V1}/services/no-such-service/backlog`, write, body), 404, 'not_found');
      expectError(await a.post(`${V1}/services/${svc.key}/backlog`, await a.token('read'), body), 403, 'forbidden');
    }));
});

describe('POST /services/{key}/status', () => {
  it('sets a manual status and says whether anything changed', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const changed = await a.post(`${V1}/services/${svc.key}/status`, write, { status: 'partial_outage' });
      expect(changed.body).toEqual({ service: svc.key, old_status: 'operational', new_status: 'partial_outage', changed: true });
      const same = await a.post(`${V1}/services/${svc.key}/status`, write, { status: 'partial_outage' });
      expect(same.body.changed).toBe(false);
    }));
});
