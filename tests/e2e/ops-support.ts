/**
 * Helpers for the operations end-to-end tests on PostgreSQL: an API token made with the admin CLI (as an
 * operator would), a throwaway PostgreSQL server of the test's own that it may stop and start (never the shared
 * test server), polling with a deadline, reading a raw node:http answer, Linux's table of IPv4 TCP sockets, a
 * second server started where it should be refused, and its refusal read from the log.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, chownSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { logLines } from '../support/logs.ts';
import { ROOT, SERVER_ENTRY } from '../support/paths.ts';
import { freePort } from '../support/ports.ts';

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const hasPostgresBinaries = () => existsSync(join(PG_BIN, 'pg_ctl')) && existsSync(join(PG_BIN, 'initdb'));

/** `npm run admin -- create-token` on the server's database; returns the secret it prints once. */
export async function createTokenWithCli(databaseUrl: string, scopes: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['src/cli/admin.ts', 'create-token', '--name', `e2e ${Date.now()}`, '--scopes', scopes], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, VEDETTA_DEMO: 'off' },
  });
  const secret = /Secret: (\S+)/.exec(stdout)?.[1];
  if (!secret) throw new Error(`no secret in the admin CLI's output:\n${stdout}`);
  return secret;
}

/** Polls `check` until it returns something other than undefined, or throws after `deadlineMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export type OwnPostgres = { url: string; stop(): Promise<void>; start(): Promise<void>; destroy(): Promise<void> };

/**
 * initdb + pg_ctl into a temporary folder on a free loopback port, as `.ci/with-postgres.sh` does (as the
 * `postgres` user when running as root: the server refuses root). Asynchronous on purpose: the test keeps
 * reading from the app while the server goes down and comes back.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const asRoot = userInfo().uid === 0;
  const wrap = (cmd: string, args: string[]) => (asRoot ? (['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const) : ([cmd, args] as const));
  const pg = async (cmd: string, args: string[]) => {
    const [file, argv] = wrap(join(PG_BIN, cmd), args);
    return run(file, [...argv], { env: { ...process.env, LC_ALL: 'C' } });
  };
  const work = mkdtempSync(join(tmpdir(), 'vedetta-own-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => ({ stdout: '' }));
    if (!stdout.trim()) await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    chownSync(work, uid, uid);
  }
  const port = await freePort();
  const data = join(work, 'data');
  const options = `-p ${port} -k ${work} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', join(work, 'server.log'), '-w', '-t', '60', '-o', options, 'start']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    // -m fast: what a package upgrade or a failover does; sessions get 57P01 admin_shutdown.
    stop: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    start,
    async destroy() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The status and text of a node:http answer (tests that need their own connection handling use node:http). */
export function answerText(res: IncomingMessage): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    res.on('error', reject);
  });
}

/** One row of Linux's /proc/net/tcp (IPv4: the test servers bind 127.0.0.1). */
export type TcpSocket = { localPort: number; remotePort: number; state: 'listen' | 'established' | 'other'; inode: string };

/** The machine's IPv4 TCP sockets, from /proc/net/tcp (Linux only). */
export function tcpSockets(): TcpSocket[] {
  const portOf = (address: string) => parseInt(address.split(':')[1]!, 16);
  const states: Record<string, TcpSocket['state']> = { '01': 'established', '0A': 'listen' };
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 10)
    .map((fields) => ({ localPort: portOf(fields[1]!), remotePort: portOf(fields[2]!), state: states[fields[3]!] ?? 'other', inode: fields[9]! }));
}

/**
 * Listening TCP sockets on a port (IPv4, as the test servers bind 127.0.0.1); elsewhere than Linux the server opens
 * one socket and there is no table to read: null.
 */
export function listeningSockets(port: number): number | null {
  if (process.platform !== 'linux') return null;
  return tcpSockets().filter((s) => s.localPort === port && s.state === 'listen').length;
}

/**
 * Starts the built server (with `node`, by default the one running the tests) with `env` over this process's
 * environment, in a data folder of its own, and waits for it to exit: its exit code and output. One that keeps
 * running instead (it joined a port it should have been refused) is killed after `giveUpMs`, and its code reads
 * 'still running'.
 */
export async function exitOfServer(
  env: Record<string, string>,
  giveUpMs = 60_000,
  node = process.execPath,
): Promise<{ code: number | null | 'still running'; output: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vedetta-e2e-refused-'));
  const child = spawn(node, [SERVER_ENTRY], { cwd: ROOT, env: { ...process.env, ...env, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), giveUpMs))]);
    return { code, output };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** How many times the output says the server could not listen because the port was taken. */
export function portRefusals(output: string): number {
  return logLines(output).filter((l) => l.msg === 'cannot listen' && (l.error as { code?: unknown } | undefined)?.code === 'EADDRINUSE').length;
}
