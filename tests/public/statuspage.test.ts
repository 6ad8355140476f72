/**
 * The Statuspage-compatible API: each of the eight documents validated against the schema written from
 * Statuspage's documentation, on the demo scenario and on an EMPTY page; cross-origin reads; languages;
 * consistency between documents and with the page's own rules.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { getHomePage } from '../../src/services/read.ts';
import { useTestDatabase } from '../support/db.ts';
import { ENDPOINTS, IncidentsResponse, MaintenancesResponse, SummaryResponse } from './statuspage-schema.ts';
import { CTX, SITE, get, makeStory, publicApp, useDemoDatabase } from './support.ts';
import { PUBLIC_CACHE_CONTROL } from '../../src/http/cache/policy.ts';

type Summary = z.infer<typeof SummaryResponse>;

async function fetchJson(app: ReturnType<typeof publicApp>, path: string) {
  const r = await get(app, path);
  expect(r.status, `${path}: ${r.body.slice(0, 300)}`).toBe(200);
  expect(r.header('content-type')).toBe('application/json; charset=utf-8');
  return { ...r, json: JSON.parse(r.body) as unknown };
}

function validate(path: keyof typeof ENDPOINTS, json: unknown) {
  const result = ENDPOINTS[path].safeParse(json);
  expect(result.success, `${path}: ${result.success ? '' : JSON.stringify(result.error.issues.slice(0, 5), null, 1)}`).toBe(true);
  return result.data!;
}

describe('Statuspage v2 on the demo scenario', () => {
  const t = useDemoDatabase();

  it('every endpoint matches Statuspage’s documented shape, in Italian and in English', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      for (const lang of ['', '?lang=en']) {
        for (const path of Object.keys(ENDPOINTS) as (keyof typeof ENDPOINTS)[]) {
          const { json, header } = await fetchJson(app, `${path}${lang}`);
          validate(path, json);
          expect(header('access-control-allow-origin'), path).toBe('*');
          expect(header('cache-control'), path).toBe(PUBLIC_CACHE_CONTROL);
          expect(header('etag'), path).toMatch(/^"[\w-]+"$/);
        }
      }
    }, CTX));

  it('summary agrees with the page: same indicator, visible services, open incidents, open maintenances', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const summary = validate('/api/v2/summary.json', (await fetchJson(app, '/api/v2/summary.json')).json) as Summary;
      const home = await getHomePage(ctx, { locale: 'it' });
      expect(summary.status).toEqual({ indicator: home.indicator, description: home.indicatorText });
      expect(summary.page).toMatchObject({ name: 'Fattura Esempio', url: SITE, time_zone: 'Europe/Rome' });

      const services = summary.components.filter((c) => !c.group);
      expect(services.map((c) => c.vedetta?.key)).toEqual(home.services.map((s) => s.key));
      expect(services.map((c) => c.status)).toEqual(home.services.map((s) => s.status));
      expect(summary.incidents.map((i) => i.id)).toEqual(home.activeIncidents.map((i) => i.id));
      expect(summary.incidents.length).toBeGreaterThan(0);
      expect(summary.scheduled_maintenances.map((m) => m.id)).toEqual(home.maintenances.map((m) => m.id));

      // Every reference points at something that exists.
      const pageId = summary.page.id;
      const ids = new Set(summary.components.map((c) => c.id));
      for (const c of summary.components) {
        expect(c.page_id).toBe(pageId);
        if (c.group_id) expect(ids.has(c.group_id), `group of ${c.name}`).toBe(true);
        if (c.group) for (const member of c.components ?? []) expect(ids.has(member)).toBe(true);
      }
      for (const incident of summary.incidents) {
        expect(incident.page_id).toBe(pageId);
        expect(incident.shortlink).toBe(`${SITE}/incidents/${incident.id}`);
        const times = incident.incident_updates.map((u) => Date.parse(u.display_at!));
        expect(times, 'updates newest first').toEqual([...times].sort((a, b) => b - a));
        for (const u of incident.incident_updates) {
          expect(u.incident_id).toBe(incident.id);
          expect(u.body, 'plain text, no Markdown markers').not.toMatch(/\*\*/);
        }
        // Vedetta's extras: the recovery plan and the promised next update travel alongside.
        expect(incident.vedetta).toMatchObject({ permalink: `${SITE}/incidents/${incident.id}` });
        expect(incident.vedetta).toHaveProperty('plan.milestones');
        expect(incident.vedetta).toHaveProperty('next_update_by');
      }
      // A group's status is its worst member's.
      const order = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'];
      for (const group of summary.components.filter((c) => c.group)) {
        const members = summary.components.filter((c) => c.group_id === group.id);
        const worst = members.map((m) => m.status).sort((a, b) => order.indexOf(b) - order.indexOf(a))[0];
        expect(group.status).toBe(worst);
      }
      expect(summary.vedetta).toHaveProperty('notices');
    }, CTX));

  it('incidents.json lists resolved incidents too, each update mapped with affected components', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const all = IncidentsResponse.parse((await fetchJson(app, '/api/v2/incidents.json')).json);
      const unresolved = IncidentsResponse.parse((await fetchJson(app, '/api/v2/incidents/unresolved.json')).json);
      expect(all.incidents.some((i) => i.status === 'resolved' || i.status === 'postmortem')).toBe(true);
      expect(unresolved.incidents.every((i) => ['investigating', 'identified', 'monitoring'].includes(i.status))).toBe(true);
      for (const i of unresolved.incidents) expect(all.incidents.map((x) => x.id)).toContain(i.id);
      const resolved = all.incidents.find((i) => i.status === 'resolved' || i.status === 'postmortem')!;
      expect(resolved.resolved_at).not.toBeNull();
      expect(resolved.incident_updates.some((u) => u.status === 'resolved')).toBe(true);
      expect(all.incidents.flatMap((i) => i.incident_updates).some((u) => (u.affected_components ?? []).length > 0)).toBe(true);
    }, CTX));

  it('?lang=en switches texts; an unknown lang falls back to Italian', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const it_ = SummaryResponse.parse((await fetchJson(app, '/api/v2/summary.json')).json);
      const en = SummaryResponse.parse((await fetchJson(app, '/api/v2/summary.json?lang=en')).json);
      const fr = SummaryResponse.parse((await fetchJson(app, '/api/v2/summary.json?lang=fr')).json);
      const web = (s: typeof it_) => s.components.find((c) => c.vedetta?.key === 'web')!.name;
      expect(web(it_)).toBe('Portale web');
      expect(web(en)).toBe('Web portal');
      expect(web(fr)).toBe('Portale web');
      expect(en.incidents[0]!.name).not.toBe(it_.incidents[0]!.name);
      expect(en.page.url).toBe(`${SITE}/en`);
      expect(fr).toEqual(it_);
      const status = (await fetchJson(app, '/api/v2/status.json?lang=en')).json as { status: { description: string } };
      expect(['All Systems Operational', 'Minor Service Outage', 'Partial System Outage', 'Major Service Outage', 'Service Under Maintenance']).toContain(
        status.status.description,
      );
    }, CTX));

  it('is open to cross-origin reads: CORS preflight, GET only, JSON errors with CORS too', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const preflight = await app.request('/api/v2/summary.json', {
        method: 'OPTIONS',
        headers: { Origin: 'https://partner.example', 'Access-Control-Request-Method': 'GET' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,HEAD,OPTIONS');
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

      const post = await app.request('/api/v2/summary.json', { method: 'POST', body: '{}' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
      const missing = await app.request('/api/v2/nope.json', { headers: { Origin: 'https://partner.example' } });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('access-control-allow-origin')).toBe('*');
      expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });

      const head = await app.request('/api/v2/status.json', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    }, CTX));

  it('answers 304 to a matching If-None-Match', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const first = await get(app, '/api/v2/components.json');
      const again = await get(app, '/api/v2/components.json', { 'If-None-Match': first.header('etag')! });
      expect(again.status).toBe(304);
      expect(again.body).toBe('');
    }, CTX));
});

describe('Statuspage v2 on our own story', () => {
  const t = useTestDatabase();

  it('maps a maintenance to scheduled_maintenances with scheduled_for/until, and statuses to the right lists', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      const app = publicApp(ctx);
      const upcoming = MaintenancesResponse.parse((await fetchJson(app, '/api/v2/scheduled-maintenances/upcoming.json?lang=en')).json);
      expect(upcoming.scheduled_maintenances).toHaveLength(1);
      const m = upcoming.scheduled_maintenances[0]!;
      expect(m).toMatchObject({
        id: s.maintenanceId,
        name: 'Archive upgrade',
        status: 'scheduled',
        impact: 'maintenance',
        scheduled_for: '2026-03-21T20:00:00.000Z',
        scheduled_until: '2026-03-21T22:00:00.000Z',
      });
      expect(m.incident_updates[0]).toMatchObject({ status: 'scheduled', incident_id: s.maintenanceId });
      expect(m.components.map((c) => c.name)).toEqual(['Archiving']);
      const active = MaintenancesResponse.parse((await fetchJson(app, '/api/v2/scheduled-maintenances/active.json')).json);
      expect(active.scheduled_maintenances).toHaveLength(0);

      const all = IncidentsResponse.parse((await fetchJson(app, '/api/v2/incidents.json')).json);
      const incident = all.incidents.find((i) => i.id === s.incidentId)!;
      expect(incident).toMatchObject({
        status: 'resolved',
        impact: 'minor',
        started_at: '2026-03-19T09:00:00.000Z',
        resolved_at: '2026-03-19T12:00:00.000Z',
        monitoring_at: null,
      });
      expect(incident.incident_updates.map((u) => u.status)).toEqual(['resolved', 'identified', 'investigating']);
      const resolved = incident.incident_updates[0]!;
      expect(resolved.id).toBe(s.updates.resolved);
      expect(resolved.body).toBe('Il servizio è tornato regolare.');
      expect(resolved.affected_components).toEqual([
        { code: expect.any(String), name: 'Conservazione', old_status: 'degraded_performance', new_status: 'operational' },
      ]);
      expect(incident.incident_updates[1]!.affected_components).toBeNull();
      const unresolved = IncidentsResponse.parse((await fetchJson(app, '/api/v2/incidents/unresolved.json')).json);
      expect(unresolved.incidents).toHaveLength(0);
    }, CTX));

  it('an EMPTY page: every endpoint still matches the schema, all operational, nothing listed', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      for (const path of Object.keys(ENDPOINTS) as (keyof typeof ENDPOINTS)[]) {
        const data = validate(path, (await fetchJson(app, path)).json) as Record<string, unknown>;
        for (const key of ['components', 'incidents', 'scheduled_maintenances']) {
          if (key in data) expect(data[key], `${path} ${key}`).toEqual([]);
        }
        if ('status' in data) expect(data.status).toEqual({ indicator: 'none', description: 'Tutti i sistemi operativi' });
      }
    }, CTX));
});
