/** `node src/cli/admin.ts` as an operator runs it: a child process on a temporary DATA_DIR. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../db/client.ts';
import { apiTokens } from '../../../db/schema/index.ts';
import { actorForApiToken, signIn } from '../../../src/services/auth.ts';
import { SYSTEM_ACTOR } from '../../../src/services/context.ts';
import { ROOT } from '../../support/paths.ts';

type Run = { code: number | null; stdout: string; stderr: string };

let dataDir: string;
const children = new Set<ReturnType<typeof spawn>>();

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/cli/admin.ts', ...args], {
      cwd: ROOT,
      // DATABASE_URL emptied: the embedded database in the temporary folder, whatever the environment says.
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

async function withDatabase<T>(fn: (ctx: Parameters<typeof signIn>[0]) => Promise<T>): Promise<T> {
  const database = await openDatabase({ dataDir });
  try {
    return await fn({ db: database.db, now: () => new Date(), actor: SYSTEM_ACTOR, timeZone: 'Europe/Rome', siteUrl: 'http://x' });
  } finally {
    await database.close();
  }
}

// Each run starts Node and opens the embedded database: seconds each, many more on a busy machine.
describe('npm run admin', { timeout: 900_000 }, () => {
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'vedetta-cli-'));
  });
  afterAll(() => {
    // A timed-out test must not leave a child holding the data folder.
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints its help, and refuses wrong command lines before touching the database', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('create-operator --email');
    expect(help.stdout).toContain('create-token --name');
    const usage = async (args: string[], message: string) => {
      const run = await cli(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('--help');
    };
    await usage(['frobnicate'], 'Unknown command "frobnicate"');
    await usage(['create-operator', '--email', 'a@example.test'], 'needs --name, --role');
    await usage(['create-operator', '--email', 'a@example.test', '--name', 'A', '--role', 'boss'], '--role must be one of admin, editor, viewer');
    await usage(['create-operator', '--email', 'a@example.test', '--name', 'A', '--role', 'viewer', '--password', 'short'], '--password: at least 12 characters');
    await usage(['create-operator', '--email', 'not-an-address', '--name', 'A', '--role', 'viewer'], '--email: must be an e-mail address');
    await usage(['list-operators', '--verbose'], "Unknown option '--verbose'");
    await usage(['create-token', '--name', 'x', '--scopes', 'read,root'], '--scopes takes a comma-separated list of read, write, admin');
    await usage(['create-token', '--name', 'x', '--scopes', 'read', '--expires', '2020-01-01'], 'already past');
    await usage(['create-token', '--name', 'x', '--scopes', 'read', '--expires', '2026-02-30'], 'not a calendar date');
  });

  it('creates an operator and a token, lists them without secrets, revokes, resets a password', async () => {
    const created = await cli('create-operator', '--email', 'Giulia@Example.test', '--name', 'Giulia Bianchi', '--role', 'editor');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const first = /Password: (\S+)/.exec(created.stdout)?.[1];
    expect(first).toBeDefined();
    expect(created.stdout).toContain('Shown once');

    const token = await cli('create-token', '--name', 'monitoring', '--scopes', 'read,write', '--expires', '2099-12-31');
    expect(token.code).toBe(0);
    const secret = /Secret: (vdt_\S+)/.exec(token.stdout)?.[1];
    const id = /id (\w+)/.exec(token.stdout)?.[1];
    expect(secret).toBeDefined();
    // "Valid through 31 December" in Rome: it ends at local midnight.
    expect(token.stdout).toContain('expires 2099-12-31T23:00:00.000Z');

    const operators = await cli('list-operators');
    expect(operators.code).toBe(0);
    expect(operators.stdout).toMatch(/giulia@example\.test\s+Giulia Bianchi\s+editor\s+active/);
    expect(operators.stdout).not.toContain(first!);

    const revoked = await cli('revoke-token', '--id', id!);
    expect(revoked.code).toBe(0);
    const tokens = await cli('list-tokens');
    expect(tokens.stdout).toMatch(new RegExp(`${id}\\s+monitoring\\s+vdt_\\S+…\\s+read,write\\s+revoked`));
    expect(tokens.stdout).not.toContain(secret!);

    const reset = await cli('reset-password', '--email', 'giulia@example.test');
    expect(reset.code).toBe(0);
    const second = /New password: (\S+)/.exec(reset.stdout)?.[1];
    expect(second).toBeDefined();

    // One look at the database afterwards (each open is slow): what was printed is what was stored.
    await withDatabase(async (ctx) => {
      await expect(signIn(ctx, { email: 'giulia@example.test', password: second!, client: 'cli-test' })).resolves.toBeDefined();
      await expect(signIn(ctx, { email: 'giulia@example.test', password: first!, client: 'cli-test' })).rejects.toThrow();
      const [row] = await ctx.db.select().from(apiTokens).where(eq(apiTokens.id, id!));
      expect(row!.tokenHash).toBe(createHash('sha256').update(secret!).digest('hex'));
      expect(row!.revokedAt).not.toBeNull();
      expect(await actorForApiToken(ctx, secret)).toBeNull();
    });
  });

  it('refuses politely while another process holds the embedded database', async () => {
    // This test process is alive: its pid in the lock file stands for a running server.
    writeFileSync(join(dataDir, 'vedetta.lock'), String(process.pid));
    try {
      const run = await cli('list-operators');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('already open in another process');
      expect(run.stderr).toContain('/admin');
      expect(run.stderr).not.toContain('    at ');
    } finally {
      rmSync(join(dataDir, 'vedetta.lock'), { force: true });
    }
  });
});
