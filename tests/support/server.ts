/**
 * Boots the BUILT server (`node <outDir>/server/entry.mjs`, built by tests/setup/build.ts) on a free loopback
 * port with a temporary DATA_DIR, exactly as an operator would start it.
 *
 *   const server = useServer({ VEDETTA_DEMO: 'off' });          // beforeAll/afterAll in the describe
 *   it('answers', async () => expect((await fetch(`${server.url}/`)).status).toBe(200));
 *
 * or `const s = await startServer(env)` ... `await s.stop()`.
 *
 * With TEST_DATABASE_URL set, each server gets a fresh database on that server as DATABASE_URL (dropped by
 * stop()); otherwise it uses PGlite in its temporary data folder. The demo scenario is loaded at boot unless
 * `VEDETTA_DEMO: 'off'` is passed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ROOT, SERVER_ENTRY as ENTRY } from './paths.ts';
import { freePort } from './ports.ts';
import { createScratchDatabase, type ScratchDatabase, testDatabaseUrl } from './pg.ts';

export type RunningServer = {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  dataDir: string;
  /** The environment the server was started with (minus the inherited process environment). */
  env: Record<string, string>;
  /** The server's recent stdout and stderr, for assertion messages. */
  logs(): string;
  /** The server process's id (signal it to test a stop) and its exit code once it ends (null: killed by a signal). */
  pid: number;
  exited: Promise<number | null>;
  stop(): Promise<void>;
};

// A first boot creates a PGlite folder (6-11 s), migrates and loads the demo; much slower on a busy machine.
const BOOT_TIMEOUT_MS = 180_000;
const running = new Set<{ child: ChildProcess; dataDir: string }>();

// If a test file forgets stop() (or the worker dies), do not leave servers behind.
process.once('exit', () => {
  for (const { child, dataDir } of running) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

export async function startServer(overrides: Record<string, string> = {}): Promise<RunningServer> {
  if (!existsSync(ENTRY)) {
    throw new Error(`${ENTRY} is missing: the e2e/browser globalSetup (tests/setup/build.ts) builds it`);
  }
  let scratch: ScratchDatabase | undefined;
  const serverUrl = testDatabaseUrl();
  if (serverUrl && overrides.DATABASE_URL === undefined) scratch = await createScratchDatabase(serverUrl, 'e2e');
  try {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await boot(overrides, scratch);
      } catch (error) {
        lastError = error;
        // Another process took the port between our probe and the server's listen(): try another one.
        if (!(error instanceof PortTakenError)) throw error;
      }
    }
    throw lastError;
  } catch (error) {
    await scratch?.drop();
    throw error;
  }
}

/** beforeAll/afterAll in the enclosing describe; the returned object's fields are valid inside tests. */
export function useServer(overrides: Record<string, string> = {}): RunningServer {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer(overrides);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const current = () => {
    if (!server) throw new Error('useServer(): the server exists only inside tests and hooks');
    return server;
  };
  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get dataDir() {
      return current().dataDir;
    },
    get env() {
      return current().env;
    },
    logs: () => current().logs(),
    get pid() {
      return current().pid;
    },
    get exited() {
      return current().exited;
    },
    stop: () => current().stop(),
  };
}

class PortTakenError extends Error {}

async function boot(overrides: Record<string, string>, scratch: ScratchDatabase | undefined): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'vedetta-e2e-'));
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    SITE_URL: url,
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    ...overrides,
  };
  const inherited = { ...process.env };
  // Behave like a plain `node dist/server/entry.mjs`: no test-runner or developer database settings leak in.
  for (const name of ['DATABASE_URL', 'TEST_DATABASE_URL', 'NODE_ENV', 'VEDETTA_DEMO', 'VEDETTA_DEMO_DAY', 'TIME_ZONE']) {
    delete inherited[name];
  }
  // process.execPath: the Node 24 running vitest (the machine's own node may be too old for astro).
  const child = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { child, dataDir };
  running.add(entry);

  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 300) lines.splice(0, lines.length - 300);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const logs = () => lines.join('\n');

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        // The server closes PGlite on SIGTERM; give it time to flush, then insist.
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(entry);
      rmSync(dataDir, { recursive: true, force: true });
      await scratch?.drop();
    })());

  try {
    await waitUntilAnswering(url, exited, logs);
  } catch (error) {
    await (stopping ??= (async () => {
      child.kill('SIGKILL');
      await exited;
      running.delete(entry);
      rmSync(dataDir, { recursive: true, force: true });
    })());
    throw error;
  }
  return { url, port, dataDir, env, logs, pid: child.pid!, exited, stop };
}

async function waitUntilAnswering(url: string, exited: Promise<number | null>, logs: () => string) {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code ?? -1));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      const output = logs();
      if (/EADDRINUSE/.test(output)) throw new PortTakenError(output);
      throw new Error(`the server exited (code ${exitCode}) before answering ${url}:\n${output}`);
    }
    try {
      // Any HTTP answer means it listens; the status is the tests' business.
      const response = await fetch(`${url}/`, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the server did not answer ${url} within ${BOOT_TIMEOUT_MS / 1000} s:\n${logs()}`);
}

