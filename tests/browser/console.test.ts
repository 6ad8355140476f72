/**
 * The operator console in Chromium: an operator signs in, declares an incident from a template, previews and
 * posts an update in Italian and English, adds a milestone, and finds both on the public page; with
 * JavaScript off the same path works (preview by full page load). axe-core finds no WCAG 2.1 A/AA violation
 * on any console page, in either language, including pages showing errors and previews.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { axe, formatViolations, screenshot, useBrowser } from '../support/browser.ts';
import type { RunningServer } from '../support/server.ts';
import { ConsoleClient, bootServer, hidden, text } from '../console/client.ts';

const ADMIN = 'admin@example.com';
const PASSWORD = 'correct horse battery staple';


describe('operator console in a browser', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await bootServer({ VEDETTA_DEMO: 'off', ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: PASSWORD });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });
  const browser = useBrowser();
  let incidentId = '';
  let maintenancePath = '';

  /**
   * axe-core is injected as an inline script, which the site's CSP (`script-src 'self'`) blocks, so the
   * accessibility pass runs in contexts that bypass CSP. The other tests run under the real CSP (the live
   * preview script must load from our origin there).
   */
  async function axePage(locale = 'it-IT'): Promise<Page> {
    const context = await browser.browser.newContext({ bypassCSP: true, locale, viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Rome' });
    axeContexts.push(context);
    return context.newPage();
  }
  const axeContexts: import('playwright-core').BrowserContext[] = [];
  afterEach(async () => {
    for (const c of axeContexts.splice(0)) await c.close();
  });

  async function signIn(page: Page, email = ADMIN, password = PASSWORD) {
    await page.goto(`${server.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await Promise.all([page.waitForURL(`${server.url}/admin`), page.getByRole('button', { name: /^(Accedi|Sign in)$/ }).click()]);
  }

  beforeAll(async () => {
    // Without the demo (its load is slow on these machines), the data is made through the console itself.
    const admin = new ConsoleClient(server.url);
    expect((await admin.signIn(ADMIN, PASSWORD)).status).toBe(303);
    const csrf = await admin.csrf();
    const post = async (path: string, form: Record<string, string | string[]>) => {
      const r = await admin.post(path, { _csrf: csrf, ...form });
      expect(r.status, `${path}: ${text(r.html).slice(0, 600)}`).toBe(303);
      return r.location ?? '';
    };
    for (const [name, email, role] of [['Giulia Editor', 'editor@example.com', 'editor'], ['Luca Viewer', 'viewer@example.com', 'viewer']]) {
      await post('/admin/operators', { _action: 'create', name: name!, email: email!, role: role!, password: PASSWORD });
    }
    for (const [key, it, en] of [
      ['web', 'Portale web', 'Web portal'],
      ['sending', 'Invio fatture', 'Invoice sending'],
      ['receiving', 'Ricezione fatture e ordini', 'Receiving invoices and orders'],
    ]) {
      await post('/admin/services', { _action: 'create', key: key!, 'name.it': it!, 'name.en': en!, status: 'operational' });
    }
    await post('/admin/services', {
      _action: 'create', key: 'emergency-channel', 'name.it': 'Canale di invio di emergenza', 'name.en': 'Emergency sending channel',
      status: 'operational', availableFrom: '2026-01-10T08:00', availableUntil: '2030-01-19T23:59',
    });
    const declared = await post('/admin/incidents/new', {
      intent: 'publish', 'title.it': 'Data center fuori servizio', 'title.en': 'Data centre down', impact: 'critical', status: 'investigating',
      'svc.web': 'major_outage', 'svc.sending': 'major_outage', 'body.it': 'Il data center non risponde.', 'body.en': 'The data centre is not answering.',
      nextUpdateBy: '2030-01-01T10:00', notify: 'on',
    });
    incidentId = /\/admin\/incidents\/([a-z0-9]+)/.exec(declared)![1]!;
    const base = `/admin/incidents/${incidentId}`;
    const version = hidden((await admin.get(base)).html, 'version');
    await post(base, {
      _action: 'update', intent: 'publish', version, status: 'identified', impact: 'critical', 'svc.receiving': 'partial_outage',
      'body.it': 'Ripristino **dai backup** in corso.\n\n- portale\n- invio', 'body.en': 'Restoring **from backups**.', nextUpdateBy: '2030-01-01T12:00',
    });
    for (const [it, state, expectedAt] of [
      ['Ricostruzione dai backup', 'done', '2026-01-11T20:00'],
      ['Riapertura del portale', 'in_progress', '2030-01-02T08:00'],
      ['Abbinamento ricevute arretrate', 'planned', '2030-01-03T20:00'],
    ]) {
      await post(`${base}/plan`, { _action: 'add', 'title.it': it!, state: state!, expectedAt: expectedAt!, service: 'web' });
    }
    const plan = (await admin.get(`${base}/plan`)).html;
    const lastMilestone = [...plan.matchAll(/name="milestoneId" value="([a-z0-9]+)"/g)].at(-1)![1]!;
    await post(`${base}/plan`, {
      _action: 'delay', milestoneId: lastMilestone, expectedAt: '2030-01-05T20:00', 'delayReason.it': 'Il fornitore non ha ancora riacceso lo storage.',
    });
    await post(`${base}/notices`, {
      _action: 'add', 'title.it': 'Dati ripristinati fino al giorno 9', 'windows.0.scope.it': 'La maggior parte delle aree',
      'windows.0.restoredUntil': '2026-01-09T21:30', 'windows.1.scope.it': 'Alcune aree', 'windows.1.restoredUntil': '2026-01-08T21:30',
      'windows.1.gapEndsAt': '2030-01-05T00:00', services: ['web', 'sending'], 'audience.it': 'Clienti con area vuota', 'action.it': 'Ricaricate le fatture del giorno 9.',
    });
    await post(`${base}/faq`, {
      _action: 'add', intent: 'publish', 'question.it': 'La mia area è vuota: cosa faccio?', 'answer.it': 'È la soluzione di riserva prevista: **invio e ricezione funzionano**.',
      'question.en': 'My area is empty: what do I do?',
    });
    const scheduled = await post('/admin/maintenance', {
      'title.it': 'Caricamento delle fatture del canale di emergenza', scheduledStart: '2030-02-01T21:00', scheduledEnd: '2030-02-02T01:00', services: ['web'],
    });
    maintenancePath = scheduled.replace(/\?.*$/, '');
  }, 300_000);

  it('an editor declares an incident, previews and posts an update in both languages, adds a milestone; readers see it', async () => {
    const page = await browser.newPage();
    await signIn(page, 'editor@example.com');
    await page.goto(`${server.url}/admin/incidents/new`);
    await Promise.all([page.waitForURL(/template=invio-fatture/), page.getByRole('link', { name: /Disservizio invio fatture/ }).click()]);
    const title = page.getByRole('group', { name: 'Titolo', exact: true });
    await title.getByLabel('Italiano').fill('Ritardi nell’invio delle fatture allo SdI');
    await title.getByLabel('Inglese (English)').fill('Delays sending invoices to SdI');
    await expect.poll(() => page.getByLabel('Invio fatture', { exact: true }).inputValue()).toBe('major_outage');
    await page.getByLabel('Invio fatture', { exact: true }).selectOption('partial_outage');
    await page.getByLabel('Prossimo aggiornamento entro').fill('2027-01-15T10:30');
    await page.getByRole('button', { name: 'Anteprima' }).click();
    await page.waitForURL(/#preview$/);
    const preview = page.locator('#preview');
    await expect.poll(() => preview.textContent()).toContain('Ritardi nell’invio delle fatture allo SdI');
    expect(await preview.textContent()).toContain('Delays sending invoices to SdI');
    expect(await preview.textContent()).toContain('Disservizio parziale');
    expect(await preview.textContent()).toContain('Partial outage');
    await Promise.all([page.waitForURL(/ok=declared/), page.getByRole('button', { name: 'Dichiara e pubblica' }).click()]);
    const incidentPath = new URL(page.url()).pathname;
    const id = incidentPath.split('/').pop()!;
    expect(await page.getByRole('status').textContent()).toContain('Incidente dichiarato e pubblicato.');

    // An update in two languages, with the live preview (the script) and then the button (full round trip).
    const body = page.getByRole('group', { name: 'Testo dell’aggiornamento' });
    await page.getByLabel('Stato dell’incidente').selectOption('identified');
    await body.getByLabel('Italiano').fill('Abbiamo individuato la causa: **coda bloccata** sul canale SdI.');
    await body.getByLabel('Inglese (English)').fill('We found the cause: a **stuck queue** on the SdI channel.');
    const live = page.locator('[data-preview-target="update"]');
    await expect.poll(() => live.innerHTML(), { timeout: 10_000 }).toContain('<strong>coda bloccata</strong>');
    expect(await live.innerHTML()).toContain('<strong>stuck queue</strong>');
    await page.getByRole('button', { name: 'Anteprima' }).click();
    await page.waitForURL(/#preview$/);
    expect(await page.locator('#preview').innerHTML()).toContain('<strong>stuck queue</strong>');
    await screenshot(page, 'console-update-preview');
    await Promise.all([page.waitForURL(/ok=update-posted/), page.getByRole('button', { name: 'Pubblica', exact: true }).click()]);

    // A milestone on the recovery plan.
    await page.getByRole('link', { name: /Piano di ripristino/ }).click();
    const add = page.locator('#add');
    await add.getByRole('group', { name: 'Titolo della tappa' }).getByLabel('Italiano').fill('Svuotamento della coda verso lo SdI');
    await add.getByRole('group', { name: 'Titolo della tappa' }).getByLabel('Inglese (English)').fill('Queue to SdI drained');
    await add.getByLabel('Data prevista').fill('2027-01-16T18:00');
    await Promise.all([page.waitForURL(/ok=milestone-added/), add.getByRole('button', { name: 'Aggiungi', exact: true }).click()]);
    await screenshot(page, 'console-plan');

    const publicIt = await browser.newPage();
    await publicIt.goto(`${server.url}/incidents/${id}`);
    const itText = (await publicIt.locator('main').textContent()) ?? '';
    expect(itText).toContain('Ritardi nell’invio delle fatture allo SdI');
    expect(itText).toContain('Abbiamo individuato la causa: coda bloccata sul canale SdI.');
    expect(itText).toContain('Svuotamento della coda verso lo SdI');
    await publicIt.goto(`${server.url}/en/incidents/${id}`);
    const enText = (await publicIt.locator('main').textContent()) ?? '';
    expect(enText).toContain('We found the cause: a stuck queue on the SdI channel.');
    expect(enText).toContain('Queue to SdI drained');
  });

  it('works without JavaScript: the preview button re-renders the form with the preview below, keeping the text', async () => {
    const context = await browser.browser.newContext({ javaScriptEnabled: false, locale: 'it-IT', viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await signIn(page, 'editor@example.com');
      await page.goto(`${server.url}/admin/incidents/${incidentId}`);
      const body = page.getByRole('group', { name: 'Testo dell’aggiornamento' });
      await body.getByLabel('Italiano').fill('Aggiornamento senza JavaScript.');
      await page.getByRole('button', { name: 'Anteprima' }).click();
      await page.waitForURL(/#preview$/);
      expect(await page.locator('#preview').textContent()).toContain('Aggiornamento senza JavaScript.');
      expect(await page.locator('#preview').textContent()).toContain('Nessun testo inglese');
      expect(await body.getByLabel('Italiano').inputValue()).toBe('Aggiornamento senza JavaScript.');
    } finally {
      await context.close();
    }
  });

  it('axe-core finds no WCAG 2.1 A/AA violations on the console pages, in Italian and English', async () => {
    const failures: string[] = [];
    const check = async (page: Page, label: string) => {
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
      const report = formatViolations(await axe(page));
      if (report) failures.push(`${label}\n${report}`);
    };
    const signInPage = await axePage();
    await signInPage.goto(`${server.url}/admin/sign-in`);
    await check(signInPage, '/admin/sign-in');
    // A failed sign-in (error message shown).
    await signInPage.getByLabel('E-mail').fill('nobody@example.com');
    await signInPage.getByLabel('Password').fill('wrong password!!');
    await signInPage.getByRole('button', { name: 'Accedi' }).click();
    await check(signInPage, '/admin/sign-in (failed)');

    const paths = [
      '/admin',
      '/admin/incidents',
      '/admin/incidents/new?template=invio-fatture',
      `/admin/incidents/${incidentId}`,
      `/admin/incidents/${incidentId}/plan`,
      `/admin/incidents/${incidentId}/notices`,
      `/admin/incidents/${incidentId}/faq`,
      '/admin/services',
      '/admin/services/sending',
      '/admin/maintenance',
      maintenancePath,
      '/admin/operators',
      '/admin/tokens',
      '/admin/audit',
      '/admin/subscribers',
      '/admin/subscribers/import',
      '/admin/mail',
      '/admin/webhooks',
    ];
    // Every page in Italian; in English the pages with the most varied markup (the strings differ, not the structure).
    const english = new Set([
      '/admin', `/admin/incidents/${incidentId}`, `/admin/incidents/${incidentId}/plan`, `/admin/incidents/${incidentId}/notices`, '/admin/audit',
      '/admin/subscribers', '/admin/webhooks',
    ]);
    for (const locale of ['it-IT', 'en-GB']) {
      const page = await axePage(locale);
      await signIn(page);
      // Without a language cookie the console follows the browser's Accept-Language.
      expect(await page.locator('html').getAttribute('lang')).toBe(locale.slice(0, 2));
      for (const path of paths.filter((p) => locale === 'it-IT' || english.has(p))) {
        await page.goto(`${server.url}${path}`);
        await check(page, `${path} (${locale})`);
      }
      // A form with errors and a preview on screen.
      await page.goto(`${server.url}/admin/incidents/${incidentId}`);
      await page.locator('#f-nextUpdateBy').fill('2027-01-15T10:30');
      await page.locator('#f-body-it').fill('**Prova** di anteprima');
      await page.locator('form[data-live-preview] button[value="preview"]').click();
      await page.waitForURL(/#preview$/);
      await check(page, `incident preview (${locale})`);
      await page.locator('#f-body-it').fill('');
      await page.locator('form[data-live-preview] button[value="publish"]').click();
      await page.waitForLoadState();
      expect(await page.locator('.error-summary').count()).toBeGreaterThan(0);
      await check(page, `incident form errors (${locale})`);
      await page.goto(`${server.url}/admin/tokens`);
      await page.locator('#f-name').fill('axe');
      await page.locator('#create button[type=submit]').click();
      await page.waitForLoadState();
      expect(await page.locator('[data-secret]').count()).toBe(1);
      await check(page, `token secret (${locale})`);
      // A webhook's page: its settings, the change form with the events fieldset, the actions.
      await page.goto(`${server.url}/admin/webhooks`);
      await page.locator('#f-url').fill('https://93.184.215.14/hook');
      await page.locator('#f-events-1').check();
      await page.locator('#f-ownerEmail').fill('ops@partner.example');
      await page.locator('#create button[type=submit]').click();
      await page.waitForLoadState();
      await page.locator('.secret-box a').click();
      await page.waitForLoadState();
      expect(await page.locator('#edit input[name=events][value="incident.*"]').isChecked()).toBe(true);
      await check(page, `webhook detail (${locale})`);
    }
    // What a viewer sees: every form disabled.
    const viewer = await axePage();
    await signIn(viewer, 'viewer@example.com');
    for (const path of ['/admin', `/admin/incidents/${incidentId}`, '/admin/incidents/new', '/admin/services']) {
      await viewer.goto(`${server.url}${path}`);
      await check(viewer, `${path} (viewer)`);
    }
    await screenshot(viewer, 'console-viewer-services');
    expect(failures.join('\n\n')).toBe('');
  }, 600_000);

  it('is usable at phone width and with the keyboard: skip link, visible focus, one h1', async () => {
    const page = await browser.newPage({ width: 375, height: 800 });
    await signIn(page);
    await page.goto(`${server.url}/admin/incidents/${incidentId}`);
    expect(await page.locator('h1').count()).toBe(1);
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate(() => document.activeElement?.className)).toBe('skip-link');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');
    // Nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await screenshot(page, 'console-incident-375');
  });
});
