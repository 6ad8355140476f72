/**
 * RSS 2.0 and Atom 1.0 feeds, read back with real parsers: @rowanmanning/feed-parser (what a feed reader sees)
 * and fast-xml-parser's XMLValidator (well-formed XML, byte for byte).
 */
import { parseFeed } from '@rowanmanning/feed-parser';
import { describe, expect, it } from 'vitest';
import { createService, updateService } from '../../src/services/catalog.ts';
import { expireHeartbeats, recordHeartbeat } from '../../src/services/heartbeats.ts';
import { publishPostmortem } from '../../src/services/incidents.ts';
import { listEvents } from '../../src/services/events.ts';
import { completeMaintenance, updateMaintenance } from '../../src/services/maintenance.ts';
import { publishNotice, updateNotice } from '../../src/services/notices.ts';
import { useTestDatabase } from '../support/db.ts';
import { uid } from '../integration/factories.ts';
import { CTX, NASTY, NOW, SITE, get, makeStory, publicApp, useDemoDatabase, xmlError } from './support.ts';
import { PUBLIC_CACHE_CONTROL } from '../../src/http/cache/policy.ts';

const FORMATS = ['rss', 'atom'] as const;

describe('feeds on the demo scenario', () => {
  const t = useDemoDatabase();

  it('every site, service and incident feed, in both languages and formats, is well-formed and parses', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const incident = (await listEvents(ctx, { limit: 50 })).find((e) => e.incidentId);
      const paths = ['/feed', '/services/web/feed', '/services/receipt-matching/feed'];
      if (incident?.incidentId) paths.push(`/incidents/${incident.incidentId}/feed`);
      for (const prefix of ['', '/en']) {
        for (const path of paths) {
          for (const format of FORMATS) {
            const url = `${prefix}${path}.${format}`;
            const r = await get(app, url);
            expect(r.status, url).toBe(200);
            expect(r.header('content-type'), url).toBe(format === 'rss' ? 'application/rss+xml; charset=utf-8' : 'application/atom+xml; charset=utf-8');
            expect(xmlError(r.body), url).toBeNull();
            const feed = parseFeed(r.body);
            expect(feed.meta.type).toBe(format);
            expect(feed.items.length, url).toBeGreaterThan(0);
            expect(feed.language ?? (prefix ? 'en' : 'it')).toBe(prefix ? 'en' : 'it');
            for (const item of feed.items) {
              expect(item.title, url).toBeTruthy();
              expect(item.id, url).toMatch(/^tag:status\.example\.test,\d{4}-\d\d-\d\d:vedetta\/event\/[a-z0-9]+(\/en)?$/);
              expect(item.url, url).toMatch(new RegExp(`^${SITE}${prefix}/`));
              expect(item.content ?? item.description, url).toBeTruthy();
              expect(item.published ?? item.updated, url).toBeInstanceOf(Date);
            }
            // One entry per event: no id twice.
            expect(new Set(feed.items.map((i) => i.id)).size).toBe(feed.items.length);
          }
        }
      }
    }, CTX));

  it('the site feed has one entry per public event, newest first, dated when it happened', () =>
    t.run(async (ctx) => {
      const events = await listEvents(ctx, { limit: 50 });
      const feed = parseFeed((await get(publicApp(ctx), '/feed.atom')).body);
      expect(feed.items.map((i) => i.id!.split('/event/')[1])).toEqual(events.map((e) => e.id));
      expect(feed.items.map((i) => i.updated?.toISOString())).toEqual(events.map((e) => e.occurredAt.toISOString()));
      // A resolution is its own entry, titled with the status in the reader's language.
      const resolved = events.filter((e) => e.type === 'incident.resolved');
      expect(resolved.length).toBeGreaterThan(0);
      for (const e of resolved) {
        expect(feed.items.find((i) => i.id!.endsWith(`/event/${e.id}`))?.title).toMatch(/^\[Risolto\] /);
      }
    }, CTX));

  it('a service feed holds only that service’s events, as categories', () =>
    t.run(async (ctx) => {
      const feed = parseFeed((await get(publicApp(ctx), '/en/services/receipt-matching/feed.atom')).body);
      const events = await listEvents(ctx, { serviceKey: 'receipt-matching', limit: 50 });
      expect(feed.items).toHaveLength(events.length);
      for (const item of feed.items) expect(item.categories.map((c) => c.term)).toContain('receipt-matching');
      expect(feed.items.flatMap((i) => i.categories.map((c) => c.label))).toContain('Receipt matching');
      expect(feed.title).toContain('Receipt matching');
    }, CTX));
});

describe('feeds on our own story', () => {
  const t = useTestDatabase();

  it('shows created, identified, milestone, resolved, notice and maintenance as separate, titled entries', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      const rss = await get(publicApp(ctx), `/incidents/${s.incidentId}/feed.rss`);
      expect(rss.status).toBe(200);
      expect(xmlError(rss.body)).toBeNull();
      const feed = parseFeed(rss.body);
      // The milestone was put in the plan "now" (16:00) and completed at 11:00: two entries, each at its time.
      expect(feed.items.map((i) => i.title)).toEqual([
        'Nuova tappa prevista: Coda smaltita',
        'Avviso sui dati: Documenti conservati fino al 18 marzo',
        '[Risolto] Ritardi & errori <conservazione>',
        'Tappa completata: Coda smaltita',
        '[Causa individuata] Ritardi & errori <conservazione>',
        '[In analisi] Ritardi & errori <conservazione>',
      ]);
      const resolved = feed.items[2]!;
      expect(resolved.url).toBe(`${SITE}/incidents/${s.incidentId}#update-${s.updates.resolved}`);
      expect(resolved.published?.toISOString()).toBe('2026-03-19T12:00:00.000Z');
      expect(resolved.content ?? resolved.description).toContain('<strong>regolare</strong>');
      expect(resolved.categories.map((c) => c.term)).toEqual(['Conservazione']);
      expect(feed.items[3]!.url).toBe(`${SITE}/incidents/${s.incidentId}#milestone-${s.milestoneId}`);
      expect(feed.items[3]!.published?.toISOString()).toBe('2026-03-19T11:00:00.000Z');
      expect(feed.items[0]!.published?.toISOString()).toBe(CTX.now && new Date(CTX.now).toISOString());
      expect(feed.items[1]!.url).toBe(`${SITE}/incidents/${s.incidentId}#notice-${s.noticeId}`);
      expect(feed.items[4]!.url).toBe(`${SITE}/incidents/${s.incidentId}#update-${s.updates.identified}`);
    }, CTX));

  it('a service the heartbeat job declared down says its new status in the entry title', () =>
    t.run(async (ctx) => {
      const key = `hb-${uid()}`;
      await createService(ctx, { key, name: { it: 'Ricezione', en: 'Receiving' }, since: new Date('2026-03-01T00:00:00Z') });
      await updateService(ctx, { service: key, heartbeatTimeoutSeconds: 60 });
      await recordHeartbeat(ctx, { service: key });
      const later = { ...ctx, now: () => new Date(NOW.getTime() + 120_000) };
      expect((await expireHeartbeats(later)).expired).toEqual([key]);
      const it = parseFeed((await get(publicApp(later), `/services/${key}/feed.rss`)).body);
      const en = parseFeed((await get(publicApp(later), `/en/services/${key}/feed.atom`)).body);
      expect(it.items.map((i) => i.title)).toEqual(['Ricezione: Disservizio totale']);
      expect(en.items.map((i) => i.title)).toEqual(['Receiving: Major outage']);
    }, CTX));

  it('a data-gap notice entry says what happened, who is affected and what to do, as the page does', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      const notice = await publishNotice(ctx, {
        incidentId: s.incidentId,
        title: { it: 'Fatture del 9', en: 'Invoices of day 9' },
        body: { it: 'Lo storage sarà riacceso dal fornitore.', en: 'The provider will power the storage back on.' },
        audience: { it: 'Chi ha caricato fatture la sera del 9', en: 'Whoever uploaded invoices on the evening of day 9' },
        action: { it: 'Non ricaricate *nulla*.', en: 'Upload *nothing* again.' },
        services: [s.key],
        windows: [{ scope: { it: 'Aree', en: 'Areas' }, restoredUntil: new Date('2026-03-09T20:30:00Z'), pending: true }],
      });
      for (const format of FORMATS) {
        const it_ = parseFeed((await get(publicApp(ctx), `/incidents/${s.incidentId}/feed.${format}`)).body).items[0]!;
        const html = it_.content ?? it_.description;
        expect(it_.title).toBe('Avviso sui dati: Fatture del 9');
        expect(html, format).toMatch(
          /<p>Lo storage sarà riacceso dal fornitore\.<\/p>[\s\S]*ripristino previsto[\s\S]*<p><strong>Chi è coinvolto<\/strong><\/p>\s*<p>Chi ha caricato fatture la sera del 9<\/p>\s*<p><strong>Cosa fare<\/strong><\/p>\s*<p>Non ricaricate <em>nulla<\/em>\.<\/p>/,
        );
        const en = parseFeed((await get(publicApp(ctx), `/en/incidents/${s.incidentId}/feed.${format}`)).body).items[0]!;
        expect(en.content ?? en.description, format).toMatch(/The provider will power[\s\S]*Who is affected[\s\S]*Whoever uploaded[\s\S]*What to do[\s\S]*Upload <em>nothing<\/em> again/);
      }
      // The restore done: a new entry says so, above the first one.
      const later = { ...ctx, now: () => new Date(NOW.getTime() + 3_600_000) };
      await updateNotice(later, { noticeId: notice.id, windows: [{ scope: { it: 'Aree', en: 'Areas' }, restoredUntil: new Date('2026-03-09T20:30:00Z'), pending: false }] });
      const items = parseFeed((await get(publicApp(later), `/incidents/${s.incidentId}/feed.rss`)).body).items;
      expect(items.slice(0, 2).map((i) => i.title)).toEqual(['Dati ripristinati: Fatture del 9', 'Avviso sui dati: Fatture del 9']);
      expect(items[0]!.content ?? items[0]!.description).toMatch(/dati ripristinati fino al/);
      const en = parseFeed((await get(publicApp(later), `/en/incidents/${s.incidentId}/feed.atom`)).body).items;
      expect(en[0]!.title).toBe('Data restored: Invoices of day 9');
    }, CTX));

  it('a window closed before it started is titled cancelled, not completed (as its e-mail says)', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      await completeMaintenance(ctx, { maintenanceId: s.maintenanceId });
      for (const [prefix, title] of [['', '[Manutenzione annullata] Aggiornamento archivio'], ['/en', '[Maintenance cancelled] Archive upgrade']] as const) {
        for (const format of FORMATS) {
          const feed = parseFeed((await get(publicApp(ctx), `${prefix}/services/${s.key}/feed.${format}`)).body);
          expect(feed.items[0]!.title, `${prefix} ${format}`).toBe(title);
        }
      }
    }, CTX));

  it('a window moved is titled rescheduled, with the new window and the previous one', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      await updateMaintenance(ctx, {
        maintenanceId: s.maintenanceId,
        scheduledStart: new Date('2026-03-22T20:00:00Z'),
        scheduledEnd: new Date('2026-03-22T22:00:00Z'),
      });
      const [item] = parseFeed((await get(publicApp(ctx), `/services/${s.key}/feed.rss`)).body).items;
      expect(item!.title).toBe('[Manutenzione spostata] Aggiornamento archivio');
      expect(item!.content ?? item!.description).toMatch(/Finestra: 22 mar 2026, 21:00 CET – 22 mar 2026, 23:00 CET[\s\S]*Finestra precedente: 21 mar 2026, 21:00 CET – 21 mar 2026, 23:00 CET/);
      const [en] = parseFeed((await get(publicApp(ctx), `/en/services/${s.key}/feed.atom`)).body).items;
      expect(en!.title).toBe('[Maintenance rescheduled] Archive upgrade');
    }, CTX));

  it('strips XML-invalid characters (U+0001, U+FFFE, U+0008) and escapes markup in both formats', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      for (const format of FORMATS) {
        const r = await get(publicApp(ctx), `/incidents/${s.incidentId}/feed.${format}`);
        // eslint-disable-next-line no-control-regex -- the forbidden characters under test
        expect(r.body).not.toMatch(/[\u0001\u0008\uFFFE]/);
        expect(xmlError(r.body), format).toBeNull();
        // Raw: HTML-escaped inside CDATA, so "]]>" cannot close the section early; <b> is allowed Markdown HTML.
        expect(r.body).toContain('Riga con caratteri vietati ]]&gt; &amp; <b>grassetto</b> fine');
        const item = parseFeed(r.body).items.find((i) => i.title?.startsWith('[Causa individuata]'))!;
        expect(item.content ?? item.description).toContain('Riga con caratteri vietati ]]> & <b>grassetto</b> fine');
        // eslint-disable-next-line no-control-regex -- the forbidden characters under test
        expect(NASTY).toMatch(/[\u0001\u0008\uFFFE]/);
      }
    }, CTX));

  it('English feeds use the English texts, links and ids; Italian ones the Italian', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      const en = parseFeed((await get(publicApp(ctx), `/en/services/${s.key}/feed.atom`)).body);
      expect(en.items.map((i) => i.title)).toContain('[Resolved] Archiving delays & errors');
      expect(en.items.map((i) => i.title)).toContain('[Scheduled maintenance] Archive upgrade');
      expect(en.items.map((i) => i.title)).toContain('Milestone completed: Queue drained');
      expect(en.items.every((i) => i.url!.startsWith(`${SITE}/en/`))).toBe(true);
      expect(en.items.every((i) => i.id!.endsWith('/en'))).toBe(true);
      const it_ = parseFeed((await get(publicApp(ctx), `/services/${s.key}/feed.atom`)).body);
      expect(it_.items.map((i) => i.title)).toContain('[Manutenzione programmata] Aggiornamento archivio');
      expect(it_.items.find((i) => i.title?.startsWith('[Manutenzione'))!.url).toBe(
        `${SITE}/services/${s.key}#maintenance-${s.maintenanceId}`,
      );
      // The other service saw none of it.
      expect(parseFeed((await get(publicApp(ctx), `/services/${s.other}/feed.rss`)).body).items).toHaveLength(0);
    }, CTX));

  it('answers 304 to If-None-Match and If-Modified-Since, and 200 again once something is published', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      const app = publicApp(ctx);
      const url = `/incidents/${s.incidentId}/feed.atom`;
      const first = await get(app, url);
      const etag = first.header('etag')!;
      const lastModified = first.header('last-modified')!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(new Date(lastModified).getTime()).toBeGreaterThan(0);
      expect(first.header('cache-control')).toBe(PUBLIC_CACHE_CONTROL);
      expect(first.header('access-control-allow-origin')).toBe('*');

      // Identical bytes on a rebuild (no "now" inside), so the ETag holds across instances.
      const fresh = await get(publicApp(ctx), url);
      expect(fresh.body).toBe(first.body);
      expect(fresh.header('etag')).toBe(etag);

      const notModified = await get(app, url, { 'If-None-Match': etag });
      expect(notModified.status).toBe(304);
      expect(notModified.body).toBe('');
      expect(notModified.header('etag')).toBe(etag);
      expect((await get(app, url, { 'If-None-Match': `"other", W/${etag}` })).status).toBe(304);
      expect((await get(app, url, { 'If-Modified-Since': lastModified })).status).toBe(304);
      expect((await get(app, url, { 'If-Modified-Since': new Date(Date.parse(lastModified) - 60_000).toUTCString() })).status).toBe(200);
      expect((await get(app, url, { 'If-None-Match': '"stale"' })).status).toBe(200);

      ctx.clock.advance(60_000);
      await publishPostmortem(ctx, { incidentId: s.incidentId, body: { it: 'Analisi completa.', en: 'Full analysis.' } });
      const changed = await get(app, url, { 'If-None-Match': etag });
      expect(changed.status).toBe(200);
      expect(changed.header('etag')).not.toBe(etag);
      const newest = parseFeed(changed.body).items[0]!;
      expect(newest.title).toBe('[Analisi post-incidente] Ritardi & errori <conservazione>');
      expect(newest.url).toBe(`${SITE}/incidents/${s.incidentId}#postmortem`);
    }, CTX));

  it('answers 404 with a plain, readable body for an unknown service or incident', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const service = await get(app, '/services/does-not-exist/feed.rss');
      expect(service.status).toBe(404);
      expect(service.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(service.body).toBe('Nessun servizio con chiave "does-not-exist".\n');
      const incident = await get(app, '/en/incidents/nope/feed.atom');
      expect(incident.status).toBe(404);
      expect(incident.body).toBe('No incident with id "nope".\n');
    }, CTX));

  it('an EMPTY page still has valid, empty feeds', () =>
    t.run(async (ctx) => {
      for (const format of FORMATS) {
        const r = await get(publicApp(ctx), `/en/feed.${format}`);
        expect(r.status).toBe(200);
        expect(xmlError(r.body)).toBeNull();
        const feed = parseFeed(r.body);
        expect(feed.items).toHaveLength(0);
        expect(feed.title).toBe('Fattura Esempio · Service status');
      }
    }, CTX));
});
