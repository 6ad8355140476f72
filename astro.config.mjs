// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone', bodySizeLimit: 1024 * 1024 }),
  server: { port: 4321, host: '127.0.0.1' },
  // Operator sessions live in our own table (issue 3); the adapter's disk sessions would not be shared across instances.
  session: false,
  i18n: {
    locales: ['it', 'en'],
    defaultLocale: 'it',
    routing: { prefixDefaultLocale: false },
  },
  vite: {
    // PGlite loads its WASM and data files relative to its own module: bundling it breaks those paths.
    ssr: { external: ['@electric-sql/pglite'] },
  },
});
