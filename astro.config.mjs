// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';
import { fileURLToPath } from 'node:url';

/**
 * The node adapter, with src/server/entry.ts as the built server entry instead of the adapter's standalone
 * server: that entry answers cached public pages itself and hands the rest to the adapter's handler. Building it
 * INTO the bundle (not a separate script importing the bundle) keeps one module graph: one database client, one
 * cache. Everything else (static files, options, the virtual config module) stays the adapter's.
 */
function nodeWithFastPath(options) {
  const integration = node(options);
  const configDone = integration.hooks['astro:config:done'];
  integration.hooks['astro:config:done'] = (params) =>
    configDone({
      ...params,
      setAdapter: (adapter) => params.setAdapter({ ...adapter, serverEntrypoint: fileURLToPath(new URL('./src/server/entry.ts', import.meta.url)) }),
    });
  return integration;
}

export default defineConfig({
  output: 'server',
  // No limit here: src/http/body-limit.ts sets it, answering 413 (Astro's throws mid-read, which becomes a 500).
  adapter: nodeWithFastPath({ mode: 'standalone', bodySizeLimit: 0 }),
  server: { port: 4321, host: '127.0.0.1' },
  // Operator sessions live in our own table (issue 3); the adapter's disk sessions would not be shared across instances.
  session: false,
  // Astro's own messages (a render error, a router warning) as JSON lines of our log, like every other line.
  logger: { entrypoint: new URL('./src/app/astro-log.ts', import.meta.url) },
  i18n: {
    locales: ['it', 'en'],
    defaultLocale: 'it',
    routing: { prefixDefaultLocale: false },
  },
  vite: {
    build: {
      // Astro inlines a small processed <script> into the page, which the CSP (script-src 'self') would refuse:
      // scripts always go to their own file under /_astro/. Other assets keep Vite's default rule.
      assetsInlineLimit: (file) => (file.endsWith('.js') ? false : undefined),
    },
    // PGlite loads its WASM and data files relative to its own module: bundling it breaks those paths.
    ssr: { external: ['@electric-sql/pglite'] },
  },
});
