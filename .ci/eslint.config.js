// ESLint 9 flat config, run from the repository root: `npm run lint` (eslint -c .ci/eslint.config.js .).
// With -c, ESLint 9 resolves the `files`/`ignores` patterns below from the working directory (the root).
//
// Its reason to exist is the LAYER RULE (docs: /work/shared/ARCHITECTURE.md, "Layers"):
//   - pages, components, layouts and http are thin adapters: no drizzle-orm, nothing from db/ — they call
//     services (Astro.locals / the runtime) instead.
//   - domain is pure: no database, no Astro virtual modules, no file system or network, no drivers.
// Everything else is the recommended sets of @eslint/js, typescript-eslint and eslint-plugin-astro, with
// style-only findings as warnings so they never block.
import js from '@eslint/js';
import astro from 'eslint-plugin-astro';
import tseslint from 'typescript-eslint';

const drizzle = {
  group: ['drizzle-orm', 'drizzle-orm/*'],
  message: 'Only services (and db/) talk to the database: call a service instead of using drizzle-orm here.',
};
// Any import whose path has a `db` folder in it: ../../db/schema/index.ts, ../../db/client.ts, @/db/...
const dbFolder = {
  regex: '(^|/)db(/|$)',
  message: 'db/ (schema, client, migrations) belongs to the services layer: call a service instead.',
};

export const ADAPTER_LAYERS = ['src/pages/**', 'src/components/**', 'src/layouts/**', 'src/http/**'];
export const DOMAIN_LAYER = ['src/domain/**'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.astro/**',
      'data/**',
      'coverage/**',
      'tests/.output/**',
      'db/migrations/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...astro.configs['flat/recommended'],
  {
    // The frontmatter is TypeScript. eslint-plugin-astro looks for a TS parser from the working directory;
    // name it so the result does not depend on where ESLint runs.
    files: ['**/*.astro'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts,astro}'],
    rules: {
      // TypeScript (and astro check) already know every global; ESLint's list would only be wrong.
      'no-undef': 'off',
      // Style and taste: reported, never blocking.
      '@typescript-eslint/no-unused-vars': [
        'warn',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-empty-object-type': 'warn',
      'prefer-const': 'warn',
      // Stripping control characters (feeds, headers) is deliberate here; a warning is enough.
      'no-control-regex': 'warn',
      // vitest fixtures are written `async ({}, use) => ...`.
      'no-empty-pattern': 'off',
    },
  },
  {
    files: ADAPTER_LAYERS,
    rules: {
      'no-restricted-imports': ['error', { patterns: [drizzle, dbFolder] }],
    },
  },
  {
    files: DOMAIN_LAYER,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...['node:fs', 'fs', 'node:fs/promises', 'fs/promises', 'node:net', 'net', 'postgres'].map((name) => ({
              name,
              message: 'domain/ is pure rules: no file system, network or database driver (do I/O in a service).',
            })),
          ],
          patterns: [
            drizzle,
            dbFolder,
            { group: ['astro:*'], message: 'domain/ must not depend on Astro: plain vitest covers it.' },
            { group: ['@electric-sql/*'], message: 'domain/ is pure rules: no database driver.' },
          ],
        },
      ],
    },
  },
);
