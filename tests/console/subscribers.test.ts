/**
 * The subscriber pages of the console over HTTP, against the built server with the embedded mail transport
 * (no RESEND_API_KEY) and its delivery worker running: roles, CSRF on every form (multipart ones too), the
 * import preview → apply → report path in both consent modes, the CSV download, suppress and erase, the mail
 * list, and the e-mail figures on an incident's page once the worker has sent the alert.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../support/server.ts';
import { ConsoleClient, EDITOR, VIEWER, type Reply, bootConsole, decode, hidden, text } from './client.ts';


let server: RunningServer;
let admin: ConsoleClient;
let editor: ConsoleClient;
let viewer: ConsoleClient;

/** A multipart POST (the import forms), with the client's cookies and a same-origin Origin header. */
async function postMultipart(client: ConsoleClient, path: string, fields: Record<string, string>, file?: { name: string; content: string }): Promise<Reply> {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  if (file) body.append('file', new Blob([file.content], { type: 'text/csv' }), file.name);
  const response = await fetch(`${client.base}${path}`, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: client.base },
  });
  return { status: response.status, html: await response.text(), location: response.headers.get('location'), setCookies: [], headers: response.headers };
}

/** The hidden CSV the preview hands to the apply form (a textarea: it keeps line breaks). */
const carriedCsv = (html: string) => decode(/<textarea name="csv"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)?.[1] ?? '').replace(/^\n/, '');

/** Waits for something the background worker does (a deadline, not a timed assertion). */
async function eventually<T>(probe: () => Promise<T | null | undefined | false>, what: string, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function importCsv(client: ConsoleClient, csv: string, apply: Record<string, string> = {}) {
  const csrf = await client.csrf('/admin/subscribers/import');
  const preview = await postMultipart(client, '/admin/subscribers/import', { _csrf: csrf, intent: 'preview' }, { name: 'list.csv', content: csv });
  expect(preview.status, text(preview.html).slice(0, 600)).toBe(200);
  const applied = await postMultipart(client, '/admin/subscribers/import', {
    _csrf: csrf,
    intent: 'apply',
    fingerprint: hidden(preview.html, 'fingerprint'),
    csv: carriedCsv(preview.html),
    ...apply,
  });
  return { preview, applied };
}

beforeAll(async () => {
  ({ server, admin } = await bootConsole());
  editor = new ConsoleClient(server.url);
  expect((await editor.signIn(EDITOR)).status).toBe(303);
  viewer = new ConsoleClient(server.url);
  expect((await viewer.signIn(VIEWER)).status).toBe(303);
}, 600_000);

afterAll(async () => {
  await server?.stop();
});

describe('importing a partner list', () => {
  it('previews every row with its reason, then imports pending addresses and queues their confirmation e-mails', async () => {
    const csv = ['email;language;services', 'anna@partner.example;it;*', 'ops@partner.example;en;sending', 'broken-address;it;', 'x@partner.example;it;nope', 'anna@partner.example;en;'].join('\n');
    const { preview, applied } = await importCsv(admin, csv);
    expect(text(preview.html)).toContain('2 da creare, 0 da aggiornare, 3 saltate');
    const reasons = [...preview.html.matchAll(/<tr data-reason="([a-z_]+)">/g)].map((m) => m[1]);
    expect(reasons).toEqual(['invalid_email', 'unknown_services', 'duplicate_in_file']);
    expect(text(preview.html)).toContain('servizi sconosciuti: nope');
    // Nothing saved by the preview: the apply does it.
    expect(applied.status, text(applied.html).slice(0, 600)).toBe(200);
    expect(text(applied.html)).toContain('2 creati, 0 aggiornati, 3 saltati');
    expect(text(applied.html)).toContain('2 e-mail di conferma in coda.');

    const list = await editor.get('/admin/subscribers?q=partner.example');
    expect(list.status).toBe(200);
    expect(text(list.html)).toContain('2 iscritti trovati');
    expect(text(list.html)).toContain('ops@partner.example');

    // The embedded transport writes the confirmation e-mail; the mail page shows it with its text.
    const mail = await eventually(async () => {
      const r = await editor.get('/admin/mail');
      return r.html.includes('ops@partner.example') ? r : null;
    }, 'the confirmation e-mail in the mail list');
    expect(mail.html).toMatch(/\/en\/subscribe\/confirm\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
  });

  it('needs a note to attest consent, then subscribes the addresses as confirmed and says so', async () => {
    const csv = 'email,language,services\nlegal@bank.example,it,web\nit@bank.example,en,\n';
    const refused = await importCsv(admin, csv, { attestConsent: 'on', consentNote: '' });
    expect(refused.applied.status).toBe(422);
    expect(text(refused.applied.html)).toContain('indica come e quando è stato raccolto il consenso');
    // The preview stays on screen, so the operator only adds the note.
    expect(hidden(refused.applied.html, 'fingerprint')).toBe(hidden(refused.preview.html, 'fingerprint'));

    const note = 'Contratto firmato il 3 marzo 2026, allegato B';
    const { applied } = await importCsv(admin, csv, { attestConsent: 'on', consentNote: note });
    expect(applied.status).toBe(200);
    expect(text(applied.html)).toContain('Consenso dichiarato');

    const list = await editor.get('/admin/subscribers?q=legal%40bank');
    const id = /href="\/admin\/subscribers\/([a-z0-9]+)"/.exec(list.html)?.[1];
    expect(id).toBeDefined();
    const detail = await editor.get(`/admin/subscribers/${id}`);
    expect(detail.html).toContain('data-state="confirmed"');
    expect(text(detail.html)).toContain('dichiarato da un operatore');
    expect(text(detail.html)).toContain(note);
  });

  it('is for administrators only, and refuses a multipart post without the CSRF token', async () => {
    expect((await editor.get('/admin/subscribers/import')).status).toBe(403);
    const noToken = await postMultipart(admin, '/admin/subscribers/import', { intent: 'preview' }, { name: 'x.csv', content: 'email\ncsrf@nowhere.example\n' });
    expect(noToken.status).toBe(403);
    const csrf = await admin.csrf('/admin/subscribers/import');
    const crossSite = await fetch(`${server.url}/admin/subscribers/import`, {
      method: 'POST',
      body: (() => {
        const f = new FormData();
        f.append('_csrf', csrf);
        f.append('intent', 'preview');
        f.append('csv', 'email\ncsrf@nowhere.example\n');
        return f;
      })(),
      redirect: 'manual',
      headers: { cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
  });
});

describe('the list, the counts and the export', () => {
  it('shows counts to a viewer but no addresses', async () => {
    const page = await viewer.get('/admin/subscribers');
    expect(page.status).toBe(200);
    expect(page.html).toContain('data-counts="service"');
    expect(text(page.html)).toContain('Il tuo ruolo vede solo i totali');
    expect(page.html).not.toContain('@partner.example');
    expect(page.html).not.toContain('href="/admin/mail"');
    expect((await viewer.get('/admin/mail')).status).toBe(403);
    // The same page in English (the console's language cookie).
    viewer.cookies.set('vedetta_console_lang', 'en');
    const english = await viewer.get('/admin/subscribers');
    viewer.cookies.delete('vedetta_console_lang');
    expect(text(english.html)).toContain('Confirmed by service');
    expect(text(english.html)).toContain('Your role sees the totals only');
  });

  it('downloads the filtered list as CSV for administrators only', async () => {
    const r = await admin.get('/admin/subscribers/export.csv?q=bank.example');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="subscribers-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const rows = parse(r.html.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.email).sort()).toEqual(['it@bank.example', 'legal@bank.example']);
    expect(rows.find((x) => x.email === 'legal@bank.example')).toMatchObject({ language: 'it', services: 'web', state: 'confirmed', consent: 'operator_attested' });
    const refused = await editor.get('/admin/subscribers/export.csv');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await new ConsoleClient(server.url).get('/admin/subscribers/export.csv')).status).toBe(303);
  });
});

describe('one subscriber', () => {
  it('suppresses with a reason and erases only with the confirmation ticked; both forms need the CSRF token', async () => {
    const list = await editor.get('/admin/subscribers?q=it%40bank.example');
    const id = /href="\/admin\/subscribers\/([a-z0-9]+)"/.exec(list.html)?.[1];
    expect(id).toBeDefined();
    const path = `/admin/subscribers/${id}`;
    expect((await editor.post(path, { _action: 'suppress', reason: 'asked by phone' })).status).toBe(403);
    expect((await viewer.get(path)).status).toBe(403);
    const csrf = await editor.csrf(path);
    const suppressed = await editor.post(path, { _csrf: csrf, _action: 'suppress', reason: 'asked by phone' });
    expect(suppressed.status).toBe(303);
    expect(suppressed.location).toBe(`${path}?ok=subscriber-suppressed`);
    const after = await editor.get(path);
    expect(after.html).toContain('data-state="suppressed"');
    expect(text(after.html)).toContain('operator: asked by phone');

    const unticked = await editor.post(path, { _csrf: csrf, _action: 'remove' });
    expect(unticked.status).toBe(422);
    expect((await editor.get(path)).status).toBe(200);
    const erased = await editor.post(path, { _csrf: csrf, _action: 'remove', confirm: 'on' });
    expect(erased.status).toBe(303);
    expect(erased.location).toBe('/admin/subscribers?ok=subscriber-removed');
    expect((await editor.get(path)).status).toBe(404);
  });
});

describe('delivery figures on the incident page', () => {
  it('shows, per update, how many alert e-mails went out', async () => {
    const csrf = await editor.csrf('/admin/incidents/new');
    const declared = await editor.post('/admin/incidents/new', {
      _csrf: csrf,
      intent: 'publish',
      'title.it': 'Portale lento',
      'title.en': 'Slow portal',
      impact: 'minor',
      status: 'investigating',
      'svc.web': 'degraded_performance',
      'body.it': 'Stiamo verificando.',
      'body.en': 'We are investigating.',
      notify: 'on',
    });
    expect(declared.status, text(declared.html).slice(0, 600)).toBe(303);
    const incidentId = /^\/admin\/incidents\/([a-z0-9]+)\?ok=declared$/.exec(declared.location ?? '')?.[1];
    expect(incidentId).toBeDefined();
    // legal@bank.example follows "web" and is confirmed: the only recipient (the others are pending or suppressed).
    const page = await eventually(async () => {
      const r = await viewer.get(`/admin/incidents/${incidentId}`);
      return /data-count="sent"[^>]*>1 /.test(r.html) ? r : null;
    }, 'the alert to be sent');
    expect(page.html).toMatch(/data-count="recipients"[^>]*>1 destinatari/);
    expect(page.html).not.toMatch(/data-count="failed"/);
  });
});
