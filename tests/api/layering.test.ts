/**
 * The HTTP layer is a thin adapter: it parses, calls a service, maps the result. It never touches the database
 * itself (no drizzle-orm, nothing from db/), so no route can skip the services' validation, authorization,
 * transactions or audit trail. Checked here as well as by lint, so it holds even where lint is not run.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../support/paths.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|tsx|js|mjs)$/.test(name) ? [path] : [];
  });
}

it('nothing under src/http imports drizzle-orm or db/', () => {
  const files = sources(join(ROOT, 'src/http'));
  expect(files.length).toBeGreaterThan(10);
  const offenders: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec === 'drizzle-orm' || spec.startsWith('drizzle-orm/') || /(^|\/)db\//.test(spec)) {
        offenders.push(`${relative(ROOT, file)}: ${spec}`);
      }
    }
  }
  expect(offenders).toEqual([]);
});
