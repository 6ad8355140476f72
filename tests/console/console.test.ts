/**
 * The operator console over HTTP, against the built server: sign-in that says nothing about which part was
 * wrong, the session cookie's flags, CSRF on every form (and on sign-in, with a double-submit nonce), no open
 * redirects, roles (a viewer cannot write), and the main path: an editor declares an incident, posts an
 * update in both languages, and readers see it on the public page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../support/server.ts';
import { ADMIN, ConsoleClient, EDITOR, PASSWORD, VIEWER, bootConsole, hidden, text } from './client.ts';


let server: RunningServer;
let admin: ConsoleClient;

beforeAll(async () => {
  ({ server, admin } = await bootConsole());
}, 600_000);

afterAll(async () => {
  await server?.stop();
});

describe('sign-in and sessions', () => {
  it('sends anyone without a session to the sign-in page, keeping where they were going', async () => {
    const anon = new ConsoleClient(server.url);
    const r = await anon.get('/admin/incidents?page=2');
    expect(r.status).toBe(303);
    expect(r.location).toBe('/admin/sign-in?next=%2Fadmin%2Fincidents%3Fpage%3D2');
  });

  it('answers every failed sign-in with the same generic message and no session', async () => {
    const wrongPassword = new ConsoleClient(server.url);
    const a = await wrongPassword.signIn(EDITOR, 'not the right password');
    const unknown = new ConsoleClient(server.url);
    const b = await unknown.signIn('nobody@example.com', PASSWORD);
    for (const r of [a, b]) {
      expect(r.status).toBe(401);
      expect(text(r.html)).toContain('E-mail o password non riconosciute, oppure accesso temporaneamente bloccato');
      expect(r.setCookies.some((c) => c.includes('vedetta_session'))).toBe(false);
    }
    // Same words whatever was wrong: the page does not reveal which addresses exist.
    const message = (html: string) => /<div class="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1];
    expect(message(a.html)).toBe(message(b.html));
    expect(wrongPassword.cookies.has('__Host-vedetta_session')).toBe(false);
  });

  it('sets a __Host- session cookie (Secure, HttpOnly, SameSite=Lax, Path=/) holding only a random token', async () => {
    const client = new ConsoleClient(server.url);
    const r = await client.signIn(EDITOR);
    expect(r.status).toBe(303);
    expect(r.location).toBe('/admin');
    const cookie = r.setCookies.find((c) => c.startsWith('__Host-vedetta_session='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
    expect(cookie).not.toMatch(/Domain=/i);
    const token = client.cookies.get('__Host-vedetta_session')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(token).not.toContain(EDITOR);
    // Console pages are never cached.
    const page = await client.get('/admin');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('signs out with a POST carrying the CSRF token, and the old token no longer opens the console', async () => {
    const client = new ConsoleClient(server.url);
    await client.signIn(EDITOR);
    const token = client.cookies.get('__Host-vedetta_session')!;
    const csrf = await client.csrf();
    const out = await client.post('/admin/sign-out', { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.location).toBe('/admin/sign-in?ok=signed-out');
    expect(client.cookies.has('__Host-vedetta_session')).toBe(false);
    const replay = new ConsoleClient(server.url);
    replay.cookies.set('__Host-vedetta_session', token);
    expect((await replay.get('/admin')).status).toBe(303);
  });
});

describe('an expired session', () => {
  it('does not lose what the operator wrote: the refused post shows the text to copy and links to sign-in', async () => {
    const stale = new ConsoleClient(server.url);
    stale.cookies.set('__Host-vedetta_session', 'expired-or-revoked-token-0123456789abcdef0123456789');
    const r = await stale.post('/admin/incidents/new', { _csrf: 'x', intent: 'publish', 'title.it': 'Titolo', 'body.it': 'Testo <b>lungo</b> scritto sotto pressione.' });
    expect(r.status).toBe(401);
    expect(r.html).toContain('Testo &lt;b&gt;lungo&lt;/b&gt; scritto sotto pressione.</textarea>');
    expect(r.html).toContain('href="/admin/sign-in?next=%2Fadmin%2Fincidents%2Fnew"');
  });
});

describe('CSRF protection', () => {
  it('refuses a console POST without the token, with a wrong token, or from another origin (403), and changes nothing', async () => {
    const editor = new ConsoleClient(server.url);
    await editor.signIn(EDITOR);
    const csrf = await editor.csrf('/admin/incidents/new');
    const form = {
      intent: 'publish',
      'title.it': 'Tentativo CSRF',
      impact: 'minor',
      status: 'investigating',
      'body.it': 'Non deve essere pubblicato.',
    };
    const missing = await editor.post('/admin/incidents/new', form);
    expect(missing.status).toBe(403);
    const wrong = await editor.post('/admin/incidents/new', { ...form, _csrf: `${csrf.slice(0, -2)}xx` });
    expect(wrong.status).toBe(403);
    // The refusal hands the typed text back instead of losing it.
    expect(wrong.html).toContain('>Non deve essere pubblicato.</textarea>');
    // Another user's token is worthless with this session.
    const other = new ConsoleClient(server.url);
    await other.signIn(ADMIN);
    const foreign = await editor.post('/admin/incidents/new', { ...form, _csrf: await other.csrf() });
    expect(foreign.status).toBe(403);
    // Astro's own origin check on top: a cross-site form post is refused even with the right token.
    const crossSite = await editor.post('/admin/incidents/new', { ...form, _csrf: csrf }, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    // The sign-out form is protected too.
    expect((await editor.post('/admin/sign-out', {})).status).toBe(403);
    const list = await editor.get('/admin/incidents');
    expect(text(list.html)).not.toContain('Tentativo CSRF');
  });

  it('protects the sign-in form with a double-submit nonce', async () => {
    const client = new ConsoleClient(server.url);
    await client.get('/admin/sign-in');
    const r = await client.post('/admin/sign-in', { _csrf: 'forged', email: EDITOR, password: PASSWORD });
    expect(r.status).toBe(403);
    expect(client.cookies.has('__Host-vedetta_session')).toBe(false);
    const noCookie = new ConsoleClient(server.url);
    const page = await noCookie.get('/admin/sign-in');
    noCookie.cookies.clear();
    const r2 = await noCookie.post('/admin/sign-in', { _csrf: hidden(page.html, '_csrf'), email: EDITOR, password: PASSWORD });
    expect(r2.status).toBe(403);
  });
});

describe('redirects stay inside the console', () => {
  for (const next of ['https://evil.example/', '//evil.example/admin', '/\\evil.example', '/admin/../../evil', 'javascript:alert(1)', '/admin/sign-in']) {
    it(`ignores next=${next} after signing in`, async () => {
      const client = new ConsoleClient(server.url);
      const r = await client.signIn(EDITOR, PASSWORD, next);
      expect(r.status).toBe(303);
      expect(r.location).toBe('/admin');
    });
  }

  it('follows a next inside the console', async () => {
    const client = new ConsoleClient(server.url);
    const r = await client.signIn(EDITOR, PASSWORD, '/admin/services?x=1');
    expect(r.location).toBe('/admin/services?x=1');
  });

  it('keeps the language switch on the site too', async () => {
    const client = new ConsoleClient(server.url);
    const r = await client.get('/admin/language?to=en&next=https%3A%2F%2Fevil.example%2F');
    expect(r.status).toBe(303);
    expect(r.location).toBe('/admin');
  });
});

describe('roles', () => {
  it('shows a viewer disabled forms and refuses their posts (403) without writing anything', async () => {
    const viewer = new ConsoleClient(server.url);
    await viewer.signIn(VIEWER);
    const page = await viewer.get('/admin/incidents/new');
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<fieldset class="bare" disabled>/);
    const r = await viewer.post('/admin/incidents/new', {
      _csrf: hidden(page.html, '_csrf'),
      intent: 'publish',
      'title.it': 'Scritto da un lettore',
      impact: 'minor',
      status: 'investigating',
      'body.it': 'Non deve comparire.',
    });
    expect(r.status).toBe(403);
    const status = await viewer.post('/admin/services', { _csrf: hidden(page.html, '_csrf'), _action: 'status', service: 'web', status: 'major_outage' });
    expect(status.status).toBe(403);
    expect(text((await viewer.get('/admin/incidents')).html)).not.toContain('Scritto da un lettore');
    expect(text((await viewer.get('/admin/services')).html)).not.toContain('Disservizio totale dal');
  });

  it('keeps operators and API tokens for administrators', async () => {
    const editor = new ConsoleClient(server.url);
    await editor.signIn(EDITOR);
    expect((await editor.get('/admin/operators')).status).toBe(403);
    expect((await editor.get('/admin/tokens')).status).toBe(403);
    expect((await admin.get('/admin/operators')).status).toBe(200);
  });

  it('answers 404 with the console page for an incident, maintenance or service that does not exist', async () => {
    for (const path of [
      '/admin/incidents/nope',
      '/admin/incidents/nope/plan',
      '/admin/incidents/nope/notices',
      '/admin/incidents/nope/faq',
      '/admin/maintenance/nope',
      '/admin/services/nope',
    ]) {
      const r = await admin.get(path);
      expect(r.status, path).toBe(404);
      expect(r.html, path).toContain('<h1');
    }
  });

  it('shows a new API token secret once, then only its prefix', async () => {
    const csrf = await admin.csrf('/admin/tokens');
    const r = await admin.post('/admin/tokens', { _csrf: csrf, _action: 'create', name: 'monitoraggio', scopes: ['write'] });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const secret = /<code data-secret>([^<]+)<\/code>/.exec(r.html)?.[1];
    expect(secret).toMatch(/^vdt_/);
    const again = await admin.get('/admin/tokens');
    expect(again.html).not.toContain(secret!);
    expect(again.html).toContain(secret!.slice(0, 10));
  });
});

describe('declaring an incident and posting updates', () => {
  let incidentId = '';
  const editor = () => new ConsoleClient(server.url);

  it('an editor declares an incident from a template, posts an update in two languages, and readers see it', async () => {
    const e = editor();
    await e.signIn(EDITOR);
    const form = await e.get('/admin/incidents/new?template=invio-fatture');
    expect(form.status).toBe(200);
    expect(form.html).toContain('Disservizio nell’invio delle fatture');
    const csrf = hidden(form.html, '_csrf');
    const declared = await e.post('/admin/incidents/new', {
      _csrf: csrf,
      intent: 'publish',
      template: 'invio-fatture',
      'title.it': 'Invio fatture rallentato',
      'title.en': 'Slow invoice sending',
      impact: 'major',
      status: 'investigating',
      'svc.sending': 'partial_outage',
      'body.it': 'Le fatture restano **in coda**.',
      'body.en': 'Invoices stay **queued**.',
      nextUpdateBy: '2027-03-28T02:30',
      notify: 'on',
    });
    expect(declared.status, text(declared.html).slice(0, 800)).toBe(303);
    incidentId = /^\/admin\/incidents\/([a-z0-9]+)\?ok=declared$/.exec(declared.location ?? '')?.[1] ?? '';
    expect(incidentId).not.toBe('');

    // The preview renders both languages with the public renderer, and publishes nothing.
    const page = await e.get(`/admin/incidents/${incidentId}`);
    const version = hidden(page.html, 'version');
    const update = {
      _csrf: csrf,
      _action: 'update',
      version,
      seenUpdate: hidden(page.html, 'seenUpdate'),
      seenStatus: hidden(page.html, 'seenStatus'),
      status: 'identified',
      impact: 'major',
      'body.it': 'Causa individuata: un certificato scaduto. Stiamo rinnovandolo.',
      'body.en': 'Cause found: an expired certificate. We are renewing it.',
      'svc.sending': 'degraded_performance',
      nextUpdateBy: '',
      notify: 'on',
    };
    const preview = await e.post(`/admin/incidents/${incidentId}`, { ...update, intent: 'preview' });
    expect(preview.status).toBe(200);
    expect(preview.html).toContain('Anteprima sulla pagina pubblica');
    expect(preview.html).toContain('<p>Causa individuata: un certificato scaduto. Stiamo rinnovandolo.</p>');
    expect(preview.html).toContain('<p>Cause found: an expired certificate. We are renewing it.</p>');
    expect(preview.html).toContain('Causa individuata</span>');
    expect(preview.html).toContain('Identified</span>');
    const before = await fetch(`${server.url}/incidents/${incidentId}`).then((r) => r.text());
    expect(before).not.toContain('certificato scaduto');

    const published = await e.post(`/admin/incidents/${incidentId}`, { ...update, intent: 'publish' });
    expect(published.status, text(published.html).slice(0, 800)).toBe(303);
    expect(published.location).toBe(`/admin/incidents/${incidentId}?ok=update-posted`);

    const it = await fetch(`${server.url}/incidents/${incidentId}`).then((r) => r.text());
    expect(text(it)).toContain('Causa individuata: un certificato scaduto. Stiamo rinnovandolo.');
    expect(text(it)).toContain('Invio fatture rallentato');
    expect(it).toContain('<strong>in coda</strong>');
    // "2027-03-28 02:30" does not exist in Rome (clocks jump 02:00 → 03:00): read as 03:30 CEST = 01:30 UTC.
    expect(it).toContain('datetime="2027-03-28T01:30:00.000Z"');
    const en = await fetch(`${server.url}/en/incidents/${incidentId}`).then((r) => r.text());
    expect(text(en)).toContain('Cause found: an expired certificate. We are renewing it.');
    expect(text(en)).toContain('Slow invoice sending');
  });

  it('refuses an update written on an old version, says what changed and keeps the text', async () => {
    const e = editor();
    await e.signIn(EDITOR);
    const stale = await e.get(`/admin/incidents/${incidentId}`);
    const form = {
      _csrf: hidden(stale.html, '_csrf'),
      _action: 'update',
      intent: 'publish',
      version: hidden(stale.html, 'version'),
      seenUpdate: hidden(stale.html, 'seenUpdate'),
      seenStatus: hidden(stale.html, 'seenStatus'),
      status: 'identified',
      impact: 'major',
      nextUpdateBy: '',
    };
    // A colleague posts first...
    const first = await e.post(`/admin/incidents/${incidentId}`, { ...form, status: 'monitoring', 'body.it': 'Correzione applicata, monitoriamo.' });
    expect(first.status).toBe(303);
    // ...then this operator, from the page opened before.
    const second = await e.post(`/admin/incidents/${incidentId}`, { ...form, 'body.it': 'Il mio testo lungo e importante.' });
    expect(second.status).toBe(409);
    expect(text(second.html)).toContain('Nel frattempo qualcun altro ha modificato questo incidente');
    expect(text(second.html)).toContain('Correzione applicata, monitoriamo.');
    expect(text(second.html)).toContain('da «Causa individuata» a «In monitoraggio»');
    // Who wrote in between, in Italian: the service's English explanation is not appended.
    const box = /<div class="warn-note" role="alert" id="conflict">([\s\S]*?)<form/.exec(second.html)?.[1] ?? '';
    expect(text(box)).toContain('Modifiche di: editor.');
    expect(text(box)).not.toMatch(/This incident changed|version|Reload/);
    expect(box).not.toContain('lang="en"');
    expect(second.html).toContain('>Il mio testo lungo e importante.</textarea>');
    // The form now carries the current version: sending it again goes through.
    const retry = await e.post(`/admin/incidents/${incidentId}`, {
      ...form,
      status: 'monitoring',
      'body.it': 'Il mio testo lungo e importante.',
      version: hidden(second.html, 'version'),
    });
    expect(retry.status).toBe(303);
  });

  it('shows field errors next to the fields and keeps what was typed', async () => {
    const e = editor();
    await e.signIn(EDITOR);
    const page = await e.get('/admin/incidents/new');
    const r = await e.post('/admin/incidents/new', {
      _csrf: hidden(page.html, '_csrf'),
      intent: 'publish',
      'title.it': '',
      'title.en': 'Only English',
      impact: 'minor',
      status: 'investigating',
      'body.it': 'Testo',
      nextUpdateBy: '2026-02-30T10:00',
    });
    expect(r.status).toBe(422);
    expect(r.html).toMatch(/id="f-nextUpdateBy-error"/);
    expect(r.html).toMatch(/aria-invalid="true"[^>]*aria-describedby="f-nextUpdateBy-error/);
    expect(r.html).toContain('value="Only English"');
  });

  it('adds a milestone to the recovery plan and readers see it', async () => {
    const e = editor();
    await e.signIn(EDITOR);
    const page = await e.get(`/admin/incidents/${incidentId}/plan`);
    const r = await e.post(`/admin/incidents/${incidentId}/plan`, {
      _csrf: hidden(page.html, '_csrf'),
      _action: 'add',
      'title.it': 'Rinnovo del certificato',
      'title.en': 'Certificate renewal',
      state: 'planned',
      expectedAt: '2027-01-10T18:00',
      service: 'sending',
    });
    expect(r.status, text(r.html).slice(0, 500)).toBe(303);
    const pub = await fetch(`${server.url}/incidents/${incidentId}`).then((x) => x.text());
    expect(text(pub)).toContain('Rinnovo del certificato');
    expect(pub).toContain('datetime="2027-01-10T17:00:00.000Z"');
  });

  it("records a milestone as done at an earlier time, without e-mail when the box is unticked; a future time is refused", async () => {
    const e = editor();
    await e.signIn(EDITOR);
    let page = await e.get(`/admin/incidents/${incidentId}/plan`);
    const added = await e.post(`/admin/incidents/${incidentId}/plan`, {
      _csrf: hidden(page.html, '_csrf'),
      _action: 'add',
      'title.it': 'Riattivazione del canale PEC',
      state: 'planned',
    });
    expect(added.status).toBe(303);
    page = await e.get(`/admin/incidents/${incidentId}/plan`);
    const milestoneId = /id="m-([^"]+)"[^>]*>(?:(?!<li).)*Riattivazione del canale PEC/s.exec(page.html)?.[1];
    expect(milestoneId).toBeTruthy();
    expect(page.html).toContain(`id="m-${milestoneId}-done-notify" name="notify" checked`);
    const future = await e.post(`/admin/incidents/${incidentId}/plan`, {
      _csrf: hidden(page.html, '_csrf'), _action: 'doneAt', milestoneId: milestoneId!, actualAt: '2099-01-01T10:00',
    });
    expect(future.status).toBe(422);
    expect(future.html).toMatch(new RegExp(`id="f-m-${milestoneId}-done-actualAt-error"`));
    // The refused form comes back unfolded, and only that one.
    expect(future.html).toMatch(new RegExp(`<details open>(?:(?!</details>).)*id="f-m-${milestoneId}-done-actualAt-error"`, 's'));
    expect(future.html.match(/<details open>/g)).toHaveLength(1);
    // The box unticked is kept on the refused form.
    expect(future.html).not.toContain(`id="m-${milestoneId}-done-notify" name="notify" checked`);
    const done = await e.post(`/admin/incidents/${incidentId}/plan`, {
      _csrf: hidden(page.html, '_csrf'), _action: 'doneAt', milestoneId: milestoneId!, actualAt: '2026-01-05T09:30',
    });
    expect(done.status, text(done.html).slice(0, 500)).toBe(303);
    const pub = await fetch(`${server.url}/incidents/${incidentId}`).then((x) => x.text());
    expect(pub).toContain('datetime="2026-01-05T08:30:00.000Z"');
  });

  it('publishes a data-gap window whose restore is still expected, then marks it done; readers see the difference', async () => {
    const e = editor();
    await e.signIn(EDITOR);
    const here = `/admin/incidents/${incidentId}/notices`;
    let page = await e.get(here);
    expect(page.html).toContain('id="f-windows-0-pending" name="windows.0.pending"');
    const published = await e.post(here, {
      _csrf: hidden(page.html, '_csrf'), _action: 'add', 'title.it': 'Storico delle aree vuote', 'windows.0.scope.it': 'Aree vuote',
      'windows.0.restoredUntil': '2026-01-09T21:30', 'windows.0.pending': 'on',
    });
    expect(published.status, text(published.html).slice(0, 500)).toBe(303);
    const shown = async () => {
      const pub = await fetch(`${server.url}/incidents/${incidentId}`).then((x) => x.text());
      return text(pub.slice(pub.indexOf('Aree vuote'))).slice(0, 120);
    };
    expect(await shown()).toMatch(/^Aree vuote Ripristino previsto, non ancora fatto: dati fino al 9 gen 2026, 21:30 CET/);

    // The edit form shows the box ticked; unticking it says the restore is done.
    page = await e.get(here);
    const noticeId = /href="[^"]*\?edit=([a-z0-9]+)#form"/.exec(page.html)![1]!;
    page = await e.get(`${here}?edit=${noticeId}`);
    expect(page.html).toContain('id="f-windows-0-pending" name="windows.0.pending" checked');
    // Marking it done publishes the notice again as restored: the form asks whether to e-mail it (ticked).
    expect(text(page.html)).toContain('Avvisa gli iscritti per e-mail se un ripristino «non ancora fatto» risulta fatto');
    expect(page.html).toContain('id="f-notify" name="notify" checked');
    const saved = await e.post(here, {
      _csrf: hidden(page.html, '_csrf'), _action: 'edit', noticeId, 'title.it': 'Storico delle aree vuote', 'windows.0.scope.it': 'Aree vuote',
      'windows.0.restoredUntil': '2026-01-09T21:30', notify: 'on',
    });
    expect(saved.status, text(saved.html).slice(0, 500)).toBe(303);
    expect(await shown()).toMatch(/^Aree vuote Dati ripristinati fino al 9 gen 2026, 21:30 CET/);
    const feed = await fetch(`${server.url}/incidents/${incidentId}/feed.rss`).then((x) => x.text());
    expect(feed).toContain('<title><![CDATA[Dati ripristinati: Storico delle aree vuote]]></title>');
    // With nothing left to restore, the edit form no longer offers the box.
    expect((await e.get(`${here}?edit=${noticeId}`)).html).not.toContain('id="f-notify"');
  });

  it('records who changed what in the audit log', async () => {
    const log = await admin.get(`/admin/audit?objectType=incident&objectId=${incidentId}`);
    expect(log.status).toBe(200);
    expect(text(log.html)).toContain('incident.update');
    expect(text(log.html)).toContain('editor');
  });
});

describe('maintenance', () => {
  it('asks whether to e-mail subscribers when scheduling (ticked by default), keeps the answer and lets an edit change it', async () => {
    const e = new ConsoleClient(server.url);
    await e.signIn(EDITOR);
    const list = await e.get('/admin/maintenance');
    expect(list.html).toContain('id="f-notify" name="notify" checked');
    expect(text(list.html)).toContain('Avvisa gli iscritti per e-mail: all’annuncio, se si sposta, con un promemoria poco prima, all’inizio e alla fine');
    // A browser sends nothing for an unticked box.
    const scheduled = await e.post('/admin/maintenance', {
      _csrf: hidden(list.html, '_csrf'),
      'title.it': 'Riavvio notturno dei server',
      scheduledStart: '2027-02-10T02:00',
      scheduledEnd: '2027-02-10T03:00',
      services: 'web',
    });
    expect(scheduled.status, text(scheduled.html).slice(0, 500)).toBe(303);
    const here = /^(\/admin\/maintenance\/[a-z0-9]+)\?ok=maintenance-scheduled$/.exec(scheduled.location ?? '')?.[1];
    expect(here).toBeTruthy();
    const quiet = await e.get(here!);
    expect(quiet.html).toContain('id="f-notify" name="notify"');
    expect(quiet.html).not.toContain('id="f-notify" name="notify" checked');

    const edited = await e.post(here!, {
      _csrf: hidden(quiet.html, '_csrf'),
      _action: 'edit',
      'title.it': 'Riavvio notturno dei server',
      scheduledStart: '2027-02-10T02:00',
      scheduledEnd: '2027-02-10T03:30',
      services: 'web',
      notify: 'on',
    });
    expect(edited.status, text(edited.html).slice(0, 500)).toBe(303);
    const page = await e.get(here!);
    expect(page.html).toContain('id="f-notify" name="notify" checked');

    // Closed before it started: it never ran, and the console says "cancelled" as the public page does.
    const closed = await e.post(here!, { _csrf: hidden(page.html, '_csrf'), _action: 'complete' });
    expect(closed.status, text(closed.html).slice(0, 500)).toBe(303);
    const badge = (html: string) => /<span class="badge[^"]*">.*?<span>([^<]*)<\/span><\/span>/.exec(html)?.[1];
    expect(badge((await e.get(here!)).html)).toBe('Annullata');
    const listed = (await e.get('/admin/maintenance')).html;
    expect(text(listed.slice(listed.indexOf('Riavvio notturno dei server')))).toMatch(/^Riavvio notturno dei server Annullata/);
  });
});

describe('resolving an incident whose recovery plan has open milestones', () => {
  it('lists them on the form when "resolved" is chosen, and a resolution from a form that did not list them is sent back first', async () => {
    const e = new ConsoleClient(server.url);
    await e.signIn(EDITOR);
    const csrf = await e.csrf('/admin/incidents/new');
    const declared = await e.post('/admin/incidents/new', {
      _csrf: csrf, intent: 'publish', 'title.it': 'Archivio lento', impact: 'minor', status: 'investigating', 'body.it': 'Verifichiamo.',
    });
    expect(declared.status).toBe(303);
    const id = /^\/admin\/incidents\/([a-z0-9]+)\?/.exec(declared.location ?? '')?.[1];
    for (const [title, state] of [['Recupero arretrato', 'planned'], ['Indici ricostruiti', 'done']]) {
      const added = await e.post(`/admin/incidents/${id}/plan`, { _csrf: csrf, _action: 'add', 'title.it': title!, state: state!, expectedAt: '2027-01-11T00:00' });
      expect(added.status).toBe(303);
    }

    // An ordinary update: no warning in the way.
    const page = await e.get(`/admin/incidents/${id}`);
    expect(page.html).not.toContain('id="open-milestones"');
    // The "Resolve" link opens the form on "resolved": the open milestone is listed, the done one is not.
    const resolving = await e.get(`/admin/incidents/${id}?status=resolved`);
    const notice = /<div class="warn-note" id="open-milestones">([\s\S]*?)<\/div>/.exec(resolving.html)?.[1] ?? '';
    expect(text(notice)).toContain('Il piano di ripristino ha ancora una tappa aperta');
    expect(text(notice)).toContain('Recupero arretrato');
    // Expected by midnight reads as the end of the 10th, as on the public plan.
    expect(text(notice)).toContain('Prevista: 10 gen 2027, 24:00 CET');
    expect(text(notice)).not.toContain('Indici ricostruiti');
    expect(notice).toContain(`href="/admin/incidents/${id}/plan#m-`);

    // "Resolved" chosen on a form opened for an ordinary update: sent back with the list, nothing published.
    const form = {
      _csrf: csrf, _action: 'update', intent: 'publish', version: hidden(page.html, 'version'), seenUpdate: hidden(page.html, 'seenUpdate'),
      seenStatus: hidden(page.html, 'seenStatus'), status: 'resolved', impact: 'minor', 'body.it': 'Archivio di nuovo veloce.', notify: 'on', restoreServices: 'on',
    };
    const refused = await e.post(`/admin/incidents/${id}`, form);
    expect(refused.status).toBe(422);
    expect(text(refused.html)).toContain('L’incidente non è ancora risolto: il piano di ripristino ha tappe aperte');
    expect(text(refused.html)).toContain('Recupero arretrato');
    expect(refused.html).toContain('>Archivio di nuovo veloce.</textarea>');
    expect(text(await fetch(`${server.url}/incidents/${id}`).then((r) => r.text()))).not.toContain('Archivio di nuovo veloce.');

    // Publishing again from the form that showed them resolves.
    const seen = [...refused.html.matchAll(/name="openMilestonesSeen" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(seen).toHaveLength(1);
    const resolved = await e.post(`/admin/incidents/${id}`, { ...form, openMilestonesSeen: seen });
    expect(resolved.status, text(resolved.html).slice(0, 500)).toBe(303);
    expect(resolved.location).toBe(`/admin/incidents/${id}?ok=resolved`);
  });
});

describe('conflicts and refusals in the console\'s language', () => {
  async function declare(e: ConsoleClient, title: string) {
    const declared = await e.post('/admin/incidents/new', {
      _csrf: await e.csrf('/admin/incidents/new'), intent: 'publish', 'title.it': title, impact: 'minor', status: 'investigating', 'body.it': 'Verifichiamo.',
    });
    expect(declared.status).toBe(303);
    return /^\/admin\/incidents\/([a-z0-9]+)\?/.exec(declared.location ?? '')![1]!;
  }

  /** The administrator, as a colleague, raises the incident's impact to critical. */
  async function raiseImpact(id: string, title: string) {
    const page = await admin.get(`/admin/incidents/${id}`);
    const raised = await admin.post(`/admin/incidents/${id}`, {
      _csrf: hidden(page.html, '_csrf'), _action: 'edit', version: hidden(page.html, 'version'), 'title.it': title, impact: 'critical',
    });
    expect(raised.status).toBe(303);
  }

  it('names what a colleague changed and who, in English on the English console, with no Italian or service text', async () => {
    const e = new ConsoleClient(server.url);
    e.cookies.set('vedetta_console_lang', 'en');
    await e.signIn(EDITOR);
    const id = await declare(e, 'Portale lento');
    const stale = await e.get(`/admin/incidents/${id}`);
    // A colleague (the administrator) raises the impact meanwhile.
    await raiseImpact(id, 'Portale lento');
    const refused = await e.post(`/admin/incidents/${id}`, {
      _csrf: hidden(stale.html, '_csrf'), _action: 'update', intent: 'publish', version: hidden(stale.html, 'version'),
      seenUpdate: hidden(stale.html, 'seenUpdate'), seenStatus: hidden(stale.html, 'seenStatus'), status: 'identified', impact: 'minor',
      'body.it': 'Causa trovata.', nextUpdateBy: '',
    });
    expect(refused.status).toBe(409);
    const box = text(/<div class="warn-note" role="alert" id="conflict">([\s\S]*?)<form/.exec(refused.html)?.[1] ?? '');
    expect(box).toContain('Someone else changed this incident in the meantime');
    expect(box).toContain('Details changed: Impact.');
    expect(box).toContain('Changed by: Administrator.');
    expect(box).not.toMatch(/This incident changed while|you started from version|Reload it/);

    // The title-and-impact form, written on the same old version: the summary names the fields as the forms do.
    const edit = await e.post(`/admin/incidents/${id}`, {
      _csrf: hidden(stale.html, '_csrf'), _action: 'edit', version: hidden(stale.html, 'version'), 'title.it': 'Portale molto lento', impact: 'major',
    });
    expect(edit.status).toBe(409);
    const summary = text(/<div class="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(edit.html)?.[1] ?? '');
    expect(summary).toContain('This incident was changed in the meantime by Administrator (changed: Impact).');
    expect(summary).toContain('Version: current version is');
    expect(summary).toContain('Impact: changed by someone else');
    expect(summary).not.toContain('expectedVersion');
  });

  it('says the same in Italian on the Italian console', async () => {
    const e = new ConsoleClient(server.url);
    await e.signIn(EDITOR);
    const id = await declare(e, 'Ricezione lenta');
    const stale = await e.get(`/admin/incidents/${id}`);
    const page = await admin.get(`/admin/incidents/${id}`);
    await admin.post(`/admin/incidents/${id}`, {
      _csrf: hidden(page.html, '_csrf'), _action: 'edit', version: hidden(page.html, 'version'), 'title.it': 'Ricezione ferma', impact: 'minor',
    });
    const edit = await e.post(`/admin/incidents/${id}`, {
      _csrf: hidden(stale.html, '_csrf'), _action: 'edit', version: hidden(stale.html, 'version'), 'title.it': 'Ricezione lentissima', impact: 'minor',
    });
    expect(edit.status).toBe(409);
    const summary = text(/<div class="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(edit.html)?.[1] ?? '');
    expect(summary).toContain('Nel frattempo questo incidente è stato modificato da Administrator (cambiati: Titolo).');
    expect(summary).toContain('Versione: la versione attuale è la');
    expect(summary).toContain('Titolo: cambiato da qualcun altro');
    expect(summary).not.toMatch(/\bchanged\b|\bversion\b|\btitle\b|expectedVersion/);
  });

  it('does not undo a colleague\'s impact change when an update from an older form is sent again', async () => {
    const e = new ConsoleClient(server.url);
    await e.signIn(EDITOR);
    const id = await declare(e, 'Conservazione lenta');
    const stale = await e.get(`/admin/incidents/${id}`);
    await raiseImpact(id, 'Conservazione lenta');
    // The operator did not touch the impact: the form still shows the one it was opened with.
    const fields = (html: string) => ({
      _csrf: hidden(html, '_csrf'), _action: 'update', intent: 'publish', version: hidden(html, 'version'), seenUpdate: hidden(html, 'seenUpdate'),
      seenStatus: hidden(html, 'seenStatus'), seenImpact: hidden(html, 'seenImpact'), status: 'identified', 'body.it': 'Causa trovata.', nextUpdateBy: '',
    });
    const updateImpact = (html: string) => /<select[^>]*name="impact"[^>]*>[\s\S]*?<option value="(\w+)" selected/.exec(html)?.[1];
    expect(updateImpact(stale.html)).toBe('minor');
    const refused = await e.post(`/admin/incidents/${id}`, { ...fields(stale.html), impact: 'minor' });
    expect(refused.status).toBe(409);
    // Sent back with the colleague's impact, which the resubmission then leaves alone.
    expect(updateImpact(refused.html)).toBe('critical');
    const sent = await e.post(`/admin/incidents/${id}`, { ...fields(refused.html), impact: updateImpact(refused.html)! });
    expect(sent.status, text(sent.html).slice(0, 500)).toBe(303);
    const after = await e.get(`/admin/incidents/${id}`);
    expect(hidden(after.html, 'seenImpact')).toBe('critical');
    expect(text(await fetch(`${server.url}/incidents/${id}`).then((r) => r.text()))).toContain('Causa trovata.');
  });

  it('labels the texts a refused post hands back with the fields\' names, in the console\'s language', async () => {
    const e = new ConsoleClient(server.url);
    await e.signIn(EDITOR);
    const typed = { 'title.it': 'Titolo scritto', 'title.en': 'Written title', 'windows.0.scope.it': 'Aree principali', 'delayReason.en': 'Supplier late' };
    const it = await e.post('/admin/incidents/new', { _csrf: 'stale', ...typed });
    expect(it.status).toBe(403);
    const labels = (html: string) => [...html.matchAll(/<label for="kept-\d+"[^>]*>([^<]*)<\/label>/g)].map((m) => m[1]);
    expect(labels(it.html)).toEqual([
      'Titolo (Italiano)',
      'Titolo (Inglese (English))',
      'Finestra 1: Ambito (es. «la maggior parte delle aree») (Italiano)',
      'Motivo del ritardo (Inglese (English))',
    ]);
    e.cookies.set('vedetta_console_lang', 'en');
    const en = await e.post('/admin/incidents/new', { _csrf: 'stale', ...typed });
    expect(labels(en.html)).toEqual(['Title (Italian (italiano))', 'Title (English)', 'Window 1: Scope (e.g. &quot;most client areas&quot;) (Italian (italiano))', 'Reason for the delay (English)']);
  });
});
