import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm test`: unit (pure), db (service layer + db client on a database) and e2e (HTTP against the built
 * server). Browser tests have their own config (tests/vitest.browser.config.ts, `npm run test:browser`).
 * With TEST_DATABASE_URL set (`npm run test:pg`), the db project runs on that PostgreSQL server and the e2e
 * servers get a fresh database on it through DATABASE_URL.
 */
const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  test: {
    // These machines have 2 cores; each PGlite or server is a heavy process.
    maxWorkers: 2,
    watch: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'db',
          // Everything that is not unit, e2e or browser: tests/integration, tests/db, tests/api, tests/public…
          // so a new folder of tests can never be silently left out of `npm test`.
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/unit/**', 'tests/e2e/**', 'tests/browser/**', '**/node_modules/**'],
          globalSetup: ['tests/setup/pglite-snapshot.ts'],
          // Loading a PGlite or creating a database takes seconds on a busy 2-core machine.
          hookTimeout: 60_000,
          // A file-scoped fixture (dbTest's `database`) is created inside the file's first test.
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/setup/build.ts'],
          hookTimeout: 240_000, // above the server boot timeout (tests/support/server.ts)
          testTimeout: 30_000,
        },
      },
    ],
  },
});
