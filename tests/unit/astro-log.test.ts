/**
 * Astro's own log events (the `logger` of astro.config.mjs): lines of the process's structured log in the server,
 * Astro's usual lines in its commands.
 */
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import astroLog, { logAstroAsJson } from '../../src/app/astro-log.ts';
import { configureLog } from '../../src/app/log.ts';

/** Astro's warning after the first request, word for word (astro/dist/core/app/base.js). */
const FEATURE_CHECK = (feature: string) =>
  `Your project uses ${feature}, but your custom src/fetch.ts does not call the ${feature}() handler. This feature will not work unless your fetch handler calls it.`;

let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines = [];
  configureLog({ level: 'info', write: (line) => lines.push(JSON.parse(line)) });
});
afterAll(() => configureLog({}));

describe("Astro's log destination", () => {
  const destination = astroLog();

  // First: the switch (`in the server` below) is for the life of the process, as in the server.
  it("writes Astro's usual line until the server switches it to JSON (Astro's commands: build, dev, check), without the feature check", () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      destination.write({ level: 'info', label: 'build', message: 'Complete!', newLine: true });
      destination.write({ level: 'warn', label: 'router', message: FEATURE_CHECK('middleware'), newLine: true });
    } finally {
      spy.mockRestore();
    }
    // Astro's own format: a time, the label, the message (coloured where the terminal supports it).
    expect(stripVTControlCharacters(written.join(''))).toMatch(/^[^\n]*\[build\] Complete!\n$/);
    expect(lines).toEqual([]);
  });

  describe('in the server', () => {
    beforeAll(() => logAstroAsJson());

    it('writes an event as one JSON line of our log, with its level and label, colours and trailing newline removed', () => {
      destination.write({ level: 'error', label: 'router', message: '\u001b[31mError: render failed\n    at Page (page.astro:3:9)\u001b[39m\n', newLine: true });
      expect(lines).toEqual([
        { time: expect.any(String), level: 'error', msg: 'Error: render failed\n    at Page (page.astro:3:9)', source: 'astro', label: 'router' },
      ]);
    });

    it('leaves the label out when Astro gives none, and applies LOG_LEVEL as to every other line', () => {
      destination.write({ level: 'warn', label: null, message: 'something to know', newLine: true });
      destination.write({ level: 'debug', label: 'router', message: 'below the level', newLine: true });
      destination.write({ level: 'silent', label: null, message: 'never written', newLine: true });
      expect(lines).toEqual([{ time: expect.any(String), level: 'warn', msg: 'something to know', source: 'astro' }]);
    });

    it("drops Astro's first-request feature check there too, whose warnings name features that work", () => {
      for (const feature of ['actions', 'middleware', 'i18n']) {
        destination.write({ level: 'warn', label: 'router', message: FEATURE_CHECK(feature), newLine: true });
      }
      destination.write({ level: 'warn', label: 'router', message: 'Your project uses something else entirely', newLine: true });
      expect(lines.map((l) => l.msg)).toEqual(['Your project uses something else entirely']);
    });
  });
});
