/**
 * The public pages in Chromium: no WCAG 2.1 A/AA violation found by axe-core on any page in either language,
 * the day-bar details reachable with the keyboard alone, the layout holding at phone width, and screenshots
 * of the home page for people to look at (tests/.output/screenshots/).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { axe, formatViolations, screenshot, useBrowser } from '../support/browser.ts';
import { useServer } from '../support/server.ts';

/** These machines are often busy: give the browser time before calling a state wrong. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 20_000, interval: 250 });
/** The confirmation link in the `.eml` the embedded transport wrote for `email`, once it is there. */
function confirmLinkIn(dir: string, email: string): string | undefined {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const raw = readFileSync(join(dir, name), 'utf8');
    if (!raw.includes(`To: ${email}`)) continue;
    const part = raw.split('Content-Transfer-Encoding: base64\r\n\r\n')[1]?.split('\r\n--')[0] ?? '';
    return /https?:\/\/\S+\/subscribe\/confirm\/\S+/.exec(Buffer.from(part.replace(/\r\n/g, ''), 'base64').toString('utf8'))?.[0];
  }
  return undefined;
}

/**
 * Presses Tab from the top of the page until focus comes round again (or 300 presses) and says, for each
 * stop, whether it was a day bar and whether that bar was today's.
 */
async function tabStops(page: Page): Promise<{ bar: boolean; today: boolean }[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const stops: { bar: boolean; today: boolean; el: string }[] = [];
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const all = [...document.querySelectorAll('*')];
      return { bar: el.classList.contains('bar'), today: el.classList.contains('is-today'), el: `${el.tagName}#${all.indexOf(el)}` };
    });
    if (!stop || stop.el === stops[0]?.el) break;
    stops.push(stop);
  }
  return stops.map(({ bar, today }) => ({ bar, today }));
}

/** Page loads and axe runs take seconds each under load. */
const SLOW = 180_000;

describe('public pages in a browser', () => {
  const server = useServer();
  const browser = useBrowser();
  let incidentPath = '';

  beforeAll(async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    incidentPath = /href="(\/incidents\/[^"#]+)"/.exec(html)?.[1] ?? '';
    expect(incidentPath).not.toBe('');
  });

  const pages = () => [
    '/',
    '/en/',
    incidentPath,
    `/en${incidentPath}`,
    '/services/receiving',
    '/en/services/receiving',
    '/history',
    '/en/history',
    '/faq',
    '/en/faq',
    '/embed',
    '/en/embed',
    '/incidents/nope',
  ];

  it('axe-core finds no WCAG 2.1 A/AA violations, at desktop and phone widths', async () => {
    const failures: string[] = [];
    for (const width of [1280, 360]) {
      const page = await browser.newPage({ width });
      for (const path of pages()) {
        await page.goto(`${server.url}${path}`);
        // Open every <details> so the FAQ answers are checked too.
        await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
        const report = formatViolations(await axe(page));
        if (report) failures.push(`${path} @ ${width}px\n${report}`);
      }
    }
    expect(failures.join('\n\n')).toBe('');
  }, 600_000);

  it('subscription pages: the form, its answer and the manage page pass axe and work from the keyboard', async () => {
    const page = await browser.newPage({ width: 360 });
    const failures: string[] = [];
    const check = async (label: string) => {
      const report = formatViolations(await axe(page));
      if (report) failures.push(`${label}\n${report}`);
    };
    for (const path of ['/subscribe', '/en/subscribe', '/webhooks', '/en/webhooks']) {
      await page.goto(`${server.url}${path}`);
      await check(path);
    }
    const email = `browser.${Date.now()}@example.test`;
    await page.goto(`${server.url}/en/subscribe`);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Only the services chosen below').check();
    await page.getByLabel('Invoice sending').check();
    await page.getByRole('button', { name: 'Subscribe' }).press('Enter');
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await check('subscribe answer');
    // The confirmation e-mail the embedded transport wrote (tests/e2e/subscribe.test.ts reads it the same way).
    await poll(() => confirmLinkIn(`${server.dataDir}/mail`, email)).toBeTruthy();
    await page.goto(confirmLinkIn(`${server.dataDir}/mail`, email)!.replace(/^https?:\/\/[^/]+/, server.url));
    await check('confirm');
    await page.getByRole('button', { name: 'Confirm my subscription' }).press('Enter');
    await page.getByRole('heading', { name: 'Subscription confirmed' }).waitFor();
    await check('confirmed');
    await page.getByRole('link', { name: 'Manage your subscription' }).click();
    await page.getByRole('heading', { name: 'Your alert subscription' }).waitFor();
    expect(await page.getByLabel('Invoice sending').isChecked()).toBe(true);
    await check('manage');
    expect(failures.join('\n\n')).toBe('');
  }, SLOW);

  it('has one h1, a skip link that moves focus to the content, and a language switch to the same page', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}${incidentPath}`);
    expect(await page.locator('h1').count()).toBe(1);
    await page.keyboard.press('Tab');
    const skip = page.locator('.skip-link');
    await poll(() => skip.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await skip.isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    await poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');

    await page.locator('.lang-switch a').click();
    await page.waitForURL(`${server.url}/en${incidentPath}`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.locator('.lang-switch a').click();
    await page.waitForURL(`${server.url}${incidentPath}`);
    expect(await page.locator('html').getAttribute('lang')).toBe('it');
  }, SLOW);

  it('shows a bar’s details on keyboard focus and on hover, without JavaScript; each strip is one Tab stop', async () => {
    const context = await browser.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      const bar = page.locator('.service .bar').nth(89);
      const tip = bar.locator('.bar-tip');
      // Hidden from sight (a 1 px clipped box), still the button's accessible name.
      await poll(() => tip.evaluate((el) => el.getBoundingClientRect().width)).toBeLessThanOrEqual(1);
      const name = await page.evaluate(() => {
        const el = document.querySelectorAll('.service .bar')[89]!;
        return el.textContent?.replace(/\s+/g, ' ').trim() ?? '';
      });
      expect(name).toMatch(/\d{4} · oggi/);
      expect(name).toMatch(/Disponibilità|Nessun dato/);
      const snapshot = await bar.ariaSnapshot();
      expect(snapshot).toContain('button "');
      expect(snapshot).toMatch(/button "[^"]*oggi, fino a ora [^"]*Disponibilità/);

      // Without the script, a strip is still one Tab stop: today's bar, reached from the service's name.
      const stops = await tabStops(page);
      expect(stops.filter((s) => s.bar)).toHaveLength(await page.locator('.service .bars').count());
      expect(stops.filter((s) => s.bar).every((s) => s.today)).toBe(true);
      await page.locator('.service .service-name a').first().focus();
      await page.keyboard.press('Tab');
      await poll(() => bar.evaluate((el) => el === document.activeElement)).toBe(true);
      await poll(() => tip.evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(100);
      const details = (await tip.innerText()).replace(/\s+/g, ' ');
      expect(details).toMatch(/\d{4}/); // the date
      expect(details).toMatch(/Disponibilità|Nessun dato/);
      // The tooltip stays inside the viewport and is legible (white on the dark text colour).
      const box = (await tip.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(1280);
      expect(await tip.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(255, 255, 255)');
      // The arrow keys need the script: the hint does not promise them.
      expect(await page.locator('.legend-hint').first().innerText()).not.toMatch(/frecce/);

      // Focus elsewhere hides it; hovering another bar shows that bar's details.
      await page.keyboard.press('Shift+Tab');
      await poll(() => tip.evaluate((el) => el.getBoundingClientRect().width)).toBeLessThanOrEqual(1);
      const other = page.locator('.service .bar').nth(40);
      await other.hover();
      await poll(() => other.locator('.bar-tip').evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(100);

      // Every other day is in the service page's table, opened from the keyboard.
      await page.goto(`${server.url}/services/receiving`);
      const summary = page.locator('.uptime-days > summary');
      await summary.focus();
      await page.keyboard.press('Enter');
      const rows = page.locator('.uptime-days tbody tr');
      await poll(() => rows.count()).toBe(90);
      expect(await rows.nth(1).isVisible()).toBe(true);
      expect(await rows.nth(1).locator('th').innerText()).toMatch(/\d{4}/);
    } finally {
      await context.close();
    }
  }, SLOW);

  it('with JavaScript, each strip is one Tab stop and the arrow keys move between days, showing each day’s details', async () => {
    const page = await browser.newPage({ width: 1280, height: 900 });
    await page.goto(`${server.url}/`);
    const strips = await page.locator('.service .bars').count();
    expect(strips).toBeGreaterThanOrEqual(6);
    // 630 Tab stops before: now one per strip, today's bar.
    const stops = await tabStops(page);
    expect(stops.filter((s) => s.bar)).toHaveLength(strips);
    expect(stops.filter((s) => s.bar).every((s) => s.today)).toBe(true);
    expect(await page.locator('.legend-hint').first().innerText()).toMatch(/frecce sinistra e destra/);

    const strip = page.locator('.service .bars').first();
    const bars = strip.locator('.bar');
    /** Which bar of the first strip has focus (-1: none), and whether only its details are shown. */
    const focused = () =>
      strip.evaluate((el) => {
        const all = [...el.querySelectorAll('.bar')];
        const shown = all.filter((b) => b.querySelector('.bar-tip')!.getBoundingClientRect().width > 100);
        return { at: all.indexOf(document.activeElement!), shown: shown.map((b) => all.indexOf(b)) };
      });
    const dayOf = (i: number) => bars.nth(i).locator('.bar-tip > strong').innerText();

    await page.locator('.service .service-name a').first().focus();
    await page.keyboard.press('Tab');
    await poll(focused).toEqual({ at: 89, shown: [89] });
    await page.keyboard.press('ArrowLeft');
    await poll(focused).toEqual({ at: 88, shown: [88] });
    expect((await bars.nth(88).locator('.bar-tip').innerText()).replace(/\s+/g, ' ')).toContain(await dayOf(88));
    await page.keyboard.press('Home');
    await poll(focused).toEqual({ at: 0, shown: [0] });
    await page.keyboard.press('ArrowLeft'); // already the first day: stays
    await poll(focused).toEqual({ at: 0, shown: [0] });
    await page.keyboard.press('ArrowRight');
    await poll(focused).toEqual({ at: 1, shown: [1] });
    await page.keyboard.press('End');
    await poll(focused).toEqual({ at: 89, shown: [89] });

    // From a day moved to, Tab leaves the strip (not onto today's bar), and Shift+Tab comes back to today.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await poll(focused).toEqual({ at: 87, shown: [87] });
    await page.keyboard.press('Tab');
    await poll(() => page.evaluate(() => document.activeElement?.matches('.service-name a') ?? false)).toBe(true);
    expect((await focused()).at).toBe(-1);
    await page.keyboard.press('Shift+Tab');
    await poll(focused).toEqual({ at: 89, shown: [89] });
  }, SLOW);

  it('a shared link to a FAQ question opens its answer, with the question at the top, without JavaScript', async () => {
    // No script: the browser itself opens a <details> holding the link's target.
    // Reduced motion: the page scrolls smoothly otherwise, and only the end of the scroll is of interest here.
    const context = await browser.browser.newContext({ javaScriptEnabled: false, reducedMotion: 'reduce', viewport: { width: 360, height: 800 } });
    try {
      const page = await context.newPage();
      for (const path of ['/faq', '/en/faq']) {
        await page.goto(`${server.url}${path}`);
        // Each question's anchor, wherever in its <details> it sits.
        const ids = await page.locator('details.faq').evaluateAll((els) => els.map((el) => el.id || el.querySelector('[id]')!.id));
        expect(ids.length).toBeGreaterThan(3);
        // An open incident's question (listed first) and the last evergreen one, furthest down the page.
        for (const id of [ids[1]!, ids.at(-1)!]) {
          await page.goto('about:blank');
          await page.goto(`${server.url}${path}#${id}`);
          const entry = page.locator(`details.faq:is([id="${id}"], :has(> [id="${id}"]))`);
          await poll(() => entry.evaluate((el: HTMLDetailsElement) => el.open)).toBe(true);
          // Only that one: the others stay collapsed.
          expect(await page.locator('details.faq[open]').count(), id).toBe(1);
          expect(await entry.locator('.faq-answer').isVisible(), id).toBe(true);
          // Scrolled to the question itself, not to the middle of its answer (the last one as far as the page
          // goes: near the top, not at it).
          const top = () => entry.locator('summary').evaluate((el) => el.getBoundingClientRect().top);
          await poll(top).toBeLessThan(200);
          expect(await top(), id).toBeGreaterThanOrEqual(0);
        }
      }
    } finally {
      await context.close();
    }
  }, SLOW);

  it('fits a 360 px phone: no horizontal scrolling, the last 30 days of bars shown', async () => {
    const page = await browser.newPage({ width: 360, height: 800 });
    for (const path of ['/', incidentPath, '/services/receiving', '/history', '/faq']) {
      await page.goto(`${server.url}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await page.goto(`${server.url}/`);
    const bars = page.locator('.service').first().locator('.bar:visible');
    expect(await bars.count()).toBe(30);
    // Every day's details stay on the screen, from the first bar shown to today's.
    for (const i of [0, 4, 10, 20, 29]) {
      await bars.nth(i).hover();
      const tip = bars.nth(i).locator('.bar-tip');
      await poll(() => tip.evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(100);
      const box = (await tip.boundingBox())!;
      expect(box.x, `bar ${i}`).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `bar ${i}`).toBeLessThanOrEqual(360);
    }
    // The arrow keys walk the 30 days shown: Home is the first of them, not a hidden older day.
    await page.mouse.move(0, 0);
    await page.locator('.service .bar.is-today').first().focus();
    await page.keyboard.press('Home');
    await poll(() => page.evaluate(() => [...document.querySelectorAll('.service .bars')[0]!.children].indexOf(document.activeElement!.parentElement!))).toBe(60);
    const tip = page.locator('.service .bar').nth(60).locator('.bar-tip');
    await poll(() => tip.evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(100);
    const box = (await tip.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
  }, SLOW);

  it('the embed page: live previews load under its own CSP, and long code wraps inside its block at 1280 px and 375 px', async () => {
    const cases = [
      { path: '/embed', width: 1280 },
      { path: '/embed', width: 375 },
      { path: '/en/embed', width: 375 },
    ];
    for (const { path, width } of cases) {
      const page = await browser.newPage({ width, height: 900 });
      const refused: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
      });
      await page.goto(`${server.url}${path}`);
      // The live frame: same origin, allowed by the page's default-src 'self', showing the overall status.
      const frame = page.locator('iframe.embed-frame');
      await frame.scrollIntoViewIfNeeded();
      const status = page.frameLocator('iframe.embed-frame').locator('.vw .st a');
      await poll(() => status.count()).toBe(1);
      expect((await status.innerText()).trim().length).toBeGreaterThan(3);
      // The preview badges are real images, drawn.
      const drawn = () => page.locator('.embed-badges img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
      await poll(async () => (await drawn()).length === 2 && (await drawn()).every((w) => w > 0)).toBe(true);
      expect(refused, path).toEqual([]);
      // Nothing makes the page scroll sideways, and no code block needs scrolling either: long lines wrap.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${path} @ ${width}`).toBeLessThanOrEqual(0);
      const blocks = await page.locator('pre').evaluateAll((els) => els.map((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, right: el.getBoundingClientRect().right })));
      expect(blocks.length).toBeGreaterThanOrEqual(7);
      for (const b of blocks) {
        expect(b.scroll, `${path} @ ${width}`).toBeLessThanOrEqual(b.client);
        expect(b.right, `${path} @ ${width}`).toBeLessThanOrEqual(width);
      }
      const frameBox = (await frame.boundingBox())!;
      expect(frameBox.x + frameBox.width).toBeLessThanOrEqual(width);
      // embed-it-1280.png, embed-it-375.png, embed-en-375.png
      await screenshot(page, `embed-${path.startsWith('/en') ? 'en' : 'it'}-${width}`);
    }
  }, SLOW);

  it('saves screenshots of the home page at 1280 px and 390 px', async () => {
    for (const [width, lang] of [
      [1280, ''],
      [390, ''],
      [1280, '/en'],
    ] as const) {
      const page = await browser.newPage({ width, height: 900 });
      await page.goto(`${server.url}${lang}/`);
      // home-it-1280.png, home-it-390.png, home-en-1280.png
      const path = await screenshot(page, `home-${lang ? 'en' : 'it'}-${width}`);
      expect(path).toMatch(/\.png$/);
    }
  }, SLOW);
});
