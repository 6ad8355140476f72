/**
 * Smoke test of the browser harness: the built server with the demo scenario, its home page in Chromium at a
 * desktop and a phone width, WCAG 2.1 AA checks by axe-core, and a screenshot of each width in
 * tests/.output/screenshots/.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { axe, formatViolations, screenshot, useBrowser } from '../support/browser.ts';
import { useServer } from '../support/server.ts';

describe('home page in Chromium', () => {
  const server = useServer();
  const browser = useBrowser();

  for (const width of [1280, 390]) {
    it(`renders at ${width} px with no WCAG 2.1 AA violations`, async () => {
      const page = await browser.newPage({ width });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));

      const response = await page.goto(`${server.url}/`, { waitUntil: 'load' });
      expect(response?.status(), server.logs()).toBe(200);
      await page.locator('h1').first().waitFor({ timeout: 30_000 });
      expect(await page.title()).not.toBe('');
      expect(await page.getAttribute('html', 'lang')).toBeTruthy();

      const file = await screenshot(page, `home-${width}`);
      expect(existsSync(file)).toBe(true);

      const violations = await axe(page);
      expect(formatViolations(violations), 'axe-core found WCAG 2.1 AA violations').toBe('');

      // The page must not overflow sideways at phone width.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
    });
  }
});
