import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_DIR, ROOT } from '../support/paths.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** Path of an uncompressed PGlite data-folder dump with every migration applied ('' on PostgreSQL). */
    pgliteSnapshot: string;
  }
}

/**
 * Creating and migrating a PGlite takes 4-9 s here; loading a dump of an already migrated one ~1.5 s.
 * So migrate once, dump it, and let every test file load the dump (tests/support/db.ts).
 * The dump is cached under node_modules/.cache keyed by the migrations' content and the PGlite version,
 * so an unchanged schema costs nothing on the next run.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgliteSnapshot', '');
    return;
  }
  const started = performance.now();
  const cacheDir = join(ROOT, 'node_modules/.cache/vedetta-tests');
  const file = join(cacheDir, `pglite-${fingerprint()}.tar`);
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    for (const old of readdirSync(cacheDir)) {
      if (old.startsWith('pglite-')) rmSync(join(cacheDir, old), { force: true });
    }
    const pg = await PGlite.create();
    try {
      await migrate(drizzle(pg), { migrationsFolder: MIGRATIONS_DIR });
      const dump = await pg.dumpDataDir('none');
      // Write then rename: a concurrent run never reads half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
      renameSync(tmp, file);
    } finally {
      await pg.close();
    }
    const ms = Math.round(performance.now() - started);
    console.log(`[pglite-snapshot] migrated template written in ${ms} ms: ${relative(ROOT, file)}`);
  }
  project.provide('pgliteSnapshot', file);
}

function fingerprint(): string {
  const hash = createHash('sha256');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'));
  hash.update(`pglite@${pkg.version}\n`);
  for (const path of listFiles(MIGRATIONS_DIR)) {
    hash.update(`${relative(MIGRATIONS_DIR, path)}\n`);
    hash.update(readFileSync(path));
  }
  return hash.digest('hex').slice(0, 16);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}
