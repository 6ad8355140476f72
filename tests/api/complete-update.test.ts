/**
 * The script an on-call engineer (or the sending pipeline) runs during an incident, end to end through the API:
 * read the incident, post an update in two languages that moves services and promises the next update, move a
 * milestone (delayed, with a reason) and reorder the plan, then read it all back. The same script with a read
 * token is refused at its first write and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { type ApiTest, V1, expectError, useApi } from './support.ts';

const api = useApi();
const HOUR = 3_600_000;

async function setUp(a: ApiTest) {
  const admin = await a.token('admin');
  const web = await a.service();
  const sending = await a.service();
  const created = await a.post(`${V1}/incidents`, admin, {
    title: { it: 'Interruzione del data centre', en: 'Data centre outage' },
    impact: 'critical',
    body: { it: 'Il portale non è raggiungibile.', en: 'The portal is unreachable.' },
    services: [
      { service: web.key, status: 'major_outage' },
      { service: sending.key, status: 'major_outage' },
    ],
  });
  expect(created.status, created.text).toBe(201);
  const id = created.body.incident.id as string;
  const m1 = await a.post(`${V1}/incidents/${id}/milestones`, admin, {
    title: { it: 'Ripristino dei server', en: 'Servers restored' },
    service: web.key,
    expected_at: new Date(a.ctx.now().getTime() + 6 * HOUR).toISOString(),
  });
  const m2 = await a.post(`${V1}/incidents/${id}/milestones`, admin, {
    title: { it: 'Invio delle fatture', en: 'Invoice sending' },
    service: sending.key,
    expected_at: new Date(a.ctx.now().getTime() + 12 * HOUR).toISOString(),
  });
  expect([m1.status, m2.status], m1.text + m2.text).toEqual([201, 201]);
  return { id, web, sending, milestones: [m1.body.id as string, m2.body.id as string] };
}

/** The operator's script: every step is one request; it stops at the first refusal. */
async function postCompleteUpdate(a: ApiTest, token: string, incidentId: string, keys: { web: string; sending: string }) {
  a.ctx.clock.advance(20 * 60_000); // the update comes a while after the incident opened
  const current = await a.get(`${V1}/incidents/${incidentId}`, token);
  if (current.status !== 200) return { step: 'read', res: current };
  const [first, second] = current.body.milestones as { id: string; state: string }[];
  const nextUpdateBy = new Date(a.ctx.now().getTime() + 2 * HOUR).toISOString();

  const update = await a.post(
    `${V1}/incidents/${incidentId}/updates`,
    token,
    {
      status: 'identified',
      body: {
        it: 'Abbiamo individuato il guasto. Il portale è di nuovo raggiungibile; l’invio resta rallentato.',
        en: 'We found the fault. The portal is reachable again; sending is still slow.',
      },
      services: [
        { service: keys.web, status: 'operational' },
        { service: keys.sending, status: 'degraded_performance' },
      ],
      next_update_by: nextUpdateBy,
      expected_version: current.body.version,
    },
    { 'Idempotency-Key': `update-${incidentId}-1` },
  );
  if (update.status !== 201) return { step: 'update', res: update };

  const moved = await a.post(`${V1}/milestones/${second!.id}/state`, token, {
    state: 'delayed',
    expected_at: new Date(a.ctx.now().getTime() + 30 * HOUR).toISOString(),
    delay_reason: { it: 'Attendiamo i dischi sostitutivi.', en: 'Waiting for replacement disks.' },
  });
  if (moved.status !== 200) return { step: 'milestone', res: moved };

  const done = await a.post(`${V1}/milestones/${first!.id}/state`, token, { state: 'done' });
  if (done.status !== 200) return { step: 'milestone', res: done };

  const order = await a.put(`${V1}/incidents/${incidentId}/milestones/order`, token, { ordered_ids: [second!.id, first!.id] });
  if (order.status !== 200) return { step: 'order', res: order };
  return { step: 'done', res: order, nextUpdateBy };
}

describe('posting a complete update from a script', () => {
  it('with a write token: texts in two languages, statuses, milestones and the next update time all land', () =>
    api.run(async (a) => {
      const { id, web, sending, milestones } = await setUp(a);
      const write = await a.token('write');
      const result = await postCompleteUpdate(a, write, id, { web: web.key, sending: sending.key });
      expect(result.step, result.res.text).toBe('done');

      const after = await a.get(`${V1}/incidents/${id}`, await a.token('read'));
      expect(after.status).toBe(200);
      const incident = after.body;
      expect(incident.status).toBe('identified');
      expect(incident.version).toBe(2);
      expect(incident.next_update_by).toBe(result.nextUpdateBy);
      expect(incident.updates).toHaveLength(2);
      expect(incident.updates[0].body).toEqual({
        it: 'Abbiamo individuato il guasto. Il portale è di nuovo raggiungibile; l’invio resta rallentato.',
        en: 'We found the fault. The portal is reachable again; sending is still slow.',
      });
      expect(incident.updates[0].changes).toEqual(
        expect.arrayContaining([
          { service: web.key, old_status: 'major_outage', new_status: 'operational' },
          { service: sending.key, old_status: 'major_outage', new_status: 'degraded_performance' },
        ]),
      );
      const statuses = Object.fromEntries((incident.services as { key: string; status: string }[]).map((s) => [s.key, s.status]));
      expect(statuses).toEqual({ [web.key]: 'operational', [sending.key]: 'degraded_performance' });

      // The plan: the delayed step first (reordered), with its reason; the first one done.
      expect(incident.milestones.map((m: { id: string }) => m.id)).toEqual([milestones[1], milestones[0]]);
      expect(incident.milestones[0]).toMatchObject({
        state: 'delayed',
        service: sending.key,
        delay_reason: { it: 'Attendiamo i dischi sostitutivi.', en: 'Waiting for replacement disks.' },
      });
      expect(incident.milestones[1]).toMatchObject({ state: 'done', service: web.key });
      expect(incident.milestones[1].actual_at).toBe(a.ctx.now().toISOString());

      // The audit log names the token as the author of the update.
      const log = await a.get(`${V1}/audit?object_type=incident&object_id=${id}`, write);
      expect(log.status, log.text).toBe(200);
      expect(log.body.items.some((e: { action: string; actor: string }) => e.action === 'incident.update' && e.actor.startsWith('token:'))).toBe(
        true,
      );

      // Running the script again after a timeout: the update is replayed, not posted twice.
      const retry = await a.post(
        `${V1}/incidents/${id}/updates`,
        write,
        {
          status: 'identified',
          body: {
            it: 'Abbiamo individuato il guasto. Il portale è di nuovo raggiungibile; l’invio resta rallentato.',
            en: 'We found the fault. The portal is reachable again; sending is still slow.',
          },
          services: [
            { service: web.key, status: 'operational' },
            { service: sending.key, status: 'degraded_performance' },
          ],
          next_update_by: result.nextUpdateBy,
          expected_version: 1,
        },
        { 'Idempotency-Key': `update-${id}-1` },
      );
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect((await a.get(`${V1}/incidents/${id}`, write)).body.updates).toHaveLength(2);
    }));

  it('with a read token: refused at the first write, and nothing changes', () =>
    api.run(async (a) => {
      const { id, web, sending } = await setUp(a);
      const read = await a.token('read');
      const before = await a.get(`${V1}/incidents/${id}`, read);
      const result = await postCompleteUpdate(a, read, id, { web: web.key, sending: sending.key });
      expect(result.step).toBe('update');
      const error = expectError(result.res, 403, 'forbidden');
      expect(error.message).toBe('This endpoint needs a token with the "write" scope.');

      // The other writes of the script are refused the same way.
      const [m] = before.body.milestones as { id: string }[];
      expectError(await a.post(`${V1}/milestones/${m!.id}/state`, read, { state: 'done' }), 403, 'forbidden');
      expectError(await a.put(`${V1}/incidents/${id}/milestones/order`, read, { ordered_ids: [m!.id] }), 403, 'forbidden');

      const after = await a.get(`${V1}/incidents/${id}`, read);
      expect(after.body).toEqual(before.body);
    }));
});
