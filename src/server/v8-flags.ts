/**
 * Imported FIRST by the server entry (before the bundle's graph is evaluated): restarts this very process
 * (`process.execve`: same pid, same open descriptors, same environment) with a bounded V8 young generation.
 *
 * Why: V8 sizes the young generation from the heap limit, which it derives from the machine's memory. On a
 * 24 GB machine that is 3 × 32 MB semi-spaces, and under a flood of readers (every hit allocates a little) it
 * grows to its maximum and stays there: measured, the server's RSS after boot with the large data set was
 * ~255 MB with the default against ~128 MB with `--max-semi-space-size=8`, while the live objects (old space)
 * are ~30-45 MB either way. A scavenge costs in proportion to what survives, not to what was allocated, and a
 * cache hit's allocations die young, so the smaller nursery costs no measurable throughput (see README,
 * "Performance"). A V8 flag that sizes the heap must be given at start; `v8.setFlagsFromString` later has no
 * effect on the semi-space size, hence the re-exec.
 *
 * Skipped when the operator chose a semi-space size (on the command line or in NODE_OPTIONS), when
 * VEDETTA_NODE_FLAGS=off, or where execve does not exist (Windows).
 */
const FLAG = '--max-semi-space-size';
const DEFAULT_SEMI_SPACE_MB = 8;

function chosen(): boolean {
  return process.execArgv.some((a) => a.startsWith(FLAG)) || (process.env.NODE_OPTIONS ?? '').includes(FLAG);
}

if (process.env.VEDETTA_NODE_FLAGS !== 'off' && !chosen() && typeof process.execve === 'function' && process.argv[1]) {
  process.execve(process.execPath, [process.execPath, `${FLAG}=${DEFAULT_SEMI_SPACE_MB}`, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

export {};
