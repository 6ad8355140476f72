import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root: every test helper resolves files from here, never from the working directory. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MIGRATIONS_DIR = join(ROOT, 'db/migrations');
export const OUTPUT_DIR = join(ROOT, 'tests/.output');
/** Where tests/setup/build.ts puts the tests' own `astro build` (see there why not dist/). */
// VEDETTA_TEST_BUILD_DIR lets two people (or agents) working in one tree keep separate test builds.
export const BUILD_DIR = process.env.VEDETTA_TEST_BUILD_DIR ?? join(ROOT, 'node_modules/.cache/vedetta-tests/dist');
export const SERVER_ENTRY = join(BUILD_DIR, 'server/entry.mjs');
