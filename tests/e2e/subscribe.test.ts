/**
 * A reader's whole subscription, against the built server with no RESEND_API_KEY: the form, the confirmation
 * e-mail as the `.eml` file the embedded transport writes under DATA_DIR/mail, the link in it, the manage page,
 * a change of language, and leaving. No browser: plain HTTP, as a no-JavaScript client would.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleClient } from '../console/client.ts';
import { useServer } from '../support/server.ts';

const ADMIN = { email: 'admin@example.test', password: 'e2e admin password 1234' };
const server = useServer({ SCHEDULER_INTERVAL_MS: '1000', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });

const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();

async function post(path: string, body: string, origin: string | null = server.url) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(origin ? { Origin: origin } : {}) },
    body,
  });
}

/** The text/plain part of the `.eml` addressed to `to`, once the worker has written it. */
async function waitForMail(to: string, subject: RegExp): Promise<string> {
  const dir = join(server.dataDir, 'mail');
  for (let i = 0; i < 300; i++) {
    for (const name of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.eml')) : []) {
      const raw = readFileSync(join(dir, name), 'utf8');
      if (!raw.includes(`\r\nTo: ${to}\r\n`)) continue;
      const plain = raw.split(/Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n/)[1]?.split('\r\n--')[0];
      const text = Buffer.from((plain ?? '').replace(/\r\n/g, ''), 'base64').toString('utf8');
      if (subject.test(text) || subject.test(raw)) return text;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no e-mail to ${to} in ${dir}\n${server.logs()}`);
}

const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;

/** Through the form and the e-mailed link; returns the manage page's path. */
async function subscribeAndConfirm(email: string, locale: 'it' | 'en', services: string[]): Promise<string> {
  const scope: [string, string][] = services.length ? [['scope', 'some'], ...services.map((s): [string, string] => ['service', s])] : [['scope', 'all']];
  const sent = await post(locale === 'en' ? '/en/subscribe' : '/subscribe', form([['action', 'subscribe'], ['email', email], ['locale', locale], ...scope]));
  expect(sent.status).toBe(200);
  const mail = await waitForMail(email, /subscribe\/confirm\//);
  const confirmUrl = mail.match(/https?:\/\/\S+\/subscribe\/confirm\/\S+/)![0];
  const confirmed = await post(pathOf(confirmUrl), '');
  expect(confirmed.status).toBe(200);
  return (await confirmed.text()).match(/href="((?:\/en)?\/subscription\/[^"]+)"/)![1]!;
}

/** A request body sent in 64 KiB chunks, without Content-Length. */
function chunked(bytes: Uint8Array): RequestInit {
  const body = new ReadableStream({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.subarray(at, at + 64 * 1024));
      controller.close();
    },
  });
  return { body, duplex: 'half' } as RequestInit;
}

const plain = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;|&rsquo;/g, '’').replace(/\s+/g, ' ');

describe('subscribing, confirming, changing language, leaving', () => {
  it('works end to end without JavaScript and without a mail provider', async () => {
    const page = await fetch(`${server.url}/subscribe`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toMatch(/<form method="post" action="\/subscribe"/);
    expect(html).toMatch(/<label for="email"[^>]*>Indirizzo e-mail<\/label>/);
    const serviceKey = html.match(/name="service" value="([^"]+)"/)?.[1];
    expect(serviceKey).toBeTruthy();
    // The header links to the form from every page.
    expect(await (await fetch(`${server.url}/`)).text()).toContain('href="/subscribe"');

    const email = `reader.${Date.now()}@example.test`;
    const body = form([['action', 'subscribe'], ['email', email], ['locale', 'it'], ['scope', 'some'], ['service', serviceKey!]]);
    // A cross-site form post (no Origin, or another one) is refused before it reaches the service.
    expect((await post('/subscribe', body, null)).status).toBe(403);
    expect((await post('/subscribe', body, 'https://evil.example')).status).toBe(403);

    const sent = await post('/subscribe', body);
    expect(sent.status).toBe(200);
    expect(plain(await sent.text())).toContain('Controllate la casella di posta');

    const mail = await waitForMail(email, /Confermo l’iscrizione/);
    const confirmUrl = mail.match(/https?:\/\/\S+\/subscribe\/confirm\/\S+/)?.[0];
    expect(confirmUrl, mail).toBeTruthy();

    // Opening the link only asks (a scanner's GET subscribes nobody); the button confirms.
    const ask = await fetch(`${server.url}${pathOf(confirmUrl!)}`);
    expect(ask.status).toBe(200);
    expect(plain(await ask.text())).toContain('Confermate l’iscrizione');
    const confirmed = await post(pathOf(confirmUrl!), '');
    expect(confirmed.status).toBe(200);
    const confirmedHtml = await confirmed.text();
    expect(plain(confirmedHtml)).toContain(`Da ora ${email} riceverà gli avvisi`);
    const managePath = confirmedHtml.match(/href="(\/subscription\/[^"]+)"/)?.[1];
    expect(managePath).toBeTruthy();

    const manage = await fetch(`${server.url}${managePath}`);
    expect(manage.status).toBe(200);
    const manageHtml = await manage.text();
    expect(manageHtml).toMatch(new RegExp(`name="service" value="${serviceKey}" checked`));
    expect(manageHtml).toContain('<meta name="robots" content="noindex"');

    // Switch to English and to every service: the page answers in English from then on.
    const saved = await post(managePath!, form([['action', 'save'], ['locale', 'en'], ['scope', 'all']]));
    expect(saved.status).toBe(303);
    const location = saved.headers.get('location')!;
    expect(location).toMatch(/^\/en\/subscription\/[^?]+\?saved=1$/);
    const english = plain(await (await fetch(`${server.url}${location}`)).text());
    expect(english).toContain('Choices saved.');
    expect(english).toContain('Your alert subscription');

    // Subscribing again with the same address gives the same answer on the web; the mailbox gets its manage link.
    const again = await post('/en/subscribe', form([['action', 'subscribe'], ['email', email], ['locale', 'en'], ['scope', 'all']]));
    expect(plain(await again.text())).toContain('Check your inbox');
    const notice = await waitForMail(email, /already receives/);
    expect(notice).toMatch(/\/en\/subscription\//);

    // Leaving from the manage page.
    const left = await post(location.split('?')[0]!, form([['action', 'unsubscribe']]));
    expect(left.status).toBe(200);
    const leftHtml = await left.text();
    expect(plain(leftHtml)).toContain('You will no longer receive alerts by e-mail.');
    // This page is not the status page: it names the status page and links to it.
    expect(plain(leftHtml)).toContain('The status of the services is always on the status page');
    expect(leftHtml).toMatch(/always on the <a href="\/en\/"[^>]*>status page<\/a>\./);
    expect(plain(leftHtml)).not.toContain('this page');
  });

  it('a bad link gets one plain answer, and the form names a wrong field', async () => {
    const bad = await fetch(`${server.url}/subscription/not.valid`);
    expect(bad.status).toBe(404);
    expect(plain(await bad.text())).toContain('Link non valido o scaduto');
    const wrong = await post('/en/subscribe', form([['action', 'subscribe'], ['email', 'nope'], ['locale', 'en'], ['scope', 'all']]));
    expect(wrong.status).toBe(400);
    const html = await wrong.text();
    expect(html).toMatch(/<input[^>]*id="email"[^>]*aria-invalid="true"/);
    expect(plain(html)).toContain('Enter a valid e-mail address.');

    // Services ticked under "all services": asked to choose, with the ticks and the address kept.
    const both = await post('/en/subscribe', form([['action', 'subscribe'], ['email', 'both@example.test'], ['locale', 'en'], ['scope', 'all'], ['service', 'web']]));
    expect(both.status).toBe(400);
    const asked = await both.text();
    expect(plain(asked)).toContain('You ticked some services but chose “All services”');
    expect(asked).toMatch(/<input[^>]*value="web"[^>]*checked/);
    expect(asked).toMatch(/<input[^>]*id="email"[^>]*value="both@example.test"/);
  });

  it('an alert reaches only the subscribers of the affected service, in their language, and one click unsubscribes', async () => {
    // An API token from the console, as an administrator would make one.
    const admin = new ConsoleClient(server.url);
    expect((await admin.signIn(ADMIN.email, ADMIN.password)).status).toBe(303);
    const created = await admin.post('/admin/tokens', { _csrf: await admin.csrf('/admin/tokens'), _action: 'create', name: 'e2e alerts', scopes: 'write' });
    const token = created.html.match(/<code data-secret[^>]*>([^<]+)<\/code>/)?.[1];
    expect(token, created.html.slice(0, 500)).toBeTruthy();

    const stamp = Date.now();
    const follower = `follower.${stamp}@example.test`;
    const other = `other.${stamp}@example.test`;
    const managePath = await subscribeAndConfirm(follower, 'en', ['receiving']);
    await subscribeAndConfirm(other, 'it', ['phone']);

    const title = `Receiving delayed ${stamp}`;
    const published = await fetch(`${server.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': `e2e-${stamp}` },
      body: JSON.stringify({
        title: { it: `Ricezione in ritardo ${stamp}`, en: title },
        impact: 'major',
        body: { it: 'Le fatture arrivano in ritardo.', en: 'Invoices arrive late.' },
        services: [{ service: 'receiving', status: 'partial_outage' }],
      }),
    });
    expect(published.status, await published.clone().text()).toBe(201);

    const alert = await waitForMail(follower, new RegExp(title));
    expect(alert).toContain('Invoices arrive late.');
    expect(alert).toContain('- Invoice and order receiving: Partial outage');
    const raw = readdirSync(join(server.dataDir, 'mail'))
      .map((n) => readFileSync(join(server.dataDir, 'mail', n), 'utf8'))
      .filter((r) => r.includes(`\r\nTo: ${follower}\r\n`) && r.includes('List-Unsubscribe-Post: List-Unsubscribe=One-Click'));
    expect(raw).toHaveLength(1);
    const oneClick = raw[0]!.match(/List-Unsubscribe: <(https?:\/\/[^>]+\/u\/[^>]+)>, <mailto:[^>]+>/)?.[1];
    expect(oneClick).toBeTruthy();
    // The subscriber of another service heard nothing of it (its only e-mail is the confirmation).
    const otherMails = readdirSync(join(server.dataDir, 'mail'))
      .map((n) => readFileSync(join(server.dataDir, 'mail', n), 'utf8'))
      .filter((r) => r.includes(`\r\nTo: ${other}\r\n`));
    expect(otherMails).toHaveLength(1);

    // A scanner or a reader opening the link: a page that asks, in the reader's language; nothing changes yet.
    const opened = await fetch(`${server.url}${pathOf(oneClick!)}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toMatch(/^\/en\/unsubscribe\//);
    const asked = plain(await (await fetch(`${server.url}${opened.headers.get('location')}`)).text());
    expect(asked).toContain(`${follower} will no longer receive alerts by e-mail.`);
    expect(plain(await (await fetch(`${server.url}${managePath}`)).text())).toContain('Active');

    // The mail provider's one-click POST: no cookie, no Origin.
    const left = await post(pathOf(oneClick!), 'List-Unsubscribe=One-Click', null);
    expect(left.status).toBe(200);
    expect(plain(await (await fetch(`${server.url}${managePath}`)).text())).toContain('Cancelled');
  });

  it('a form over the 1 MiB limit gets a 413 page in the reader\'s language, announced or streamed; the API answers it in JSON', async () => {
    const huge = form([['action', 'subscribe'], ['email', `huge@example.test`], ['locale', 'it'], ['scope', 'all'], ['note', 'x'.repeat(1_100_000)]]);
    const announced = await post('/subscribe', huge);
    expect(announced.status).toBe(413);
    expect(announced.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await announced.text();
    expect(page).toContain('<html lang="it">');
    expect(plain(page)).toContain('Invio troppo grande');

    // No Content-Length: the body arrives in chunks and is counted as it comes.
    const streamed = await fetch(`${server.url}/en/subscribe`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
      ...chunked(new TextEncoder().encode(huge)),
    });
    expect(streamed.status).toBe(413);
    expect(plain(await streamed.text())).toContain('Submission too large');

    const api = await fetch(`${server.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      ...chunked(new TextEncoder().encode(huge)),
    });
    expect(api.status).toBe(413);
    expect((await api.json()).error.code).toBe('payload_too_large');

    // Just under the limit the form is read, and refused as a form (its service key is not one).
    const under = await post('/en/subscribe', form([['action', 'subscribe'], ['email', 'under@example.test'], ['locale', 'en'], ['scope', 'some'], ['service', 'x'.repeat(900_000)]]));
    expect(under.status).toBe(400);
  });

  // Last in the file: it spends this address's budget. TRUST_PROXY is 0 here, so a forged X-Forwarded-For
  // must not buy a fresh budget either.
  it('too many subscriptions from one address get 429 with Retry-After and the form back, whatever X-Forwarded-For says', async () => {
    let refused: Response | undefined;
    for (let i = 0; i < 15 && !refused; i++) {
      const res = await fetch(`${server.url}/en/subscribe`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url, 'X-Forwarded-For': `198.51.100.${i}` },
        body: form([['action', 'subscribe'], ['email', `flood.${i}@example.test`], ['locale', 'en'], ['scope', 'all']]),
      });
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused, 'no 429 within 15 subscriptions from one address').toBeDefined();
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused!.text()).toMatch(/<input[^>]*id="email"/);
  });
});
