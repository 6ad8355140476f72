/**
 * Browser tests: Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`) driven by playwright-core.
 * Playwright's own browser download cannot work on these machines, so the executable is always given.
 *
 *   const server = useServer();
 *   const browser = useBrowser();
 *   it('renders', async () => {
 *     const page = await browser.newPage({ width: 390 });
 *     await page.goto(server.url + '/');
 *     expect(formatViolations(await axe(page))).toBe('');
 *     await screenshot(page, 'home-390');
 *   });
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { OUTPUT_DIR } from './paths.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Without the background-networking flags Chromium keeps dialling Google's hosts, which this machine's closed
 * network refuses. Playwright gives every launch a fresh, empty --user-data-dir of its own (a
 * playwright_chromiumdev_profile-* folder in the temp dir, deleted on close).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export type PageOptions = { width?: number; height?: number; locale?: string; timezoneId?: string };

/**
 * One Chromium for the enclosing describe; `newPage()` opens a page in a new context (own cookies and
 * storage), closed after each test.
 */
export function useBrowser() {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser(): Browser {
      if (!browser) throw new Error('useBrowser(): the browser exists only inside tests and hooks');
      return browser;
    },
    async newPage(opts: PageOptions = {}): Promise<Page> {
      if (!browser) throw new Error('useBrowser(): the browser exists only inside tests and hooks');
      const context = await browser.newContext({
        viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
        locale: opts.locale ?? 'it-IT',
        timezoneId: opts.timezoneId ?? 'Europe/Rome',
      });
      contexts.push(context);
      return context.newPage();
    },
  };
}

// --- accessibility -------------------------------------------------------------------------------------------

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export type AxeViolation = {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; html: string; failureSummary?: string }[];
};

let axeSource: string | undefined;

/** Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now and returns the violations. */
export async function axe(page: Page, opts: { exclude?: string[] } = {}): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Not page.addScriptTag({ content }): that adds an inline <script>, which our CSP (script-src 'self')
  // blocks. Evaluating the source through the DevTools protocol is not subject to the page's CSP, and
  // leaves the CSP itself in force (bypassCSP would hide the page's own CSP mistakes).
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  return page.evaluate(
    async ({ tags, exclude }) => {
      const axeApi = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<unknown> } }).axe;
      const result = (await axeApi.run(exclude.length ? { exclude: exclude.map((s) => [s]) } : document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      })) as { violations: AxeViolation[] };
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
      }));
    },
    { tags: AXE_TAGS, exclude: opts.exclude ?? [] },
  );
}

/** Violations as readable text ('' when there are none): `expect(formatViolations(v)).toBe('')`. */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 5)
        .map((n) => `    at ${n.target.join(' ')}\n      ${n.html.slice(0, 200)}`)
        .join('\n');
      const more = v.nodes.length > 5 ? `\n    …and ${v.nodes.length - 5} more` : '';
      return `[${v.impact ?? 'unknown'}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}${more}`;
    })
    .join('\n\n');
}

// --- screenshots ---------------------------------------------------------------------------------------------

export const SCREENSHOT_DIR = join(OUTPUT_DIR, 'screenshots');

/** Saves a full-page PNG to tests/.output/screenshots/<name>.png (gitignored) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
