/**
 * What partners put on their own pages: SVG badges, the widget's iframe fallback, and copy-ready
 * republishing of an update with its attribution line.
 */
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { BADGE_COLOURS } from '../../src/http/public/badge.ts';
import { useTestDatabase } from '../support/db.ts';
import { CTX, NASTY, SITE, get, makeStory, publicApp, useDemoDatabase, xmlError } from './support.ts';
import { PUBLIC_CACHE_CONTROL } from '../../src/http/cache/policy.ts';

/** WCAG 2.1 relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });

function badgeParts(svg: string) {
  expect(xmlError(svg)).toBeNull();
  const doc = parser.parse(svg).svg;
  return {
    role: doc['@role'] as string,
    label: doc['@aria-label'] as string,
    title: doc.title as string,
    texts: (doc.g[1].text as { '#text': string }[]).map((t) => String(t['#text'])),
    fills: (doc.g[0].rect as { '@fill': string }[]).map((r) => r['@fill']),
    width: Number(doc['@width']),
  };
}

describe('badges, frame and republishing on the demo scenario', () => {
  const t = useDemoDatabase();

  it('the page badge is well-formed, accessible SVG with the banner’s words and cache headers', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const r = await get(app, '/badge.svg');
      expect(r.status).toBe(200);
      expect(r.header('content-type')).toBe('image/svg+xml; charset=utf-8');
      expect(r.header('cache-control')).toBe(PUBLIC_CACHE_CONTROL);
      expect(r.header('cross-origin-resource-policy')).toBe('cross-origin');
      const b = badgeParts(r.body);
      expect(b.role).toBe('img');
      expect(b.title).toBe(b.label);
      expect(b.texts[0]).toBe('stato');
      expect(b.label).toBe(`stato: ${b.texts[1]}`);
      expect(['Tutti i sistemi operativi', 'Manutenzione in corso', 'Disservizio lieve', 'Disservizio parziale', 'Disservizio grave']).toContain(b.texts[1]);
      expect(b.width).toBeGreaterThan(60);

      const en = badgeParts((await get(app, '/badge.svg?lang=en&style=flat-square')).body);
      expect(en.texts[0]).toBe('status');
      expect(en.label).toMatch(/^status: (All Systems Operational|Minor Service Outage|Partial System Outage|Major Service Outage|Service Under Maintenance)$/);
      expect((await get(app, '/badge.svg?style=flat-square')).body).toContain('rx="0"');
    }, CTX));

  it('a service badge names the service and its status; an unknown service gets a 404 grey badge', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const b = badgeParts((await get(app, '/services/web/badge.svg?lang=en')).body);
      expect(b.texts[0]).toBe('Web portal');
      expect(b.title).toMatch(/^Web portal: (Operational|Degraded performance|Partial outage|Major outage|Under maintenance)/i);
      const unknown = await get(app, '/services/nope/badge.svg');
      expect(unknown.status).toBe(404);
      expect(unknown.header('content-type')).toBe('image/svg+xml; charset=utf-8');
      expect(badgeParts(unknown.body).title).toBe('stato: servizio sconosciuto');
      expect(badgeParts(unknown.body).fills[1]).toBe(BADGE_COLOURS.unknown);
    }, CTX));

  it('every badge colour gives white text a contrast of at least 4.5:1', () => {
    for (const [tone, colour] of Object.entries(BADGE_COLOURS)) {
      expect(contrast(colour, '#ffffff'), tone).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('the widget frame may be framed by anyone, runs no script and shows the active incident', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const r = await get(app, '/widget/v1/frame?lang=en&theme=dark');
      expect(r.status).toBe(200);
      expect(r.header('content-type')).toBe('text/html; charset=utf-8');
      const csp = r.header('content-security-policy')!;
      expect(csp).toContain('frame-ancestors *');
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('script-src');
      expect(r.body).not.toContain('<script');
      expect(r.body).toContain('<html lang="en">');
      expect(r.body).toContain('class="vw dark"');
      expect(r.body).toMatch(new RegExp(`href="${SITE}/en/incidents/[a-z0-9]+#update-[a-z0-9]+" target="_blank" rel="noopener">Details`));
      expect(r.body).toContain('Latest update');
      // Unknown values fall back: Italian, light theme.
      const fallback = await get(app, '/widget/v1/frame?lang=xx&theme=neon');
      expect(fallback.body).toContain('<html lang="it">');
      expect(fallback.body).toContain('class="vw light"');
    }, CTX));
});

describe('republishing an update', () => {
  const t = useTestDatabase();

  it('text, HTML and JSON versions carry the attribution line with the permalink and the update’s date', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      const app = publicApp(ctx);
      const base = `/incidents/${s.incidentId}/updates/${s.updates.resolved}/republish`;
      const permalink = `${SITE}/incidents/${s.incidentId}#update-${s.updates.resolved}`;

      const text = await get(app, `${base}?format=text&lang=it`);
      expect(text.status).toBe(200);
      expect(text.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(text.body).toBe(
        [
          'Ritardi & errori <conservazione>',
          'Stato: Risolto · 19 mar 2026, 13:00 CET',
          '',
          'Il servizio è tornato regolare.',
          '',
          `Fonte: Fattura Esempio, ${permalink}, aggiornamento del 19 mar 2026, 13:00 CET`,
          '',
        ].join('\n'),
      );

      const html = await get(app, `${base}?format=html&lang=en`);
      expect(html.header('content-type')).toBe('text/html; charset=utf-8');
      expect(html.body).toContain('<strong lang="en">Archiving delays &amp; errors</strong>');
      expect(html.body).toContain('<p>The service is back to <strong>normal</strong>.</p>');
      expect(html.body).toContain(`Source: <a href="${SITE}">Fattura Esempio</a>, <a href="${SITE}/en/incidents/${s.incidentId}#update-${s.updates.resolved}">`);
      expect(html.body).toContain('update of <time datetime="2026-03-19T12:00:00.000Z">19 Mar 2026, 13:00 CET</time>');
      expect(xmlError(`<root>${html.body.replace(/<br>/g, '<br/>')}</root>`)).toBeNull();

      const json = JSON.parse((await get(app, `${base}?format=json`)).body);
      expect(json).toMatchObject({ permalink, locale: 'it', attribution: `Fonte: Fattura Esempio, ${permalink}, aggiornamento del 19 mar 2026, 13:00 CET` });

      // A body with characters XML forbids comes out clean, and its markup escaped or sanitised.
      const nasty = await get(app, `/incidents/${s.incidentId}/updates/${s.updates.identified}/republish?format=html`);
      // eslint-disable-next-line no-control-regex -- the forbidden characters under test
      expect(nasty.body).not.toMatch(/[\u0001\u0008\uFFFE]/);
      expect(nasty.body).toContain('Riga con caratteri vietati ]]&gt; &amp; <b>grassetto</b> fine');
      expect(NASTY).toContain('<b>');
    }, CTX));

  it('404 for an unknown incident, or an update of another incident', () =>
    t.run(async (ctx) => {
      const s = await makeStory(ctx);
      const app = publicApp(ctx);
      const unknown = await get(app, `/incidents/nope/updates/${s.updates.resolved}/republish`);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toBe('Nessun incidente con id "nope".\n');
      const wrong = await get(app, `/en/incidents/${s.incidentId}/updates/nope/republish`);
      expect(wrong.status).toBe(404);
      expect(wrong.body).toBe('No update with id "nope" in this incident.\n');
    }, CTX));

  it('an EMPTY page: the badge says all operational, the frame links to the page', () =>
    t.run(async (ctx) => {
      const app = publicApp(ctx);
      const b = badgeParts((await get(app, '/badge.svg')).body);
      expect(b.title).toBe('stato: Tutti i sistemi operativi');
      expect(b.fills[1]).toBe(BADGE_COLOURS.operational);
      const frame = await get(app, '/widget/v1/frame');
      expect(frame.body).toContain(`<a href="${SITE}/" target="_blank" rel="noopener">Pagina di stato</a>`);
    }, CTX));
});
