import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILD_DIR, ROOT, SERVER_ENTRY } from '../support/paths.ts';

/**
 * e2e and browser tests run the BUILT server. Build it once per run when it is missing or older than any
 * source it is made from, so a fresh clone passes `npm test` right after `npm install`, and an unchanged
 * tree costs one directory walk.
 *
 * The tests' build goes to its own folder (node_modules/.cache/vedetta-tests/dist), not dist/: a test run
 * then never rebuilds the dist/ a developer is serving, and a developer's `npm run build` never swaps the
 * files under a running test server. It is the same `astro build`, only with --outDir.
 */
const SOURCES = ['src', 'db', 'content', 'public', 'astro.config.mjs', 'package.json', 'package-lock.json', 'tsconfig.json'];
const LOCK = join(BUILD_DIR, '..', 'build.lock');

export default async function setup() {
  if (!staleReason()) return;
  await withBuildLock(() => {
    // Another run may have built it while we waited for the lock.
    const reason = staleReason();
    if (!reason) return;
    const started = performance.now();
    console.log(`[build] astro build --outDir ${relative(ROOT, BUILD_DIR)} (${reason})`);
    // process.execPath is the Node 24 that runs vitest; the machine's own node may be too old for astro.
    const result = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--outDir', BUILD_DIR],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' }, maxBuffer: 64 * 1024 * 1024 },
    );
    if (result.status !== 0) {
      rmSync(SERVER_ENTRY, { force: true }); // never test a half-built server
      throw new Error(`astro build failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
    console.log(`[build] done in ${Math.round(performance.now() - started)} ms`);
  });
}

function staleReason(): string | undefined {
  if (!existsSync(SERVER_ENTRY)) return 'no build yet';
  const built = statSync(SERVER_ENTRY).mtimeMs;
  for (const source of SOURCES) {
    const newer = findNewer(join(ROOT, source), built);
    if (newer) return `${relative(ROOT, newer)} changed since the last build`;
  }
  return undefined;
}

function findNewer(path: string, than: number): string | undefined {
  if (!existsSync(path)) return undefined;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs > than ? path : undefined;
  for (const entry of readdirSync(path)) {
    const found = findNewer(join(path, entry), than);
    if (found) return found;
  }
  return undefined;
}

/** Two test runs at once (vitest and the browser suite, two terminals) must not build into one folder. */
async function withBuildLock(fn: () => void) {
  mkdirSync(join(BUILD_DIR, '..'), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(LOCK, 'utf8').trim());
      if (!owner || !isAlive(owner)) {
        rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another test run (pid ${owner}) has been building for 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
