/**
 * Where Astro's own messages go (`logger` in astro.config.mjs). In the production server they become lines of the
 * process's structured log, so that every line it writes is one JSON object: a render error's stack, a router
 * warning. Astro's commands (build, dev, check) load this module too, outside the server: they keep Astro's usual
 * lines for the person at the terminal. Astro filters by its own level first; in the server LOG_LEVEL then applies
 * as to every other line.
 */
import { stripVTControlCharacters } from 'node:util';
import type { AstroLoggerDestination, AstroLoggerMessage } from 'astro';
import forTerminal from 'astro/logger/node';
import { log } from './log.ts';

let structured = false;

/** Called by the production server (src/server/http-server.ts) before its first request. */
export function logAstroAsJson(): void {
  structured = true;
}

/**
 * After the first request only, Astro warns about each of its features that src/fetch.ts did not call for it. Behind
 * an orchestrator (or a developer's first look) that request is often a probe (/healthz), which by design reaches
 * none of them, and `actions` counts as configured in a project without any: the warnings would say that working
 * pages are broken. Dropped in both modes.
 */
const FIRST_REQUEST_FEATURE_CHECK = /^Your project uses \w+, but your custom src\/fetch\.ts does not call the/;

function writeToLog(event: AstroLoggerMessage): void {
  if (event.level === 'silent') return;
  log[event.level](stripVTControlCharacters(event.message).trim(), { source: 'astro', ...(event.label ? { label: event.label } : {}) });
}

export default function astroLog(): AstroLoggerDestination {
  const terminal = forTerminal();
  return {
    write(event) {
      if (event.label === 'router' && FIRST_REQUEST_FEATURE_CHECK.test(event.message)) return;
      if (structured) writeToLog(event);
      else terminal.write(event);
    },
  };
}
