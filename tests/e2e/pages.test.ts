/**
 * The public pages over HTTP, against the built server: the demo scenario in Italian on / and in English
 * on /en/, times in UTC ISO inside <time datetime> with the zone named, the site's 404 page for unknown ids,
 * and operator Markdown never reaching the reader as a script.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/client.ts';
import { createService } from '../../src/services/catalog.ts';
import { SYSTEM_ACTOR, type Ctx } from '../../src/services/context.ts';
import { addFaqEntry } from '../../src/services/recovery.ts';
import { createIncident, postIncidentUpdate } from '../../src/services/incidents.ts';
import { completeMaintenance, scheduleMaintenance } from '../../src/services/maintenance.ts';
import { MIGRATIONS_DIR, ROOT } from '../support/paths.ts';
import { type RunningServer, startServer, useServer } from '../support/server.ts';

type Page = { status: number; html: string; contentType: string };

/** The status line exactly as the server writes it (fetch hides the reason phrase, so the request is raw). */
function statusLine(port: number, method: string, path: string, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n');
      if (end !== -1) {
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.once('error', reject);
    const head = { Host: `127.0.0.1:${port}`, Connection: 'close', 'Content-Length': String(Buffer.byteLength(body)), ...headers };
    socket.write(`${method} ${path} HTTP/1.1\r\n${Object.entries(head).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
  });
}

async function get(base: string, path: string): Promise<Page> {
  const response = await fetch(`${base}${path}`, { redirect: 'manual' });
  return { status: response.status, html: await response.text(), contentType: response.headers.get('content-type') ?? '' };
}

const attr = (html: string, re: RegExp) => [...html.matchAll(re)].map((m) => m[1]!);
const text = (html: string) =>
  html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
const h1s = (html: string) => html.match(/<h1[\s>]/g) ?? [];

/** Every <time> element: its datetime attribute and the text shown. */
function times(html: string) {
  return [...html.matchAll(/<time[^>]*datetime="([^"]+)"[^>]*>([\s\S]*?)<\/time>/g)].map((m) => ({
    iso: m[1]!,
    shown: text(m[2]!).trim(),
  }));
}

const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function expectTimesInUtcWithZone(html: string) {
  const found = times(html);
  expect(found.length).toBeGreaterThan(0);
  for (const t of found) {
    expect(t.iso, `datetime of "${t.shown}"`).toMatch(UTC_ISO);
    expect(Number.isNaN(Date.parse(t.iso))).toBe(false);
  }
  // Times of day name their zone (Rome is CET in winter, CEST in summer); dates alone need not.
  const withClock = found.filter((t) => /\d{1,2}:\d{2}/.test(t.shown));
  expect(withClock.length).toBeGreaterThan(0);
  for (const t of withClock) expect(t.shown, t.iso).toMatch(/\b(CET|CEST)$/);
}

function expectFrame(page: Page, lang: 'it' | 'en') {
  expect(page.contentType).toMatch(/text\/html/);
  expect(page.html).toMatch(new RegExp(`<html lang="${lang}"`));
  expect(h1s(page.html)).toHaveLength(1);
  expect(page.html).toContain('href="#main"');
  expect(page.html).toMatch(/<link rel="alternate" hreflang="it" href="[^"]+"/);
  expect(page.html).toMatch(/<link rel="alternate" hreflang="en" href="[^"]+\/en\/?[^"]*"/);
  // The zone is named in the footer.
  expect(text(page.html)).toContain('Europe/Rome');
  // The pages work without JavaScript and nothing inline can run: the only scripts are our own bundled files
  // (progressive enhancements such as the day bars' arrow keys), never inline code.
  const scripts = page.html.match(/<script\b[^>]*>[\s\S]*?<\/script>/gi) ?? [];
  expect(page.html.match(/<script\b/gi) ?? []).toHaveLength(scripts.length);
  for (const tag of scripts) expect(tag).toMatch(/^<script type="module" src="\/_astro\/[\w.-]+\.js"><\/script>$/);
  expect(page.html).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
}

/** The evergreen FAQ questions shipped for a locale, read from the content folder the build used. */
function evergreenQuestions(locale: 'it' | 'en'): string[] {
  const dir = join(ROOT, 'content/faq', locale);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => /^question:\s*(.+)$/m.exec(readFileSync(join(dir, f), 'utf8'))?.[1]?.trim() ?? '')
    .map((q) => q.replace(/^(['"])(.*)\1$/, '$2').replace(/\\"/g, '"'))
    .filter(Boolean);
}

describe('public pages with the demo scenario', () => {
  const server = useServer();
  let incidentPath = '';

  beforeAll(async () => {
    const home = await get(server.url, '/');
    incidentPath = attr(home.html, /href="(\/incidents\/[^"#]+)"/g)[0] ?? '';
  });

  it('/ tells the outage in Italian: banner, incident, plan, data gaps, backlog, services with 90 bars', async () => {
    const page = await get(server.url, '/');
    expect(page.status).toBe(200);
    expectFrame(page, 'it');
    const body = text(page.html);
    for (const s of ['Stato generale', 'Incidenti in corso', 'Piano di ripristino', 'Prossimo aggiornamento entro', 'Servizi']) {
      expect(body).toContain(s);
    }
    for (const name of ['Portale web', 'Invio fatture', 'Ricezione fatture e ordini', 'Abbinamento ricevute', 'Assistenza (ticket)', 'Linea telefonica partner']) {
      expect(body).toContain(name);
    }
    expect(body).toMatch(/\d+ di \d+ completate/);
    expect(body).toContain('Dati ripristinati fino al');
    // The empty areas' restore is still expected in the demo: said so, with no green check, and only there.
    const empty = page.html.slice(page.html.indexOf('<span class="gap-scope">Aree vuote'));
    expect(text(empty.slice(0, empty.indexOf('</li>')))).toMatch(/fino allo stop Ripristino previsto, non ancora fatto: dati fino al [^,]+ \d{4}, 00:50 CET/);
    expect(empty.slice(0, empty.indexOf('</li>'))).not.toContain('gap-restored');
    expect(page.html.match(/class="gap-pending"/g)).toHaveLength(1);
    expect(body).toContain('Canale temporaneo, attivo fino al');
    expect(page.html).toMatch(/<progress[^>]+max="\d+"[^>]+value="\d+"/);
    // Each service: 90 day bars whose content (the tooltip) is their accessible name; only today's is in the
    // tab order, so a strip is one Tab stop (the arrow keys move between days: tests/browser/pages.test.ts).
    const bars = page.html.match(/<button type="button" class="bar lvl-[a-z]+( is-today)?"( tabindex="-1")?><span class="bar-tip"><strong>/g) ?? [];
    const services = page.html.match(/class="service svc-/g) ?? [];
    expect(services.length).toBeGreaterThanOrEqual(6);
    expect(bars.length).toBe(services.length * 90);
    expect(bars.filter((b) => !b.includes('tabindex="-1"'))).toHaveLength(services.length);
    expect(page.html.match(/class="bar lvl-[a-z]+ is-today"><span class="bar-tip"><strong>[^<]+ · oggi, fino a ora<\/strong>/g)).toHaveLength(services.length);
    // Each strip's name sums it up, for a screen reader arriving on today's bar.
    expect(page.html).toMatch(/<ol class="bars" aria-label="Disponibilità giornaliera di Portale web negli ultimi 90 giorni: \d+ giorni con disservizi">/);
    // The language switch points at the same page in English.
    expect(page.html).toMatch(/<a href="\/en\/"[^>]*hreflang="en"/);
    expect(incidentPath).toMatch(/^\/incidents\/[A-Za-z0-9_-]+$/);
    expectTimesInUtcWithZone(page.html);
  });

  it('/en/ is the same page in English', async () => {
    const page = await get(server.url, '/en/');
    expect(page.status).toBe(200);
    expectFrame(page, 'en');
    const body = text(page.html);
    for (const s of ['Overall status', 'Ongoing incidents', 'Recovery plan', 'Next update by', 'Web portal', 'Invoice sending', 'Receipt matching']) {
      expect(body).toContain(s);
    }
    expect(body).toMatch(/\d+ of \d+ completed/);
    expect(body).toContain('Data restored up to');
    expect(page.html).toMatch(/<a href="\/"[^>]*hreflang="it"/);
    expect(page.html).toContain(`href="/en${incidentPath}"`);
    expectTimesInUtcWithZone(page.html);
  });

  it('the incident page has the timeline, the plan, the data gaps and the FAQ with anchors', async () => {
    const page = await get(server.url, incidentPath);
    expect(page.status).toBe(200);
    expectFrame(page, 'it');
    const body = text(page.html);
    for (const s of ['Aggiornamenti', 'Piano di ripristino', 'Servizi coinvolti', 'Iniziato', 'Domande frequenti']) {
      expect(body).toContain(s);
    }
    // Newest first.
    const stamps = attr(page.html.slice(page.html.indexOf('class="timeline"')), /<li class="update[^"]*"[\s\S]*?datetime="([^"]+)"/g);
    expect(stamps.length).toBeGreaterThan(1);
    expect([...stamps].sort().reverse()).toEqual(stamps);
    // Every FAQ entry has its own anchor and a visible "#" link to it.
    const slugs = attr(page.html, /<article class="card faq-item" id="([^"]+)"/g);
    expect(slugs.length).toBeGreaterThan(0);
    for (const slug of slugs) expect(page.html).toContain(`href="#${slug}"`);
    expect(page.html).toContain(`<a href="/en${incidentPath}" hreflang="en"`);
    expectTimesInUtcWithZone(page.html);

    const en = await get(server.url, `/en${incidentPath}`);
    expect(en.status).toBe(200);
    expectFrame(en, 'en');
    expect(text(en.html)).toContain('Updates');
    expect(text(en.html)).toContain('Recovery plan');
  });

  it('every entry of the site feed links to an anchor its page has (updates, milestones, notices, maintenance)', async () => {
    const feed = await get(server.url, '/feed.rss');
    const links = attr(feed.html, /<link>([^<]+)<\/link>/g).filter((l) => l.includes('#'));
    expect(links.length).toBeGreaterThan(5);
    const kinds = new Set(links.map((l) => l.split('#')[1]!.split('-')[0]));
    for (const kind of ['update', 'milestone', 'maintenance']) expect(kinds, kind).toContain(kind);
    // The notice's pending restore is not called restored in the feed either.
    expect(feed.html).toMatch(/Aree vuote, dopo il ripristino[^<]*: ripristino previsto, dati fino al/);
    const pages = new Map<string, string>();
    for (const link of links) {
      const url = new URL(link);
      if (!pages.has(url.pathname)) pages.set(url.pathname, (await get(server.url, url.pathname)).html);
      expect(pages.get(url.pathname), link).toContain(`id="${url.hash.slice(1)}"`);
    }
  });

  it('a service page shows status, uptime, bars, incidents and backlog history', async () => {
    const page = await get(server.url, '/services/receiving');
    expect(page.status).toBe(200);
    expectFrame(page, 'it');
    const body = text(page.html);
    expect(body).toContain('Ricezione fatture e ordini');
    expect(body).toContain('Disponibilità 30 giorni');
    expect(body).toContain('Disponibilità 90 giorni');
    expect(body).toMatch(/\d+,\d+\s?%|100\s?%/);
    expect(page.html.match(/<button type="button" class="bar /g) ?? []).toHaveLength(90);
    // Every day's details in a table too, newest first, for the keyboard without JavaScript.
    const days = page.html.slice(page.html.indexOf('<details class="uptime-days">'));
    expect(days).toContain('<summary>Giorno per giorno (ultimi 90 giorni)</summary>');
    const rows = attr(days.slice(0, days.indexOf('</table>')), /<tr><th scope="row">([^<]+)</g);
    expect(rows).toHaveLength(90);
    expect(days).toMatch(/<th scope="row">[^<]+<span class="cell-sub">oggi, fino a ora<\/span><\/th>/);
    expect(days.slice(0, days.indexOf('</table>'))).toContain(`href="${incidentPath}"`);
    expect(page.html).toContain(incidentPath);
    expect(page.html).toMatch(/<table class="data-table">/);
    expectTimesInUtcWithZone(page.html);

    const en = await get(server.url, '/en/services/receiving');
    expect(en.status).toBe(200);
    expect(text(en.html)).toContain('Invoice and order receiving');
  });

  it('/history groups incidents by month with Italian month names, the ongoing one too as its subtitle says, and bad page numbers do not break it', async () => {
    const page = await get(server.url, '/history');
    expect(page.status).toBe(200);
    expectFrame(page, 'it');
    expect(page.html).toMatch(/<h2 id="m-\d{4}-\d{2}">(Gennaio|Febbraio|Marzo|Aprile|Maggio|Giugno|Luglio|Agosto|Settembre|Ottobre|Novembre|Dicembre) \d{4}<\/h2>/);
    expect(page.html).toContain(incidentPath);
    expectTimesInUtcWithZone(page.html);
    // The demo's incident is still open and listed: the subtitle must not say the list is of concluded ones.
    const intro = (html: string) => text(/<header class="page-head">([\s\S]*?)<\/header>/.exec(html)![1]!).trim();
    expect(text(page.html)).toMatch(/\d{4}, \d{2}:\d{2} CET · in corso /);
    expect(intro(page.html)).toContain('Tutti gli incidenti, anche quelli in corso, e le manutenzioni concluse, dal più recente.');

    const en = await get(server.url, '/en/history');
    expect(en.status).toBe(200);
    expect(text(en.html)).toMatch(/\d{4}, \d{2}:\d{2} CET · ongoing /);
    expect(intro(en.html)).toContain('Every incident, ongoing ones included, and completed maintenance, newest first.');
    expect(en.html).toMatch(/<h2 id="m-\d{4}-\d{2}">(January|February|March|April|May|June|July|August|September|October|November|December) \d{4}<\/h2>/);

    for (const q of ['abc', '-1', '0', '99999999999999', '1e3', '%00']) {
      expect((await get(server.url, `/history?page=${q}`)).status, q).toBe(200);
    }
  });

  it('/faq and /en/faq carry the evergreen questions and the open incident questions', async () => {
    for (const locale of ['it', 'en'] as const) {
      const page = await get(server.url, locale === 'it' ? '/faq' : '/en/faq');
      expect(page.status).toBe(200);
      expectFrame(page, locale);
      const body = text(page.html);
      const questions = evergreenQuestions(locale);
      expect(questions.length).toBeGreaterThan(0);
      for (const q of questions) expect(body).toContain(q);
      // Open incidents' questions link to their anchors on the incident page.
      const prefix = locale === 'it' ? '' : '/en';
      expect(page.html).toMatch(new RegExp(`href="${prefix}${incidentPath}#[a-z0-9-]+"`));
      expect(page.html).toMatch(/<details class="faq"/);
    }
    expect(text((await get(server.url, '/faq')).html)).toContain('Domande frequenti');
    expect(text((await get(server.url, '/en/faq')).html)).toContain('Frequently asked questions');
  });

  it('writes the emergency channel’s closing time one way everywhere: its service, the plan and the updates', async () => {
    const TIME = String.raw`(\d{1,2} \w+ \d{4}, \d{2}:\d{2} CES?T)`;
    for (const [prefix, note, update, milestone] of [
      ['', 'Canale temporaneo, attivo fino al', 'Canale di emergenza : attivo fino al', 'Chiusura del canale di emergenza (?:(?!Prevista:).){0,120}Prevista:'],
      ['/en', 'Temporary channel, available until', 'Emergency channel : available until', 'Emergency channel closed (?:(?!Expected:).){0,120}Expected:'],
    ] as const) {
      const page = async (path: string) => text((await get(server.url, path)).html);
      const home = await page(`${prefix}/`);
      const service = await page(`${prefix}/services/emergency-channel`);
      const incident = await page(`${prefix}${incidentPath}`);
      const find = (body: string, lead: string) => [...body.matchAll(new RegExp(`${lead} ${TIME}`, 'g'))].map((m) => m[1]!);
      const shown = {
        homeNote: find(home, note),
        serviceNote: find(service, note),
        homePlan: find(home, milestone),
        incidentPlan: find(incident, milestone),
        updates: find(incident, update),
      };
      for (const [where, found] of Object.entries(shown)) expect(found.length, `${prefix} ${where}`).toBeGreaterThan(0);
      const all = Object.values(shown).flat();
      expect(new Set(all).size, JSON.stringify(shown)).toBe(1);
      // The end of a day, written as such: not "00:00" of the next one, which reads as open during it.
      expect(all[0]).toMatch(/ 24:00 CES?T$/);
    }
  });

  it('/embed and /en/embed: code to copy with the site’s own address, live previews, every service’s badge', async () => {
    // First of all, and before any other test asks for the page: through another name of the same server, so
    // that the first copy the public cache keeps was rendered for a request that came in on "localhost". The
    // code must still name SITE_URL (this server's 127.0.0.1 address), never the address the request used.
    const viaOtherName = await get(server.url.replace('127.0.0.1', 'localhost'), '/embed');
    expect(viaOtherName.status).toBe(200);
    expect(viaOtherName.html).toContain(`${server.url}/widget/v1.js`);
    expect(viaOtherName.html).not.toMatch(/localhost:\d+/);

    const homeKeys = new Set(attr((await get(server.url, '/')).html, /href="\/services\/([A-Za-z0-9_-]+)"/g));
    expect(homeKeys.size).toBeGreaterThanOrEqual(6);
    const decode = (html: string) =>
      html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    for (const [path, locale, other] of [
      ['/embed', 'it', '/en/embed'],
      ['/en/embed', 'en', '/embed'],
    ] as const) {
      const response = await fetch(`${server.url}${path}`);
      const page = { status: response.status, html: await response.text(), contentType: response.headers.get('content-type') ?? '' };
      expect(page.status, path).toBe(200);
      expectFrame(page, locale);
      expect(text(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(page.html)![1]!).trim()).toBe(
        locale === 'it' ? 'Mostrate lo stato sul vostro sito' : 'Show the status on your site',
      );
      // Indexable, with its own canonical address and both languages as alternates.
      expect(page.html).toContain(`<link rel="canonical" href="${server.url}${path}">`);
      expect(page.html).toContain(`<link rel="alternate" hreflang="it" href="${server.url}/embed">`);
      expect(page.html).toContain(`<link rel="alternate" hreflang="en" href="${server.url}/en/embed">`);
      expect(page.html).toMatch(new RegExp(`<a href="${other}" hreflang="${locale === 'it' ? 'en' : 'it'}"`));

      // Every snippet is text in <pre><code> under a visible label: escaped markup, never live markup.
      const snippets = [...page.html.matchAll(/<figure class="snippet"[^>]*>\s*<figcaption[^>]*>([^<]+)<\/figcaption>\s*<pre[^>]*><code[^>]*>([\s\S]*?)<\/code><\/pre>/g)]
        .map((m) => ({ label: m[1]!.trim(), code: decode(m[2]!) }));
      expect(snippets.length, path).toBe((page.html.match(/<pre\b/g) ?? []).length);
      for (const s of snippets) expect(s.label.length, s.code).toBeGreaterThan(3);
      const all = snippets.map((s) => s.code).join('\n');
      expect(all).toContain(`<script src="${server.url}/widget/v1.js" async data-lang="${locale}" data-theme="light"></script>`);
      expect(all).toMatch(new RegExp(`data-target="#[a-z-]+" data-refresh="300"></script>`));
      expect(all).toContain(`document.addEventListener('vedetta:status'`);
      expect(all).toContain(`document.addEventListener('vedetta:error'`);
      expect(all).toContain(`script-src 'self' ${server.url}; connect-src 'self' ${server.url}`);
      expect(all).toContain(`<iframe src="${server.url}/widget/v1/frame?lang=${locale}&theme=auto"`);
      expect(all).toContain(`<a href="${server.url}${locale === 'it' ? '/' : '/en/'}"><img src="${server.url}/badge.svg?lang=${locale}" alt="`);
      expect(page.html).not.toMatch(/<script[^>]*widget\/v1\.js/);
      expect(page.html).not.toMatch(/<a href="http[^"]*"><img/);
      // The data-* options and events, each named in the text.
      for (const name of ['data-lang', 'data-theme', 'data-target', 'data-refresh', 'vedetta:status', 'vedetta:error']) {
        expect(page.html, name).toMatch(new RegExp(`<code[^>]*>${name}</code>`));
      }

      // Live previews from this very server: the page's own CSP allows same-origin frames and images, and the
      // frame route lets any page frame it.
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toMatch(/frame-src|child-src/);
      expect(csp).toMatch(/img-src 'self'/);
      const frameSrc = decode(/<iframe class="embed-frame"[^>]*src="([^"]+)"/.exec(page.html)?.[1] ?? '');
      expect(frameSrc).toBe(`/widget/v1/frame?lang=${locale}&theme=light`);
      expect(page.html).toMatch(/<iframe class="embed-frame"[^>]*title="[^"]+"/);
      const frame = await fetch(`${server.url}${frameSrc}`);
      expect(frame.status).toBe(200);
      expect(frame.headers.get('content-security-policy')).toContain('frame-ancestors *');
      expect(await frame.text()).toContain(`<html lang="${locale}">`);
      const previews = attr(page.html, /<img src="(\/badge\.svg[^"]*)"/g).map(decode);
      expect(previews).toEqual([`/badge.svg?lang=${locale}`, `/badge.svg?lang=${locale}&style=flat-square`]);
      for (const src of previews) {
        const badge = await fetch(`${server.url}${src}`);
        expect(badge.status, src).toBe(200);
        expect(badge.headers.get('content-type'), src).toMatch(/^image\/svg\+xml/);
        await badge.body?.cancel();
      }

      // One badge address per service the home page lists, and each one answers with an image.
      const badges = attr(page.html, /<code[^>]*>(https?:\/\/[^<]+\/badge\.svg\?lang=[a-z]+)<\/code>/g).filter((u) => u.includes('/services/'));
      const keys = badges.map((u) => new RegExp(`^${server.url}/services/([A-Za-z0-9_-]+)/badge\\.svg\\?lang=${locale}$`).exec(u)?.[1]);
      expect(new Set(keys)).toEqual(homeKeys);
      for (const url of badges) {
        const badge = await fetch(url);
        expect(badge.status, url).toBe(200);
        expect(await badge.text(), url).toMatch(/^<svg /);
      }

      // Linked from the footer's "Follow the updates" and from the webhooks page, in the same language.
      const follow = /<nav class="follow" aria-labelledby="follow-title">([\s\S]*?)<\/nav>/.exec(page.html)?.[1] ?? '';
      expect(follow).toContain(`<a href="${path}">`);
      expect((await get(server.url, locale === 'it' ? '/webhooks' : '/en/webhooks')).html).toContain(`<a href="${path}">`);

      // A public page like its siblings: an ETag, a CDN-friendly Cache-Control, 304 when unchanged.
      const etag = response.headers.get('etag');
      expect(etag).toBeTruthy();
      expect(response.headers.get('cache-control')).toContain('s-maxage=');
      const again = await fetch(`${server.url}${path}`, { headers: { 'If-None-Match': etag! } });
      expect(again.status).toBe(304);
    }
  });

  it('every page’s footer shows the ways to follow the updates, in the page’s language, and each one answers', async () => {
    const expected = {
      it: ['/subscribe', '/feed.rss', '/feed.atom', '/api/v2/summary.json', '/webhooks', '/embed'],
      en: ['/en/subscribe', '/en/feed.rss', '/en/feed.atom', '/api/v2/summary.json?lang=en', '/en/webhooks', '/en/embed'],
    };
    const answered = new Map<string, number>();
    for (const [path, locale] of [
      ['/', 'it'],
      ['/en/', 'en'],
      [incidentPath, 'it'],
      ['/history', 'it'],
      ['/en/faq', 'en'],
      ['/en/embed', 'en'],
      ['/subscribe', 'it'],
      ['/en/services/receiving', 'en'],
      ['/no-such-page', 'it'],
    ] as const) {
      const page = await get(server.url, path);
      const follow = /<nav class="follow" aria-labelledby="follow-title">([\s\S]*?)<\/nav>/.exec(page.html)?.[1] ?? '';
      expect(text(follow).trim(), path).toBe(
        locale === 'it'
          ? 'Seguite gli aggiornamenti Avvisi via e-mail Feed RSS Feed Atom JSON (API compatibile con Statuspage) Webhook per i vostri sistemi Lo stato sul vostro sito (widget e badge)'
          : 'Follow the updates E-mail alerts RSS feed Atom feed JSON (Statuspage-compatible API) Webhooks for your systems Status on your site (widget and badges)',
      );
      const hrefs = attr(follow, /href="([^"]+)"/g).map((h) => h.replace(/&amp;/g, '&'));
      expect(hrefs, path).toEqual(expected[locale]);
      for (const href of hrefs) if (!answered.has(href)) answered.set(href, (await get(server.url, href)).status);
    }
    expect(Object.fromEntries(answered)).toEqual(Object.fromEntries([...expected.it, ...expected.en].map((h) => [h, 200])));
    // The English feeds are the English texts, the JSON too.
    expect((await get(server.url, '/en/feed.rss')).html).toContain('· Service status]]></title>');
    expect((await get(server.url, '/api/v2/summary.json?lang=en')).html).toContain('"Web portal"');
  });

  it('unknown incidents, services and paths get the site 404 page in the language of the URL', async () => {
    for (const [path, lang, title] of [
      ['/incidents/nope', 'it', 'Pagina non trovata'],
      ['/services/nope', 'it', 'Pagina non trovata'],
      ['/en/incidents/nope', 'en', 'Page not found'],
      ['/en/services/nope', 'en', 'Page not found'],
      ['/no-such-page', 'it', 'Pagina non trovata'],
    ] as const) {
      const page = await get(server.url, path);
      expect(page.status, path).toBe(404);
      expect(page.html, path).toMatch(new RegExp(`<html lang="${lang}"`));
      expect(text(page.html), path).toContain(title);
      expect(page.html, path).toContain('name="robots" content="noindex"');
    }
  });

  it('sends the standard reason phrase of each status, not "OK" on a page that answers an error', async () => {
    const form = 'application/x-www-form-urlencoded';
    for (const [method, path, body, status] of [
      ['GET', '/', '', 200],
      ['GET', '/incidents/nope', '', 404],
      // Pages that set Astro.response.status themselves: a subscription form with no address, a forged sign-in.
      ['POST', '/subscribe', 'email=', 400],
      ['POST', '/admin/sign-in', 'email=a%40example.org&password=x&_csrf=forged', 403],
    ] as const) {
      const line = await statusLine(server.port, method, path, body ? { 'Content-Type': form, Origin: server.url } : {}, body);
      expect(line, `${method} ${path}`).toBe(`HTTP/1.1 ${status} ${STATUS_CODES[status]}`);
    }
  });
});

describe('operator Markdown on the incident page', () => {
  let server: RunningServer | undefined;
  let dataDir = '';
  let incidentId = '';
  let cancelledId = '';

  beforeAll(async () => {
    // Written with the service functions into a data folder of our own, then served by the built server.
    dataDir = mkdtempSync(join(tmpdir(), 'vedetta-pages-'));
    const database = await openDatabase({ dataDir });
    try {
      await database.migrate(MIGRATIONS_DIR);
      const start = new Date(Date.now() - 3 * 3600_000);
      const ctx: Ctx = { db: database.db, now: () => new Date(), actor: SYSTEM_ACTOR, timeZone: 'Europe/Rome', siteUrl: 'http://localhost' };
      await createService(ctx, { key: 'web', name: { it: 'Portale web', en: 'Web portal' }, since: new Date(start.getTime() - 86_400_000) });
      const { incident } = await createIncident(ctx, {
        title: { it: 'Titolo <script>alert("title")</script> *enfasi*' },
        impact: 'major',
        startedAt: start,
        // Already passed: the page must say the promise is overdue.
        nextUpdateBy: new Date(Date.now() - 600_000),
        body: { it: 'Primo aggiornamento.', en: 'First update.' },
        services: [{ service: 'web', status: 'partial_outage' }],
        notify: false,
      });
      incidentId = incident.id;
      await postIncidentUpdate(ctx, {
        incidentId,
        status: 'identified',
        displayAt: new Date(Date.now() - 3600_000),
        body: {
          it: [
            'Testo **in grassetto**.',
            '<script>alert("xss")</script>',
            '<img src="x" onerror="alert(2)">',
            '[link](javascript:alert(3))',
            '<a href="https://example.com" onclick="alert(4)">esempio</a>',
            '<iframe src="https://example.com"></iframe>',
          ].join('\n\n'),
        },
        notify: false,
      });
      await addFaqEntry(ctx, {
        incidentId,
        question: { it: 'Domanda con <script>alert(5)</script>?' },
        answer: { it: 'Risposta <style>body{display:none}</style> **ok**.' },
      });
      // A window called off before it started: it never ran.
      const planned = await scheduleMaintenance(ctx, {
        title: { it: 'Manutenzione rinviata', en: 'Postponed maintenance' },
        services: ['web'],
        scheduledStart: new Date('2099-03-05T19:00:00Z'),
        scheduledEnd: new Date('2099-03-05T20:00:00Z'),
        notify: false,
      });
      cancelledId = planned.id;
      await completeMaintenance(ctx, { maintenanceId: cancelledId });
      // Enough past incidents for a second history page.
      for (let i = 0; i < 21; i++) {
        const at = new Date(start.getTime() - (i + 1) * 86_400_000);
        const past = await createIncident(ctx, {
          title: { it: `Incidente passato ${i + 1}`, en: `Past incident ${i + 1}` },
          impact: 'minor',
          startedAt: at,
          body: { it: 'Rallentamenti.' },
          notify: false,
        });
        await postIncidentUpdate(ctx, {
          incidentId: past.incident.id,
          status: 'resolved',
          displayAt: new Date(at.getTime() + 1800_000),
          body: { it: 'Risolto.' },
          notify: false,
        });
      }
    } finally {
      await database.close();
    }
    // DATABASE_URL '' keeps the server on this PGlite folder even when TEST_DATABASE_URL is set.
    server = await startServer({ DATA_DIR: dataDir, VEDETTA_DEMO: 'off', DATABASE_URL: '' });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('renders Markdown but never a script, an event handler or a javascript: link', async () => {
    for (const prefix of ['', '/en']) {
      const page = await get(server!.url, `${prefix}/incidents/${incidentId}`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('<strong>in grassetto</strong>');
      // Elements are looked for outside attribute values: a title="… <script> …" attribute is inert text
      // (the feed link carries the incident title), an element would run.
      const markup = page.html.replace(/="[^"]*"/g, '=""');
      expect(markup).not.toMatch(/<script/i);
      expect(markup).not.toMatch(/<iframe/i);
      expect(markup).not.toMatch(/<style>body/i);
      expect(page.html).not.toMatch(/\son(error|click|load)\s*=/i);
      expect(page.html).not.toMatch(/href="\s*javascript:/i);
      expect(page.html).not.toContain('alert("xss")');
      // The English page falls back to the Italian text and says so with lang="it".
      if (prefix) expect(page.html).toMatch(/<div class="prose" lang="it">/);
    }
  });

  it('paginates the history, and the language switch keeps the page', async () => {
    const first = await get(server!.url, '/history');
    expect(first.html).toMatch(/<a href="\/history\?page=2" rel="next"/);
    expect(first.html).not.toContain('rel="prev"');
    const second = await get(server!.url, '/history?page=2');
    expect(second.status).toBe(200);
    expect(second.html).toMatch(/<a href="\/history" rel="prev"/);
    expect(text(second.html)).toContain('Pagina 2 di 2');
    expect(second.html).toMatch(/<a href="\/en\/history\?page=2" hreflang="en"/);
    // Past the end: the last page, not an error.
    expect(text((await get(server!.url, '/history?page=9')).html)).toContain('Pagina 2 di 2');
    const en = await get(server!.url, '/en/history?page=2');
    expect(text(en.html)).toContain('Page 2 of 2');
    expect(en.html).toMatch(/<a href="\/en\/history" rel="prev"/);
  });

  it('flags an overdue next-update promise in words, not only in colour', async () => {
    const page = await get(server!.url, `/incidents/${incidentId}`);
    expect(page.html).toMatch(/class="next-update overdue"/);
    expect(text(page.html)).toMatch(/Prossimo aggiornamento entro .* in ritardo/);
    const en = await get(server!.url, `/en/incidents/${incidentId}`);
    expect(text(en.html)).toMatch(/Next update by .* overdue/);
  });

  it('a window closed before it started reads cancelled, with its planned window (where its e-mail links)', async () => {
    for (const [prefix, words] of [['', /Manutenzione rinviata Annullata Finestra: 5 mar 2099, 20:00 CET – 5 mar 2099, 21:00 CET/], ['/en', /Postponed maintenance Cancelled Window: 5 Mar 2099, 20:00 CET – 5 Mar 2099, 21:00 CET/]] as const) {
      const page = await get(server!.url, `${prefix}/services/web`);
      const card = page.html.slice(page.html.indexOf(`id="maintenance-${cancelledId}"`));
      expect(text(card.slice(0, card.indexOf('</li>'))), prefix).toMatch(words);
    }
  });
});
