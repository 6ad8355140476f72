/**
 * The embeddable widget, its iframe fallback and the badge, as a partner's page uses them: the BUILT server
 * (demo scenario) on one port, a partner page on another (a different origin), Chromium in between.
 *
 * The partner page has a strict CSP of its own (no inline styles, scripts only from the status host), so the
 * test also proves the widget needs nothing beyond `script-src`, `connect-src`, `img-src` and `frame-src` for
 * the status host.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR, axe, formatViolations, screenshot, useBrowser } from '../support/browser.ts';
import { useServer } from '../support/server.ts';

function partnerPage(status: string, opts: { lang: string; theme: string; csp: boolean }) {
  const csp = `default-src 'none'; script-src ${status}; connect-src ${status}; img-src ${status}; frame-src ${status}; style-src 'none'`;
  return `<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<title>Studio Rossi · clienti</title>
${opts.csp ? `<meta http-equiv="Content-Security-Policy" content="${csp}">` : ''}
</head>
<body>
<main>
<h1>Studio Rossi</h1>
<p>Stato del portale di fatturazione:</p>
<div id="slot"></div>
<script src="${status}/widget/v1.js" data-lang="${opts.lang}" data-theme="${opts.theme}" data-target="#slot" async></script>
<p><img id="badge" src="${status}/badge.svg?lang=${opts.lang}" alt="Stato dei servizi"></p>
<iframe id="frame" title="Stato dei servizi" src="${status}/widget/v1/frame?lang=${opts.lang}" width="420" height="220"></iframe>
</main>
</body>
</html>`;
}

describe('widget, frame and badge on a partner page', () => {
  const server = useServer();
  const browser = useBrowser();
  let partner: Server;
  let partnerUrl = '';

  beforeAll(async () => {
    partner = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://partner');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        partnerPage(server.url, {
          lang: url.searchParams.get('lang') ?? 'en',
          theme: url.searchParams.get('theme') ?? 'dark',
          csp: url.searchParams.get('csp') !== 'off',
        }),
      );
    });
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
    partnerUrl = `http://127.0.0.1:${(partner.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (!partner) return;
    partner.closeAllConnections();
    await new Promise((resolve) => partner.close(resolve));
  });

  it('renders status and latest update in a shadow root, without cookies or third-party requests', async () => {
    const page = await browser.newPage({ width: 1000 });
    // A cookie on the status host: the widget must not send it.
    await page.context().addCookies([{ name: 'tracking', value: 'nope', url: server.url }]);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const requests: { url: string; cookie: string | undefined; type: string }[] = [];
    page.on('request', async (request) => {
      const headers = await request.allHeaders();
      requests.push({ url: request.url(), cookie: headers.cookie, type: request.resourceType() });
    });
    await page.addInitScript(() => {
      document.addEventListener('vedetta:status', (e) => {
        (window as unknown as { vedettaStatus: unknown }).vedettaStatus = (e as CustomEvent).detail;
      });
    });

    const response = await page.goto(`${partnerUrl}/?lang=en&theme=dark`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);

    await expect
      .poll(() => page.evaluate(() => !!(window as unknown as { vedettaStatus?: unknown }).vedettaStatus), { timeout: 20_000 })
      .toBe(true);
    const status = (await page.evaluate(() => (window as unknown as { vedettaStatus: Record<string, unknown> }).vedettaStatus)) as {
      indicator: string;
      description: string;
      incidents: { id: string; title: string; url: string }[];
      lang: string;
    };
    expect(status.lang).toBe('en');
    expect(['none', 'minor', 'major', 'critical']).toContain(status.indicator);
    expect(status.incidents.length).toBeGreaterThan(0);
    expect(status.incidents[0]!.url).toBe(`${server.url}/en/incidents/${status.incidents[0]!.id}`);

    // Rendered inside #slot, in an open shadow root, with the server's words.
    const host = page.locator('#slot .vedetta-widget');
    await expect.poll(() => host.count(), { timeout: 20_000 }).toBe(1);
    expect(await host.evaluate((el) => !!el.shadowRoot)).toBe(true);
    const widget = host.locator('.vw');
    expect(await widget.getAttribute('class')).toBe('vw dark');
    expect(await widget.getAttribute('lang')).toBe('en');
    expect(await widget.locator('.st a').textContent()).toBe(status.description);
    expect(await widget.locator('.inc .t a').getAttribute('href')).toBe(status.incidents[0]!.url);
    expect(await widget.locator('.meta').textContent()).toMatch(/^Latest update · /);
    expect((await widget.locator('.up').textContent())!.length).toBeGreaterThan(20);
    // The constructed stylesheet applied despite the page's style-src 'none': dark background.
    expect(await widget.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(13, 17, 23)');

    // The badge image loaded cross-origin (not blocked by a same-origin resource policy).
    await expect
      .poll(() => page.locator('#badge').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), { timeout: 20_000 })
      .toBeGreaterThan(0);

    // The frame loaded cross-origin although the site forbids framing everywhere else.
    const frame = page.frameLocator('#frame');
    await expect.poll(() => frame.locator('.st a').textContent({ timeout: 2_000 }).catch(() => null), { timeout: 20_000 }).toBe(status.description);

    // Only the partner and the status host were contacted; the API call carried no cookie.
    for (const r of requests) {
      expect([partnerUrl, server.url], r.url).toContain(new URL(r.url).origin);
    }
    const apiCalls = requests.filter((r) => r.url.includes('/api/v1/public/summary'));
    expect(apiCalls.length).toBeGreaterThan(0);
    for (const call of apiCalls) expect(call.cookie, call.url).toBeUndefined();
    expect(apiCalls[0]!.url).toBe(`${server.url}/api/v1/public/summary?lang=en`);
    expect(errors).toEqual([]);

    await screenshot(page, 'widget-partner-en-dark');
  });

  it('has no WCAG 2.1 AA violations (axe-core, which needs the partner page without its strict CSP)', async () => {
    const page = await browser.newPage({ width: 1000 });
    await page.goto(`${partnerUrl}/?lang=en&theme=dark&csp=off`, { waitUntil: 'load' });
    await expect.poll(() => page.locator('#slot .vedetta-widget .vw .st a').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.frameLocator('#frame').locator('.st a').count(), { timeout: 20_000 }).toBe(1);
    const violations = await axe(page);
    expect(formatViolations(violations), 'axe-core found WCAG 2.1 AA violations').toBe('');
  });

  it('in Italian and light theme; a badge of the site answers with the SVG’s title', async () => {
    const page = await browser.newPage({ width: 390 });
    await page.goto(`${partnerUrl}/?lang=it&theme=light`, { waitUntil: 'load' });
    const widget = page.locator('#slot .vedetta-widget .vw');
    await expect.poll(() => widget.locator('.st a').count(), { timeout: 20_000 }).toBe(1);
    expect(await widget.getAttribute('lang')).toBe('it');
    expect(await widget.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 255, 255)');
    const details = widget.locator('.inc .ft a').first();
    expect(await details.textContent()).toBe('Dettagli');
    expect(await details.getAttribute('target')).toBe('_blank');
    expect(await details.getAttribute('rel')).toBe('noopener');
    await screenshot(page, 'widget-partner-it-light-390');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.locator('#badge').screenshot({ path: join(SCREENSHOT_DIR, 'badge-it.png') });

    // The badge opened on its own is an accessible image.
    const badge = await page.goto(`${server.url}/badge.svg`);
    expect(badge?.headers()['content-type']).toBe('image/svg+xml; charset=utf-8');
    const svg = await badge!.text();
    expect(svg).toMatch(/<svg [^>]*role="img"/);
    expect(svg).toMatch(/<title>stato: [^<]+<\/title>/);
    expect(badge?.headers()['cross-origin-resource-policy']).toBe('cross-origin');
  });
});
