/**
 * A tiny browser stand-in for the console's HTTP tests: a cookie jar, form posts that carry the same-origin
 * `Origin` header a browser sends (so Astro's origin check passes unless a test says otherwise), manual
 * redirects so tests can read `Location`, and helpers to read hidden fields out of the HTML.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import buildOnce from '../setup/build.ts';
import snapshotSetup from '../setup/pglite-snapshot.ts';
import { type RunningServer, startServer } from '../support/server.ts';

export const PASSWORD = 'correct horse battery staple';

/** The console tests live outside tests/e2e (whose project builds the server), so they build it themselves. */
export async function ensureBuilt() {
  await buildOnce();
}

/**
 * A data folder holding an already migrated PGlite, made from the migrated snapshot the db tests use (built
 * once and cached): creating a PGlite folder takes 6-11 s on an idle machine and over a minute on a busy one,
 * longer than startServer's boot timeout, while opening a ready folder takes about a second. Undefined on
 * PostgreSQL (TEST_DATABASE_URL), where startServer makes a scratch database.
 */
async function preparedDataDir(): Promise<string | undefined> {
  if (process.env.TEST_DATABASE_URL) return undefined;
  let snapshot = '';
  await snapshotSetup({ provide: (_key: string, value: string) => (snapshot = value) } as unknown as Parameters<typeof snapshotSetup>[0]);
  const dir = mkdtempSync(join(tmpdir(), 'vedetta-console-'));
  const pg = await PGlite.create({ dataDir: join(dir, 'pglite'), loadDataDir: new Blob([readFileSync(snapshot)]) });
  await pg.close();
  return dir;
}

/**
 * startServer on a ready data folder, with patience: a boot that did not answer in time (a loaded machine) is
 * tried again on a fresh folder. stop() also removes the folder.
 */
export async function bootServer(env: Record<string, string>, attempts = 3): Promise<RunningServer> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const dataDir = await preparedDataDir();
    try {
      const server = await startServer({ ...env, ...(dataDir ? { DATA_DIR: dataDir } : {}) });
      const stop = server.stop;
      return {
        ...server,
        stop: async () => {
          await stop();
          if (dataDir) rmSync(dataDir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      last = error;
      if (!/did not answer/.test(String(error))) throw error;
    }
  }
  throw last;
}

export const ADMIN = 'admin@example.com';
export const EDITOR = 'editor@example.com';
export const VIEWER = 'viewer@example.com';

/**
 * A built server without the demo, an administrator signed in, and what most console tests start from, made
 * through the console itself: an editor, a viewer and two services (`sending`, `web`).
 */
export async function bootConsole(env: Record<string, string> = {}): Promise<{ server: RunningServer; admin: ConsoleClient }> {
  await ensureBuilt();
  const server = await bootServer({ VEDETTA_DEMO: 'off', ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: PASSWORD, ...env });
  const admin = new ConsoleClient(server.url);
  const signedIn = await admin.signIn(ADMIN);
  if (signedIn.status !== 303) throw new Error(`administrator sign-in answered ${signedIn.status}`);
  const post = async (path: string, form: Record<string, string>) => {
    const r = await admin.post(path, { _csrf: await admin.csrf(path), ...form });
    if (r.status !== 303) throw new Error(`${path} answered ${r.status}: ${text(r.html).slice(0, 500)}`);
  };
  for (const [email, role] of [[EDITOR, 'editor'], [VIEWER, 'viewer']] as const) {
    await post('/admin/operators', { _action: 'create', name: role, email, role, password: PASSWORD });
  }
  for (const [key, it, en] of [['sending', 'Invio fatture', 'Invoice sending'], ['web', 'Portale web', 'Web portal']] as const) {
    await post('/admin/services', { _action: 'create', key, 'name.it': it, 'name.en': en, status: 'operational' });
  }
  return { server, admin };
}

export type Reply = { status: number; html: string; location: string | null; setCookies: string[]; headers: Headers };

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(setCookies: string[]) {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(path: string, init: { method?: string; form?: Record<string, string | string[]>; origin?: string | null } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    let body: URLSearchParams | undefined;
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    if (init.form) {
      body = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (method !== 'GET' && init.origin !== null) headers.origin = init.origin ?? this.base;
    const response = await fetch(`${this.base}${path}`, { method, headers, body, redirect: 'manual' });
    const setCookies = response.headers.getSetCookie();
    this.remember(setCookies);
    return { status: response.status, html: await response.text(), location: response.headers.get('location'), setCookies, headers: response.headers };
  }

  get(path: string) {
    return this.request(path);
  }

  post(path: string, form: Record<string, string | string[]>, opts: { origin?: string | null } = {}) {
    return this.request(path, { form, ...opts });
  }

  /** Signs in through the form (double-submit nonce included); returns the POST's reply. */
  async signIn(email: string, password = PASSWORD, next?: string): Promise<Reply> {
    const page = await this.get(`/admin/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    return this.post('/admin/sign-in', { _csrf: hidden(page.html, '_csrf'), next: hidden(page.html, 'next'), email, password });
  }

  /** The page's CSRF token (every console form carries the same one). */
  async csrf(path = '/admin'): Promise<string> {
    return hidden((await this.get(path)).html, '_csrf');
  }
}

/** The value of a hidden input in a page, or '' when absent. */
export function hidden(html: string, name: string): string {
  const re = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`);
  return decode(re.exec(html)?.[1] ?? '');
}

export function decode(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The visible text of some HTML, whitespace collapsed. */
export function text(html: string): string {
  return decode(html.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}
