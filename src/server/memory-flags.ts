/**
 * Imported FIRST by the server entry (before the bundle's graph is evaluated): restarts this very process
 * (`process.execve`: same pid, same open descriptors) with the V8 flags and the C allocator setting that bound
 * its memory. Both must be given at start (`v8.setFlagsFromString` later has no effect on heap sizing or on the
 * WebAssembly compilers; glibc reads its malloc settings once), hence the re-exec.
 *
 * `--max-semi-space-size=8`: V8 sizes the young generation from the heap limit, which it derives from the
 * machine's memory. On a 24 GB machine that is 3 × 32 MB semi-spaces, and under a flood of readers (every hit
 * allocates a little) it grows to its maximum and stays there: measured, the server's RSS after boot with the
 * large data set was ~255 MB with the default against ~128 MB with this flag, while the live objects (old space)
 * are ~30-45 MB either way. A scavenge costs in proportion to what survives, not to what was allocated, and a
 * cache hit's allocations die young, so the smaller nursery costs no measurable throughput (README, "Performance").
 *
 * `--heap-growing-percent=50`: after a full collection V8 lets the old generation grow to up to 4× what survived
 * before the next one (a factor it picks from how cheap collections are; on a big machine, cheap). Every scavenge
 * promotes a little (the objects of the requests in flight at that moment) and a burst of renders promotes much
 * more, so the old generation filled with garbage from ~25 to ~90 MB between two full collections, and a flood of
 * cache-bypassing requests (every one a render) took the server to ~350 MB. Capping the factor at 1.5 brings the
 * next collection sooner. Measured with two servers side by side on the large data set, alternating cold renders:
 * peak 237-245 MB against 343-355 MB, with 0-6 % more CPU per render (at 1.3-1.4: 227-239 MB, but 6-18 % more CPU).
 *
 * `--liftoff-only`, on the embedded database only (no DATABASE_URL): PGlite is PostgreSQL compiled to
 * WebAssembly, and V8 compiles a hot WebAssembly function twice, first with its baseline compiler (Liftoff), then
 * again with the optimising one (TurboFan), keeping both and compiling on background threads. For PGlite's large
 * module that took the process from ~230 MB to a peak of 670-800 MB within the first few hundred page reads;
 * with Liftoff only it stays at ~230-250 MB, for ~10-15 % more CPU per database read (README, "Performance").
 *
 * `MALLOC_MMAP_THRESHOLD_=131072` (glibc; other C libraries ignore it): glibc serves a block of 128 kB or more from
 * a mapping of its own, returned to the system when freed, but raises that threshold to the size of any such block
 * freed (up to 32 MB), and the server frees blocks of several MB while it boots. From then on page bodies,
 * compressor states and query results of up to that size came from the main heap, which grew by ~7 MB while pages
 * were re-rendered under load and kept it. With the threshold fixed those blocks keep their own mappings (alone:
 * peak 310 against 343 MB in the same side-by-side renders, ~5 % more CPU per render for the mappings made and
 * unmade).
 *
 * A flag or variable the operator already gave (on the command line, in NODE_OPTIONS, in the environment) is left
 * alone; VEDETTA_NODE_FLAGS=off turns the re-exec off; nothing happens where execve does not exist (Windows).
 */
const SEMI_SPACE = '--max-semi-space-size';
const DEFAULT_SEMI_SPACE_MB = 8;
const HEAP_GROWING = '--heap-growing-percent';
const DEFAULT_HEAP_GROWING_PERCENT = 50;
const MMAP_THRESHOLD = 'MALLOC_MMAP_THRESHOLD_';
const DEFAULT_MMAP_THRESHOLD_BYTES = 128 * 1024;

function given(prefix: string): boolean {
  return process.execArgv.some((a) => a.startsWith(prefix)) || (process.env.NODE_OPTIONS ?? '').includes(prefix);
}

function wantedFlags(): string[] {
  const flags: string[] = [];
  if (!given(SEMI_SPACE)) flags.push(`${SEMI_SPACE}=${DEFAULT_SEMI_SPACE_MB}`);
  if (!given(HEAP_GROWING)) flags.push(`${HEAP_GROWING}=${DEFAULT_HEAP_GROWING_PERCENT}`);
  const embedded = !process.env.DATABASE_URL;
  if (embedded && !given('--liftoff') && !given('--no-liftoff') && !given('--wasm-')) flags.push('--liftoff-only');
  return flags;
}

function wantedEnv(): Record<string, string> {
  const { env } = process;
  if (env[MMAP_THRESHOLD] !== undefined || (env.GLIBC_TUNABLES ?? '').includes('mmap_threshold')) return {};
  return { [MMAP_THRESHOLD]: String(DEFAULT_MMAP_THRESHOLD_BYTES) };
}

const off = process.env.VEDETTA_NODE_FLAGS === 'off';
const flags = off ? [] : wantedFlags();
const variables = off ? {} : wantedEnv();
if ((flags.length > 0 || Object.keys(variables).length > 0) && typeof process.execve === 'function' && process.argv[1]) {
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, ...variables });
}

export {};
