/**
 * The hot path of the BUILT server (src/server/entry.ts in front of Astro, src/http/cache): what a flood of readers
 * and a CDN see. Raw node:http requests, so the test sees the bytes on the wire (fetch would decode them).
 * On PGlite by default; on PostgreSQL when TEST_DATABASE_URL is set (the write then reaches the cache through
 * LISTEN/NOTIFY as well as through the writer's own refresh).
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../support/logs.ts';
import { ROOT } from '../support/paths.ts';
import { testDatabaseUrl } from '../support/pg.ts';
import { type RunningServer, startServer } from '../support/server.ts';

type Raw = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
};

function raw(base: string, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `npm run admin -- create-token` on the database the server will use (before it holds a PGlite folder). */
async function createToken(env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['src/cli/admin.ts', 'create-token', '--name', 'hot-path e2e', '--scopes', 'write'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        VEDETTA_DEMO: 'off',
        TEST_DATABASE_URL: '',
      },
    },
  );
  const secret = /Secret: (\S+)/.exec(stdout)?.[1];
  if (!secret) throw new Error(`no secret in the admin CLI's output:\n${stdout}`);
  return secret;
}

describe(`hot path of the built server (${testDatabaseUrl() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let server: RunningServer;
  let token: string;
  let dataDir: string | undefined;

  beforeAll(async () => {
    if (testDatabaseUrl()) {
      server = await startServer();
      token = await createToken({ DATABASE_URL: server.env.DATABASE_URL! });
    } else {
      // The token is made first: the server then holds the PGlite folder for itself.
      dataDir = mkdtempSync(join(tmpdir(), 'vedetta-hot-e2e-'));
      token = await createToken({ DATA_DIR: dataDir, DATABASE_URL: '' });
      server = await startServer({ DATA_DIR: dataDir });
    }
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers public pages with a strong ETag, 304 to If-None-Match, and CDN-friendly Cache-Control', async () => {
    for (const path of ['/', '/en/', '/api/v2/summary.json', '/feed.rss']) {
      const first = await raw(server.url, path);
      expect(first.status, path).toBe(200);
      const etag = first.headers.etag as string;
      expect(etag, path).toMatch(/^"[\w-]+"$/);
      expect(first.headers['cache-control'], path).toMatch(/s-maxage=\d+.*stale-while-revalidate=\d+.*stale-if-error=\d+/);
      expect(first.headers.vary, path).toBe('Accept-Encoding');
      const again = await raw(server.url, path, { 'if-none-match': etag });
      expect(again.status, path).toBe(304);
      expect(again.body.length, path).toBe(0);
    }
  });

  it('sends brotli or gzip as asked, decoding to the very bytes of the plain answer, with the security headers', async () => {
    const plain = await raw(server.url, '/');
    const br = await raw(server.url, '/', {
      'accept-encoding': 'gzip, deflate, br',
    });
    const gz = await raw(server.url, '/', { 'accept-encoding': 'gzip' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length);
    for (const res of [plain, br, gz]) {
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    }
  });

  it('never answers the console from the cache', async () => {
    const page = await raw(server.url, '/admin/sign-in');
    expect(page.headers.etag).toBeUndefined();
    expect(String(page.headers['cache-control'] ?? '')).not.toContain('public');
  });

  it('after a write, one reader re-renders the page and the readers arriving meanwhile get the previous one from memory', async () => {
    const before = await raw(server.url, '/');
    expect(before.status).toBe(200);
    const key = `herd-${Date.now().toString(36)}`;
    const res = await fetch(`${server.url}/api/v1/services`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ key, name: { it: `Servizio ${key}`, en: `Service ${key}` } }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const logged = () => logLines(server.logs()).filter((line) => line.msg === 'request');
    const mark = logged().length;

    const answers = await Promise.all(Array.from({ length: 20 }, () => raw(server.url, '/')));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // Only requests that reach Hono are logged: the fast path answers from memory without a log line.
    const rendered = logged().slice(mark).filter((line) => line.method === 'GET');
    expect(rendered, JSON.stringify(rendered)).toHaveLength(1);
    const after = await raw(server.url, '/');
    expect(after.headers.etag).not.toBe(before.headers.etag);
    for (const a of answers) expect([before.headers.etag, after.headers.etag]).toContain(a.headers.etag);
  });

  it('shows a write made through the API on the home page within one second', async () => {
    const before = await raw(server.url, '/');
    const key = `hot-${Date.now().toString(36)}`;
    const name = `Servizio caldo ${key}`;
    expect(before.body.toString('utf8')).not.toContain(name);
    const res = await fetch(`${server.url}/api/v1/services`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        key,
        name: { it: name, en: `Hot service ${key}` },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const deadline = Date.now() + 1_000;
    let seen: Raw | undefined;
    while (Date.now() < deadline) {
      const page = await raw(server.url, '/');
      if (page.body.toString('utf8').includes(name)) {
        seen = page;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen, 'the new service on / within 1 s of the API answer').toBeDefined();
    expect(seen!.headers.etag).not.toBe(before.headers.etag);
  });
});
