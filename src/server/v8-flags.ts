/**
 * Imported FIRST by the server entry (before the bundle's graph is evaluated): restarts this very process
 * (`process.execve`: same pid, same open descriptors, same environment) with V8 flags that bound its memory.
 * A V8 flag that sizes the heap or picks the WebAssembly compilers must be given at start (`v8.setFlagsFromString`
 * later has no effect on either), hence the re-exec.
 *
 * `--max-semi-space-size=8`: V8 sizes the young generation from the heap limit, which it derives from the
 * machine's memory. On a 24 GB machine that is 3 × 32 MB semi-spaces, and under a flood of readers (every hit
 * allocates a little) it grows to its maximum and stays there: measured, the server's RSS after boot with the
 * large data set was ~255 MB with the default against ~128 MB with this flag, while the live objects (old space)
 * are ~30-45 MB either way. A scavenge costs in proportion to what survives, not to what was allocated, and a
 * cache hit's allocations die young, so the smaller nursery costs no measurable throughput (README, "Performance").
 *
 * `--liftoff-only`, on the embedded database only (no DATABASE_URL): PGlite is PostgreSQL compiled to
 * WebAssembly, and V8 compiles a hot WebAssembly function twice, first with its baseline compiler (Liftoff), then
 * again with the optimising one (TurboFan), keeping both and compiling on background threads. For PGlite's large
 * module that took the process from ~230 MB to a peak of 670-800 MB within the first few hundred page reads;
 * with Liftoff only it stays at ~230-250 MB, for ~10-15 % more CPU per database read (README, "Performance").
 *
 * A flag the operator already gave (on the command line or in NODE_OPTIONS) is left alone; VEDETTA_NODE_FLAGS=off
 * turns the re-exec off; nothing happens where execve does not exist (Windows).
 */
const SEMI_SPACE = '--max-semi-space-size';
const DEFAULT_SEMI_SPACE_MB = 8;

function given(prefix: string): boolean {
  return process.execArgv.some((a) => a.startsWith(prefix)) || (process.env.NODE_OPTIONS ?? '').includes(prefix);
}

function wanted(): string[] {
  const flags: string[] = [];
  if (!given(SEMI_SPACE)) flags.push(`${SEMI_SPACE}=${DEFAULT_SEMI_SPACE_MB}`);
  const embedded = !process.env.DATABASE_URL;
  if (embedded && !given('--liftoff') && !given('--no-liftoff') && !given('--wasm-')) flags.push('--liftoff-only');
  return flags;
}

const flags = process.env.VEDETTA_NODE_FLAGS === 'off' ? [] : wanted();
if (flags.length > 0 && typeof process.execve === 'function' && process.argv[1]) {
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

export {};
