import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: pages in Debian's Chromium (/usr/bin/chromium) driven by playwright-core from
 * node tests (tests/support/browser.ts). Not part of `npm test`: it needs the chromium package.
 */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    name: 'browser',
    include: ['tests/browser/**/*.test.ts'],
    globalSetup: ['tests/setup/build.ts'],
    // One server and one Chromium per file already use both cores.
    maxWorkers: 1,
    watch: false,
    hookTimeout: 240_000, // above the server boot timeout (tests/support/server.ts)
    testTimeout: 60_000,
  },
});
