/**
 * `npm run admin -- <command>`: operators and API tokens from the shell, on the same database as the server
 * (DATABASE_URL, or the embedded database in DATA_DIR). Runs as the system actor; every change is audited as
 * "system:cli". Plain Node 24 runs this file (type stripping), so it uses only erasable TypeScript.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { zonedTimeToUtc } from '../domain/time.ts';
import { OPERATOR_ROLES, TOKEN_SCOPES } from '../domain/vocab.ts';
import type { Ctx } from '../services/context.ts';
import { ServiceError } from '../services/errors.ts';

// The database driver and the services load only once the command line is known to be right, so that
// --help and usage errors answer at once.
const services = () => import('../services/auth.ts');

const HELP = `Vedetta administration

Usage: npm run admin -- <command> [options]
   or: node src/cli/admin.ts <command> [options]

Commands:
  create-operator --email <address> --name <name> --role <admin|editor|viewer> [--password <password>]
        Creates an operator. Without --password, a password is generated and printed once.
  reset-password --email <address> [--password <password>]
        Sets a new password (generated and printed once when not given), unlocks the account
        and signs the operator out everywhere.
  list-operators
        Lists operators: e-mail, name, role, state, last sign-in.
  create-token --name <name> --scopes <read,write,admin> [--expires <YYYY-MM-DD | ISO date-time>]
        Creates an API token for automation and prints its secret once (only a hash is kept).
        A date alone means "valid through that day" in the site's time zone.
  list-tokens
        Lists API tokens (never their secrets): id, name, prefix, scopes, state, last use.
  revoke-token --id <token id>
        Revokes a token at once.

Options:
  -h, --help    Show this help (also: <command> --help).

The database is the server's: DATABASE_URL (PostgreSQL), otherwise the embedded database in DATA_DIR
(default ./data). The embedded database can be opened by one process at a time: stop the server first,
or use the web console (/admin) while it runs.
`;

class UsageError extends Error {}

type Options = Record<string, string | boolean | undefined>;

const COMMANDS: Record<string, { options: Record<string, { type: 'string' | 'boolean' }>; required: string[] }> = {
  'create-operator': { options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, password: { type: 'string' } }, required: ['email', 'name', 'role'] },
  'reset-password': { options: { email: { type: 'string' }, password: { type: 'string' } }, required: ['email'] },
  'list-operators': { options: {}, required: [] },
  'create-token': { options: { name: { type: 'string' }, scopes: { type: 'string' }, expires: { type: 'string' } }, required: ['name', 'scopes'] },
  'list-tokens': { options: {}, required: [] },
  'revoke-token': { options: { id: { type: 'string' } }, required: ['id'] },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`Unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(', ')}.`);
  let values: Options;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }) as { values: Options });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]}`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const missing = spec.required.filter((name) => typeof values[name] !== 'string' || values[name] === '');
  if (missing.length) throw new UsageError(`${command} needs ${missing.map((m) => `--${m}`).join(', ')}.`);

  const config = loadConfig();
  // Everything that can be checked without the database is checked before opening it.
  const task = await prepare(command, values, config.timeZone);
  const { DataDirLockedError, openDatabase } = await import('../../db/client.ts');
  let database;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      process.stderr.write(`${error.message}\nWhile the server runs, manage operators and tokens from the web console (/admin).\n`);
      return 1;
    }
    throw error;
  }
  try {
    await database.migrate(config.migrationsDir);
    const ctx: Ctx = {
      db: database.db,
      now: () => new Date(),
      actor: { kind: 'system', id: 'cli' },
      timeZone: config.timeZone,
      siteUrl: config.siteUrl,
    };
    await task(ctx);
    return 0;
  } finally {
    await database.close();
  }
}

type Task = (ctx: Ctx) => Promise<void>;

/** Checks the options of a command (without the database) and returns what to run on it. */
async function prepare(command: string, o: Options, timeZone: string): Promise<Task> {
  const str = (name: string) => o[name] as string;
  const { CreateOperatorInput, CreateTokenInput } = await services();
  switch (command) {
    case 'create-operator': {
      const role = str('role');
      if (!(OPERATOR_ROLES as readonly string[]).includes(role)) {
        throw new UsageError(`--role must be one of ${OPERATOR_ROLES.join(', ')}.`);
      }
      const generated = o.password === undefined ? generatePassword() : null;
      const input = { email: str('email'), name: str('name'), role: role as (typeof OPERATOR_ROLES)[number], password: generated ?? str('password') };
      check(CreateOperatorInput, input);
      return async (ctx) => {
        const op = await (await services()).createOperator(ctx, input);
        print(`Created operator ${op.email} (${op.role}), id ${op.id}.`);
        if (generated) printSecret('Password', generated, `Give it to the operator over a safe channel; they sign in at ${ctx.siteUrl}/admin.`);
      };
    }
    case 'reset-password': {
      const generated = o.password === undefined ? generatePassword() : null;
      const input = { email: str('email'), password: generated ?? str('password') };
      check(CreateOperatorInput.pick({ email: true, password: true }), input);
      return async (ctx) => {
        const op = await (await services()).setPassword(ctx, input);
        print(`Password reset for ${op.email}; the account is unlocked and signed out everywhere.`);
        if (generated) printSecret('New password', generated, `Sign in at ${ctx.siteUrl}/admin.`);
      };
    }
    case 'list-operators':
      return async (ctx) => {
        const rows = await (await services()).listOperators(ctx);
        if (rows.length === 0) return print('No operators yet. Create one with: npm run admin -- create-operator --email ... --name ... --role admin');
        table(
          ['id', 'email', 'name', 'role', 'state', 'last sign-in'],
          rows.map((r) => [r.id, r.email, r.name, r.role, r.disabledAt ? 'disabled' : 'active', r.lastLoginAt?.toISOString() ?? '-']),
        );
      };
    case 'create-token': {
      const scopes = str('scopes').split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = scopes.filter((s) => !(TOKEN_SCOPES as readonly string[]).includes(s));
      if (unknown.length || scopes.length === 0) throw new UsageError(`--scopes takes a comma-separated list of ${TOKEN_SCOPES.join(', ')}.`);
      const expiresAt = o.expires === undefined ? undefined : parseExpiry(str('expires'), timeZone);
      if (expiresAt && expiresAt <= new Date()) throw new UsageError(`--expires: ${str('expires')} is already past.`);
      const input = { name: str('name'), scopes: scopes as (typeof TOKEN_SCOPES)[number][], expiresAt };
      check(CreateTokenInput, input);
      return async (ctx) => {
        const { token, secret } = await (await services()).createApiToken(ctx, input);
        print(`Created API token "${token.name}" (id ${token.id}, scopes ${token.scopes.join(',')}, ${token.expiresAt ? `expires ${token.expiresAt.toISOString()}` : 'no expiry'}).`);
        printSecret('Secret', secret, `Send it as "Authorization: Bearer <secret>". Revoke it with: npm run admin -- revoke-token --id ${token.id}`);
      };
    }
    case 'list-tokens':
      return async (ctx) => {
        const rows = await (await services()).listApiTokens(ctx);
        if (rows.length === 0) return print('No API tokens yet.');
        table(
          ['id', 'name', 'prefix', 'scopes', 'state', 'expires', 'last used'],
          rows.map((r) => [r.id, r.name, `${r.prefix}…`, r.scopes.join(','), r.state, r.expiresAt?.toISOString() ?? '-', r.lastUsedAt?.toISOString() ?? 'never']),
        );
      };
    case 'revoke-token':
      return async (ctx) => {
        const token = await (await services()).revokeApiToken(ctx, { tokenId: str('id') });
        print(`Revoked API token "${token.name}" (id ${token.id}).`);
      };
  }
  throw new UsageError(`Unknown command "${command}".`);
}

/** The service's own input check, run early: a wrong option is reported before the database is opened. */
function check(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, input: unknown) {
  const result = schema.safeParse(input);
  if (result.success) return;
  const lines = (result.error?.issues ?? []).map((i) => `--${String(i.path[0] ?? '?')}: ${i.message}`);
  throw new UsageError([...new Set(lines)].join('; '));
}

/** A date alone is valid through that whole day in the site's time zone; anything else must be a date-time. */
function parseExpiry(value: string, timeZone: string): Date {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const [y, m, d] = day.slice(1).map(Number) as [number, number, number];
    const probe = new Date(Date.UTC(y, m - 1, d));
    if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) {
      throw new UsageError(`--expires: ${value} is not a calendar date.`);
    }
    return zonedTimeToUtc(timeZone, y, m, d + 1);
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--expires takes a date (2026-12-31) or an ISO date-time, not "${value}".`);
  return at;
}

function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

function print(line: string) {
  process.stdout.write(`${line}\n`);
}

function printSecret(label: string, secret: string, hint: string) {
  print(`\n  ${label}: ${secret}\n\n  Shown once: it is stored only as a hash. ${hint}\n`);
}

function table(head: string[], rows: string[][]) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  print(line(head));
  print(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) print(line(r));
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`Error: ${error.message}\nRun "npm run admin -- --help" for usage.\n`);
    process.exitCode = 2;
  } else if (error instanceof ServiceError) {
    const fields = error.fields ? Object.entries(error.fields).map(([k, v]) => `\n  ${k}: ${v}`).join('') : '';
    process.stderr.write(`Error: ${error.message}${fields}\n`);
    process.exitCode = 1;
  } else if (error instanceof Error && error.message.startsWith('Invalid configuration')) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
