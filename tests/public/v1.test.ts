/**
 * The native public JSON API (/api/v1/public): the richer model (plan, notices, FAQ, backlog) with sanitised
 * HTML next to each Markdown text, cross-origin readable, 404 on unknown ids.
 */
import { describe, expect, it } from 'vitest';
import { createIncident } from '../../src/services/incidents.ts';
import { useTestDatabase } from '../support/db.ts';
import { CTX, SITE, get, makeStory, publicApp, useDemoDatabase } from './support.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function json(app: ReturnType<typeof publicApp>, path: string, status = 200) {
  const r = await get(app, path);
  expect(r.status, `${path}: ${r.body.slice(0, 200)}`).toBe(status);
  expect(r.header('content-type')).toMatch(/^application\/json(; charset=utf-8)?$/);
  expect(r.header('access-control-allow-origin')).toBe('*');
  return JSON.parse(r.body) as Json;
}

describe('native public API on the demo scenario', () => {
  const t = useDemoDatabase();

  it('summary: status, services without bars, active incidents with permalinks and a plain latest update', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const s = await json(app, '/api/v1/public/summary');
      expect(s.page).toMatchObject({ name: 'Fattura Esempio', url: `${SITE}/`, time_zone: 'Europe/Rome', locale: 'it' });
      expect(['none', 'minor', 'major', 'critical']).toContain(s.status.indicator);
      expect(s.services.length).toBeGreaterThan(0);
      for (const service of s.services) {
        expect(service).not.toHaveProperty('bars');
        expect(service.permalink).toBe(`${SITE}/services/${service.key}`);
      }
      expect(s.active_incidents.length).toBeGreaterThan(0);
      const incident = s.active_incidents[0];
      expect(incident.permalink).toBe(`${SITE}/incidents/${incident.id}`);
      expect(incident.latest_update.body).toEqual({
        text: expect.any(String),
        locale: 'it',
        html: expect.stringMatching(/^<p>/),
        plain: expect.any(String),
      });
      expect(incident.latest_update.body.plain).not.toMatch(/\*\*/);
      expect(incident.plan.milestones.length).toBeGreaterThan(0);
      expect(s.links).toEqual({ page: `${SITE}/`, rss: `${SITE}/feed.rss`, atom: `${SITE}/feed.atom` });

      const en = await json(app, '/api/v1/public/summary?lang=en');
      expect(en.page.locale).toBe('en');
      expect(en.services.find((x: Json) => x.key === 'web').name).toBe('Web portal');
    }, CTX));

  it('incident: updates with anchors and republish links, plan, notices and FAQ with HTML', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const s = await json(app, '/api/v1/public/summary?lang=en');
      const id = s.active_incidents[0].id;
      const incident = await json(app, `/api/v1/public/incidents/${id}?lang=en`);
      expect(incident.id).toBe(id);
      expect(incident.updates.length).toBeGreaterThan(1);
      const u = incident.updates[0];
      expect(u.permalink).toBe(`${SITE}/en/incidents/${id}#update-${u.id}`);
      expect(u.republish.text).toBe(`${SITE}/incidents/${id}/updates/${u.id}/republish?format=text&lang=en`);
      expect(incident.faq.length).toBeGreaterThan(0);
      expect(incident.faq[0].answer.html).toMatch(/^<(p|ul|ol|h\d)/);
      expect(incident.notices.length).toBeGreaterThan(0);
      // Cancelled milestones stay listed but do not count in the progress.
      expect(incident.plan.total).toBe(incident.plan.milestones.filter((m: Json) => m.state !== 'cancelled').length);
    }, CTX));

  it('service and history documents; 404 in JSON for unknown ids', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const service = await json(app, '/api/v1/public/services/receiving');
      expect(service.service.key).toBe('receiving');
      expect(service.service.bars).toHaveLength(90);
      expect(service.links.rss).toBe(`${SITE}/services/receiving/feed.rss`);
      const history = await json(app, '/api/v1/public/history?page=1');
      expect(history.page).toBe(1);
      expect(history.months.length).toBeGreaterThan(0);
      expect((await json(app, '/api/v1/public/incidents/nope', 404)).error.code).toBe('not_found');
      expect((await json(app, '/api/v1/public/services/nope', 404)).error.message).toBe('No service with key "nope".');
      expect((await json(app, '/api/v1/public/whatever', 404)).error.code).toBe('not_found');
      const post = await app.request('/api/v1/public/summary', { method: 'POST' });
      expect(post.status).toBe(405);
    }, CTX));
});

describe('native public API on an EMPTY page and on our own story', () => {
  const t = useTestDatabase();

  it('an empty page has a valid, empty summary', () =>
    t.run(async (ctx) => {
      const s = await json(publicApp(ctx), '/api/v1/public/summary');
      expect(s.status).toEqual({ indicator: 'none', description: 'Tutti i sistemi operativi' });
      expect(s.services).toEqual([]);
      expect(s.active_incidents).toEqual([]);
    }, CTX));

  it('marks an Italian fallback with its locale when the English text is missing', () =>
    t.run(async (ctx) => {
      const story = await makeStory(ctx);
      const created = await createIncident(ctx, {
        title: { it: 'Solo in italiano' },
        impact: 'minor',
        body: { it: 'Testo **solo** italiano.' },
        services: [{ service: story.key, status: 'degraded_performance' }],
      });
      const incident = await json(publicApp(ctx), `/api/v1/public/incidents/${created.incident.id}?lang=en`);
      expect(incident.title).toEqual({ text: 'Solo in italiano', locale: 'it' });
      expect(incident.updates[0].body).toMatchObject({ text: 'Testo **solo** italiano.', locale: 'it', html: '<p>Testo <strong>solo</strong> italiano.</p>' });
      const notice = (await json(publicApp(ctx), `/api/v1/public/incidents/${story.incidentId}?lang=en`)).notices[0];
      expect(notice.title).toEqual({ text: 'Documents archived up to 18 March', locale: 'en' });
    }, CTX));
});
