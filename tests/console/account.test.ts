/**
 * The operator's own account page over HTTP, against the built server: who is signed in, changing the own
 * password (current password checked, the new one typed twice, CSRF token required, the session in use kept),
 * and the forced change of a generated first-run password: until it is changed every other console page sends
 * the operator to /admin/account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../support/logs.ts';
import type { RunningServer } from '../support/server.ts';
import { ADMIN, ConsoleClient, PASSWORD, VIEWER, bootConsole, bootServer, ensureBuilt, hidden, text } from './client.ts';

const SESSION = '__Host-vedetta_session';
const NEW_PASSWORD = 'a fresh password of my own';

/** The error shown next to a field (Field.astro), or undefined. */
function fieldError(html: string, name: string): string | undefined {
  const m = new RegExp(`<p class="field-error" id="f-${name}-error">([\\s\\S]*?)</p>`).exec(html);
  return m ? text(m[1]!).trim() : undefined;
}

describe('the account page', () => {
  let server: RunningServer;
  let admin: ConsoleClient;

  beforeAll(async () => {
    ({ server, admin } = await bootConsole());
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('is linked from the header and shows the name, e-mail and role, with a labelled password form', async () => {
    const home = await admin.get('/admin');
    expect(home.status).toBe(200);
    expect(home.html).toMatch(/<a class="account-link" href="\/admin\/account"[^>]*>Il mio account<\/a>/);
    const page = await admin.get('/admin/account');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const body = text(page.html);
    expect(body).toContain('Il mio account');
    expect(body).toContain(ADMIN);
    expect(body).toContain('Amministratore');
    expect(body).not.toContain('Prima di continuare scegli una tua password');
    expect(page.html).toMatch(/<label for="f-currentPassword">\s*Password attuale/);
    expect(page.html).toMatch(/<input[^>]*name="currentPassword"[^>]*autocomplete="current-password"[^>]*type="password"/);
    expect(page.html).toMatch(/<input[^>]*name="newPassword"[^>]*autocomplete="new-password"[^>]*type="password"/);
    expect(page.html).toMatch(/<input[^>]*name="repeatPassword"[^>]*autocomplete="new-password"[^>]*type="password"/);
    expect(page.html).toContain('name="_csrf"');
    // An operator whose password was chosen by themselves (ADMIN_PASSWORD, created by an admin) is not held back.
    expect((await admin.get('/admin/incidents')).status).toBe(200);
  });

  it('is in English too', async () => {
    const client = new ConsoleClient(server.url);
    await client.signIn(VIEWER);
    await client.get('/admin/language?to=en&next=%2Fadmin%2Faccount');
    const page = await client.get('/admin/account');
    expect(page.status).toBe(200);
    expect(text(page.html)).toContain('My account');
    expect(text(page.html)).toContain('Repeat the new password');
    expect(text(page.html)).toContain('Viewer');
  });

  it('refuses a post without the CSRF token and changes nothing', async () => {
    const client = new ConsoleClient(server.url);
    await client.signIn(VIEWER);
    const refused = await client.post('/admin/account', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD });
    expect(refused.status).toBe(403);
    const wrongToken = await client.post('/admin/account', {
      _csrf: 'x'.repeat(43),
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      repeatPassword: NEW_PASSWORD,
    });
    expect(wrongToken.status).toBe(403);
    expect((await new ConsoleClient(server.url).signIn(VIEWER, PASSWORD)).status).toBe(303);
  });

  it('shows a wrong current password, a mismatch and a short password next to their fields', async () => {
    const client = new ConsoleClient(server.url);
    await client.signIn(VIEWER);
    const csrf = await client.csrf('/admin/account');
    const wrong = await client.post('/admin/account', { _csrf: csrf, currentPassword: 'not my password', newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD });
    expect(wrong.status).toBe(422);
    expect(fieldError(wrong.html, 'currentPassword')).toContain('non è corretta');
    expect(wrong.html).toMatch(/<input[^>]*name="currentPassword"[^>]*aria-invalid="true"/);
    expect(wrong.html).toContain('href="#f-currentPassword"');

    const mismatch = await client.post('/admin/account', { _csrf: csrf, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, repeatPassword: `${NEW_PASSWORD}!` });
    expect(mismatch.status).toBe(422);
    expect(fieldError(mismatch.html, 'repeatPassword')).toContain('non coincide con la nuova password');
    expect(fieldError(mismatch.html, 'currentPassword')).toBeUndefined();

    const short = await client.post('/admin/account', { _csrf: csrf, currentPassword: PASSWORD, newPassword: 'short', repeatPassword: 'short' });
    expect(short.status).toBe(422);
    expect(fieldError(short.html, 'newPassword')).toContain('almeno 12 caratteri');
    // Passwords are never sent back in the form.
    for (const r of [wrong, mismatch, short]) {
      expect(r.html).not.toContain(NEW_PASSWORD);
      expect(r.html).not.toContain('value="short"');
    }
    // Nothing changed.
    expect((await new ConsoleClient(server.url).signIn(VIEWER, PASSWORD)).status).toBe(303);
  });

  it('changes the password (any role): flash and 303 back, this session kept, others ended, old password refused', async () => {
    const client = new ConsoleClient(server.url);
    await client.signIn(VIEWER);
    const elsewhere = new ConsoleClient(server.url);
    await elsewhere.signIn(VIEWER);
    const csrf = await client.csrf('/admin/account');
    const r = await client.post('/admin/account', { _csrf: csrf, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD });
    expect(r.status).toBe(303);
    expect(r.location).toBe('/admin/account?ok=password-changed');
    const after = await client.get(r.location!);
    expect(after.status).toBe(200);
    expect(text(after.html)).toContain('Password cambiata.');
    expect((await client.get('/admin')).status).toBe(200);
    expect((await elsewhere.get('/admin')).status).toBe(303);
    expect((await new ConsoleClient(server.url).signIn(VIEWER, PASSWORD)).status).toBe(401);
    expect((await new ConsoleClient(server.url).signIn(VIEWER, NEW_PASSWORD)).status).toBe(303);
  });
});

describe('a generated first-run password', () => {
  const FIRST = 'first@example.com';
  let server: RunningServer;
  let generated: string;

  beforeAll(async () => {
    await ensureBuilt();
    server = await bootServer({ VEDETTA_DEMO: 'off', ADMIN_EMAIL: FIRST });
    generated = String(logLines(server.logs()).find((l) => l.msg.startsWith('first run:'))?.password ?? '');
    expect(generated).not.toBe('');
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('must be changed before any other console page opens', async () => {
    const client = new ConsoleClient(server.url);
    const signedIn = await client.signIn(FIRST, generated);
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/admin');

    for (const path of ['/admin', '/admin/incidents', '/admin/operators', '/admin/tokens', '/admin/audit?page=2']) {
      const r = await client.get(path);
      expect(r.status, path).toBe(303);
      expect(r.location, path).toBe('/admin/account');
    }
    // Posts elsewhere are sent there too, and write nothing.
    const csrf = await client.csrf('/admin/account');
    const post = await client.post('/admin/services', { _csrf: csrf, _action: 'create', key: 'sneaky', 'name.it': 'Furtivo', status: 'operational' });
    expect(post.status).toBe(303);
    expect(post.location).toBe('/admin/account');
    // Static console assets and the language switch still answer.
    expect((await client.get('/admin/console.js')).status).toBe(200);
    const lang = await client.get('/admin/language?to=it&next=%2Fadmin%2Faccount');
    expect(lang.status).toBe(303);
    expect(lang.location).toBe('/admin/account');

    const page = await client.get('/admin/account');
    expect(page.status).toBe(200);
    expect(text(page.html)).toContain('Prima di continuare scegli una tua password');
    expect(text(page.html)).toContain(FIRST);
  });

  it('refuses a wrong current password and a mismatch, then, once changed, opens the console; the old password stops working', async () => {
    const client = new ConsoleClient(server.url);
    await client.signIn(FIRST, generated);
    const csrf = await client.csrf('/admin/account');

    const wrong = await client.post('/admin/account', { _csrf: csrf, currentPassword: 'guess', newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD });
    expect(wrong.status).toBe(422);
    expect(fieldError(wrong.html, 'currentPassword')).toBeTruthy();
    const mismatch = await client.post('/admin/account', { _csrf: csrf, currentPassword: generated, newPassword: NEW_PASSWORD, repeatPassword: 'something else!!' });
    expect(mismatch.status).toBe(422);
    expect(fieldError(mismatch.html, 'repeatPassword')).toBeTruthy();
    expect((await client.get('/admin')).location).toBe('/admin/account');
    expect((await client.post('/admin/account', { currentPassword: generated, newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD })).status).toBe(403);
    expect((await client.get('/admin')).location).toBe('/admin/account');

    const done = await client.post('/admin/account', { _csrf: csrf, currentPassword: generated, newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/admin/account?ok=password-changed');
    const after = await client.get(done.location!);
    expect(text(after.html)).toContain('Password cambiata.');
    expect(text(after.html)).not.toContain('Prima di continuare scegli una tua password');
    for (const path of ['/admin', '/admin/incidents', '/admin/operators']) {
      expect((await client.get(path)).status, path).toBe(200);
    }
    expect(client.cookies.has(SESSION)).toBe(true);

    expect((await new ConsoleClient(server.url).signIn(FIRST, generated)).status).toBe(401);
    const fresh = new ConsoleClient(server.url);
    expect((await fresh.signIn(FIRST, NEW_PASSWORD)).status).toBe(303);
    expect((await fresh.get('/admin')).status).toBe(200);
  });

  it('an operator created in the console with the box ticked (the default) chooses a password first', async () => {
    const admin = new ConsoleClient(server.url);
    await admin.signIn(FIRST, NEW_PASSWORD);
    const form = await admin.get('/admin/operators');
    expect(form.html).toMatch(/<input type="checkbox" id="f-mustChangePassword" name="mustChangePassword" checked/);
    const csrf = hidden(form.html, '_csrf');
    const [temporary, chosen] = [`temp-${Date.now()}@example.com`, `chosen-${Date.now()}@example.com`];
    const create = (email: string, extra: Record<string, string>) =>
      admin.post('/admin/operators', { _csrf: csrf, _action: 'create', name: 'Nuovo', email, role: 'editor', password: 'a temporary password', ...extra });
    expect((await create(temporary, { mustChangePassword: 'on' })).status).toBe(303);
    expect((await create(chosen, {})).status).toBe(303);

    const first = new ConsoleClient(server.url);
    await first.signIn(temporary, 'a temporary password');
    expect((await first.get('/admin/incidents')).location).toBe('/admin/account');
    const second = new ConsoleClient(server.url);
    await second.signIn(chosen, 'a temporary password');
    expect((await second.get('/admin/incidents')).status).toBe(200);
  });
});
