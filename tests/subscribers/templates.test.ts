/**
 * Alert e-mails rendered from real events written by the real services, checked as a reader would: the subject,
 * the text part a plain-text client shows, the HTML's links, the language and its fallback, and that operator
 * text cannot smuggle markup in.
 */
import { desc } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { events } from '../../db/schema/index.ts';
import { type AlertContent, composeAlert, renderAlertContent } from '../../src/mail/alert.ts';
import { alreadySubscribedEmail, confirmationEmail } from '../../src/mail/confirmation.ts';
import { createLinkSigner } from '../../src/mail/links.ts';
import type { Ctx } from '../../src/services/context.ts';
import type { EventRow } from '../../src/services/events.ts';
import { postIncidentUpdate, publishPostmortem, resolveIncident } from '../../src/services/incidents.ts';
import { completeMaintenance, scheduleMaintenance, startMaintenance, updateMaintenance } from '../../src/services/maintenance.ts';
import { publishNotice, updateNotice } from '../../src/services/notices.ts';
import { addMilestone, changeMilestone } from '../../src/services/recovery.ts';
import { HOUR, makeIncident, makeService, uid } from '../integration/factories.ts';
import { dbTest } from '../support/db.ts';

const NOW = '2026-11-28T10:00:00Z';
const test = dbTest.override('ctxOptions', { actor: { kind: 'operator', id: 'op', role: 'editor' }, now: NOW, siteUrl: 'https://status.example.test' });
const links = createLinkSigner(Buffer.alloc(32, 1), 'https://status.example.test');
const recipient = (locale: 'it' | 'en') => ({ subscriberId: 'sub123', email: 'reader@example.test', locale });

async function lastEvent(ctx: Ctx): Promise<EventRow> {
  return (await ctx.db.select().from(events).orderBy(desc(events.seq)).limit(1))[0]!;
}

async function mailFor(ctx: Ctx, locale: 'it' | 'en', event?: EventRow) {
  const content = await renderAlertContent(ctx, { event: event ?? (await lastEvent(ctx)) });
  expect(content).not.toBeNull();
  // What the delivery engine stores and reads back: the content must survive JSON unchanged.
  const stored = JSON.parse(JSON.stringify(content)) as AlertContent;
  return composeAlert(stored, recipient(locale), links);
}

async function incidentWithPlan(ctx: Ctx) {
  const svc = await makeService(ctx, { name: { it: 'Invio fatture', en: 'Invoice sending' } });
  const { incident } = await makeIncident(ctx, {
    title: { it: 'Invio rallentato', en: 'Slow sending' },
    body: { it: 'Stiamo **verificando** il problema.', en: 'We are **looking** into it.' },
    services: [{ service: svc.key, status: 'major_outage' }],
    nextUpdateBy: new Date(Date.parse(NOW) + 2 * HOUR),
  });
  const m1 = await addMilestone(ctx, { incidentId: incident.id, title: { it: 'Ripristino code', en: 'Queues restored' }, expectedAt: new Date(Date.parse(NOW) + HOUR) });
  const m2 = await addMilestone(ctx, { incidentId: incident.id, title: { it: 'Recupero arretrato' }, expectedAt: new Date(Date.parse(NOW) + 5 * HOUR) });
  return { svc, incident, m1, m2 };
}

describe('alert e-mails', () => {
  test('an update: text, services, plan, next update time with its zone, links, both languages', async ({ ctx }) => {
    const { svc, incident } = await incidentWithPlan(ctx);
    await postIncidentUpdate(ctx, {
      incidentId: incident.id,
      status: 'monitoring',
      body: { it: 'Code in *smaltimento*.', en: 'Queues are *draining*.' },
      services: [{ service: svc.key, status: 'degraded_performance' }],
      nextUpdateBy: new Date(Date.parse(NOW) + 3 * HOUR),
    });
    const it = await mailFor(ctx, 'it');
    expect(it.subject).toBe('[Fattura Esempio] Aggiornamento: Invio rallentato');
    expect(it.text).toContain('Stato: In monitoraggio');
    expect(it.text).toContain('Code in smaltimento.');
    expect(it.text).toContain('- Invio fatture: Prestazioni ridotte');
    expect(it.text).toContain('Piano di ripristino: 0 di 2 tappe completate');
    expect(it.text).toContain('Prossima tappa: Ripristino code (prevista 28 nov 2026, 12:00 CET)');
    expect(it.text).toContain('Prossimo aggiornamento entro: 28 nov 2026, 14:00 CET');
    expect(it.text).toContain(`Dettagli e cronologia: https://status.example.test/incidents/${incident.id}`);
    expect(it.text).toContain(`Gestisci l’iscrizione (servizi, lingua): ${links.manageUrl('sub123', 'it')}`);
    expect(it.text).toContain(`Annulla l’iscrizione: ${links.unsubscribeUrl('sub123')}`);
    expect(it.text).not.toMatch(/<|%%/);
    expect(it.html).toContain('<em>smaltimento</em>');
    expect(it.html).toContain('<html lang="it">');
    expect(it.html).toContain(`href="${links.unsubscribeUrl('sub123')}"`);

    const en = await mailFor(ctx, 'en');
    expect(en.subject).toBe('[Fattura Esempio] Update: Slow sending');
    expect(en.text).toContain('Status: Monitoring');
    expect(en.text).toContain('- Invoice sending: Degraded performance');
    expect(en.text).toContain('Next update by: 28 Nov 2026, 14:00 CET');
    expect(en.text).toContain(`https://status.example.test/en/incidents/${incident.id}`);
    expect(en.text).toContain(links.manageUrl('sub123', 'en'));
    // The second milestone has no English title: its Italian one is used, marked as Italian in the HTML.
    expect(en.text).toContain('Next milestone: Queues restored');
  });

  test('affected services in the catalogue order the pages and feeds use, not by key', async ({ ctx }) => {
    const web = await makeService(ctx, { key: `web-${uid()}`, name: { it: 'Portale web', en: 'Web portal' }, sortOrder: 1 });
    const phone = await makeService(ctx, { key: `phone-${uid()}`, name: { it: 'Linea telefonica', en: 'Phone line' }, sortOrder: 2 });
    await makeIncident(ctx, {
      services: [
        { service: phone.key, status: 'partial_outage' },
        { service: web.key, status: 'major_outage' },
      ],
    });
    const it = await mailFor(ctx, 'it');
    expect(it.text).toContain('Servizi coinvolti:\n- Portale web: Disservizio totale\n- Linea telefonica: Disservizio parziale\n');
    expect(it.html.indexOf('Portale web')).toBeLessThan(it.html.indexOf('Linea telefonica'));
  });

  test('RFC 8058 headers: an HTTPS one-click address and a mailto', async ({ ctx }) => {
    await incidentWithPlan(ctx);
    const mail = await mailFor(ctx, 'it');
    expect(mail.to).toBe('reader@example.test');
    expect(mail.headers['List-Unsubscribe']).toBe(`<${links.unsubscribeUrl('sub123')}>, <${links.unsubscribeMailto('sub123')}>`);
    expect(mail.headers['List-Unsubscribe']).toMatch(/^<https:\/\/[^>]+\/u\/[^>]+>, <mailto:[^>]+>$/);
    expect(mail.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  test('English readers get the Italian text where it was not translated, said so and marked lang="it"', async ({ ctx }) => {
    const { svc } = await incidentWithPlan(ctx);
    const { incident } = await makeIncident(ctx, { title: { it: 'Solo italiano' }, body: { it: 'Testo solo in italiano.' }, services: [{ service: svc.key, status: 'partial_outage' }] });
    const en = await mailFor(ctx, 'en');
    expect(en.subject).toBe('[Fattura Esempio] New incident: Solo italiano');
    expect(en.text).toContain('(This text is only available in Italian.)');
    expect(en.text).toContain('Testo solo in italiano.');
    expect(en.html).toMatch(/<h1[^>]*lang="it"[^>]*>Solo italiano<\/h1>/);
    expect(en.html).toMatch(/<div lang="it"[^>]*><p>Testo solo in italiano.<\/p><\/div>/);
    expect(en.text).toContain(`/en/incidents/${incident.id}`);
  });

  test('operator text cannot inject markup, scripts or tracking images; links stay, made safe', async ({ ctx }) => {
    const svc = await makeService(ctx);
    await makeIncident(ctx, {
      title: { it: '<img src=x onerror=alert(1)> Titolo' },
      body: { it: 'Vedi [qui](https://example.test/a) e [questo](javascript:alert(1)).\n\n<script>alert(1)</script><img src="https://tracker.test/p.gif">' },
      services: [{ service: svc.key, status: 'partial_outage' }],
    });
    const mail = await mailFor(ctx, 'it');
    expect(mail.html).not.toMatch(/<script|<img|javascript:|<[^>]*\son\w+=|tracker\.test/i);
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; Titolo');
    expect(mail.html).toContain('<a href="https://example.test/a" rel="noopener noreferrer">qui</a>');
    expect(mail.text).toContain('Vedi qui (https://example.test/a) e questo.');
    expect(mail.subject).toBe('[Fattura Esempio] Nuovo incidente: <img src=x onerror=alert(1)> Titolo');
  });

  test('resolution and postmortem', async ({ ctx }) => {
    const { incident } = await incidentWithPlan(ctx);
    await resolveIncident(ctx, { incidentId: incident.id, body: { it: 'Tutto regolare.', en: 'All normal.' } });
    const resolved = await mailFor(ctx, 'en');
    expect(resolved.subject).toBe('[Fattura Esempio] Resolved: Slow sending');
    expect(resolved.text).toContain('Status: Resolved');
    expect(resolved.text).not.toContain('Next update by');
    ctx.clock.advance(HOUR);
    await publishPostmortem(ctx, { incidentId: incident.id, body: { it: '## Cause\n\nUn disco pieno.', en: '## Causes\n\nA full disk.' } });
    const pm = await mailFor(ctx, 'en');
    expect(pm.subject).toBe('[Fattura Esempio] Postmortem: Slow sending');
    expect(pm.text).toContain('Causes\n\nA full disk.');
    expect(pm.html).toContain('<h4>Causes</h4>');
  });

  test('a resolution names no next milestone: what the plan still has open is listed as follow-up work', async ({ ctx }) => {
    const { incident, m1, m2: second } = await incidentWithPlan(ctx);
    await changeMilestone(ctx, { milestoneId: m1.id, state: 'done' });
    const third = await addMilestone(ctx, { incidentId: incident.id, title: { it: 'Verifica archivio', en: 'Archive check' } });
    await resolveIncident(ctx, { incidentId: incident.id, body: { it: 'Invio regolare.', en: 'Sending is normal.' } });
    const en = await mailFor(ctx, 'en');
    expect(en.subject).toBe('[Fattura Esempio] Resolved: Slow sending');
    expect(en.text).toContain('Recovery plan: 1 of 3 milestones done');
    expect(en.text).not.toContain('Next milestone');
    expect(en.text).toContain(
      'Still open, as follow-up work after the resolution:\n- Recupero arretrato (expected 28 Nov 2026, 16:00 CET)\n- Archive check\n',
    );
    expect(en.html).not.toContain('Next milestone');
    expect(en.html).toMatch(/<li><strong lang="it">Recupero arretrato<\/strong> \(expected 28 Nov 2026, 16:00 CET\)<\/li><li><strong>Archive check<\/strong><\/li>/);
    const it = await mailFor(ctx, 'it');
    expect(it.text).not.toContain('Prossima tappa');
    expect(it.text).toContain('Ancora aperte, come lavori successivi alla risoluzione:\n- Recupero arretrato');

    // Follow-up work done after the resolution: its e-mail speaks of what is left, not of a next step.
    await changeMilestone(ctx, { milestoneId: second.id, state: 'done' });
    const reached = await mailFor(ctx, 'en');
    expect(reached.subject).toBe('[Fattura Esempio] Milestone reached: Recupero arretrato');
    expect(reached.text).not.toContain('Next milestone');
    expect(reached.text).toContain('Still open, as follow-up work after the resolution:\n- Archive check\n');
    await changeMilestone(ctx, { milestoneId: third.id, state: 'cancelled' });
    expect((await mailFor(ctx, 'en')).text).not.toContain('Still open');
  });

  test('milestones: reached and delayed, with the reason', async ({ ctx }) => {
    const { m1 } = await incidentWithPlan(ctx);
    await changeMilestone(ctx, { milestoneId: m1.id, state: 'delayed', expectedAt: new Date(Date.parse(NOW) + 4 * HOUR), delayReason: { it: 'Fornitore in ritardo.', en: 'Supplier late.' } });
    const delayed = await mailFor(ctx, 'it');
    expect(delayed.subject).toBe('[Fattura Esempio] Tappa in ritardo: Ripristino code');
    expect(delayed.text).toContain('Stato della tappa: In ritardo');
    expect(delayed.text).toContain('Prevista: 28 nov 2026, 15:00 CET');
    expect(delayed.text).toContain('\n\nMotivo del ritardo:\nFornitore in ritardo.\n');
    expect(delayed.html).toContain('>Motivo del ritardo</h2>');
    await changeMilestone(ctx, { milestoneId: m1.id, state: 'done' });
    // A "tappa" is feminine: its state agrees with it.
    expect((await mailFor(ctx, 'it')).text).toContain('Stato della tappa: Completata\n');
    const done = await mailFor(ctx, 'en');
    expect(done.subject).toBe('[Fattura Esempio] Milestone reached: Queues restored');
    expect(done.text).toContain('Recovery plan: 1 of 2 milestones done');
    expect(done.text).toContain('Next milestone: Recupero arretrato');
  });

  test('a data-gap notice with its windows', async ({ ctx }) => {
    const { svc, incident } = await incidentWithPlan(ctx);
    await publishNotice(ctx, {
      incidentId: incident.id,
      title: { it: 'Fatture ricevute: dati parziali', en: 'Received invoices: partial data' },
      action: { it: 'Scaricate di nuovo le fatture.', en: 'Download the invoices again.' },
      services: [svc.key],
      windows: [{ scope: { it: 'Ricezione', en: 'Receiving' }, restoredUntil: new Date('2026-11-20T23:00:00Z'), gapEndsAt: new Date('2026-11-25T23:00:00Z') }],
    });
    const en = await mailFor(ctx, 'en');
    expect(en.subject).toBe('[Fattura Esempio] Data notice: Received invoices: partial data');
    expect(en.text).toContain('Data restored up to (Receiving): 21 Nov 2026, 00:00 CET');
    expect(en.text).toContain('Missing period: 21 Nov 2026, 00:00 CET – 26 Nov 2026, 00:00 CET');
    expect(en.text).toContain('Download the invoices again.');
  });

  test('a data-gap notice says what happened, who is affected and what to do, under the page\'s headings', async ({ ctx }) => {
    const { svc, incident } = await incidentWithPlan(ctx);
    await publishNotice(ctx, {
      incidentId: incident.id,
      title: { it: 'Fatture del 9: ripristino dallo storage', en: 'Invoices of day 9: restore from storage' },
      body: { it: 'Lo storage sarà riacceso dal fornitore.', en: 'The provider will power the storage back on.' },
      audience: { it: 'Chi ha caricato fatture la sera del 9', en: 'Whoever uploaded invoices on the evening of day 9' },
      action: { it: 'Non ricaricate *nulla*.' },
      services: [svc.key],
      windows: [{ scope: { it: 'Aree', en: 'Areas' }, restoredUntil: new Date('2026-11-20T23:00:00Z'), pending: true }],
    });
    const it = await mailFor(ctx, 'it');
    expect(it.subject).toBe('[Fattura Esempio] Avviso sui dati: Fatture del 9: ripristino dallo storage');
    expect(it.text).toContain('Lo storage sarà riacceso dal fornitore.\n\nChi è coinvolto:\nChi ha caricato fatture la sera del 9\n\nCosa fare:\nNon ricaricate nulla.\n');
    expect(it.html).toContain('>Chi è coinvolto</h2>');
    expect(it.html).toContain('<em>nulla</em>');
    const en = await mailFor(ctx, 'en');
    expect(en.text).toContain('The provider will power the storage back on.\n\nWho is affected:\nWhoever uploaded invoices on the evening of day 9\n\nWhat to do:\n(This text is only available in Italian.)\nNon ricaricate nulla.\n');
    expect(en.html).toContain('<div lang="it" style="margin:0 0 12px;"><p>Non ricaricate <em>nulla</em>.</p>');
  });

  test('a data-gap notice whose restore is still expected does not call the data restored, until it is', async ({ ctx }) => {
    const { svc, incident } = await incidentWithPlan(ctx);
    const notice = await publishNotice(ctx, {
      incidentId: incident.id,
      title: { it: 'Aree vuote: lo storico arriverà dopo', en: 'Empty areas: the history comes later' },
      services: [svc.key],
      windows: [{ scope: { it: 'Aree vuote', en: 'Empty areas' }, restoredUntil: new Date('2026-11-20T23:00:00Z'), pending: true }],
    });
    const it = await mailFor(ctx, 'it');
    expect(it.text).toContain('Ripristino previsto, dati fino al (Aree vuote): 21 nov 2026, 00:00 CET');
    expect(it.text).not.toContain('Dati ripristinati');
    const en = await mailFor(ctx, 'en');
    expect(en.text).toContain('Restore expected, data up to (Empty areas): 21 Nov 2026, 00:00 CET');
    expect(en.text).not.toContain('Data restored');

    // Once the restore is done, the notice goes out again, saying so.
    await updateNotice(ctx, { noticeId: notice.id, windows: [{ scope: { it: 'Aree vuote', en: 'Empty areas' }, restoredUntil: new Date('2026-11-20T23:00:00Z'), pending: false }] });
    const done = await mailFor(ctx, 'it');
    expect(done.subject).toBe('[Fattura Esempio] Dati ripristinati: Aree vuote: lo storico arriverà dopo');
    expect(done.text).toContain('Dati ripristinati fino al (Aree vuote): 21 nov 2026, 00:00 CET');
    expect((await mailFor(ctx, 'en')).subject).toBe('[Fattura Esempio] Data restored: Empty areas: the history comes later');
  });

  test('maintenance scheduled, reminder, started, completed, cancelled', async ({ ctx }) => {
    const svc = await makeService(ctx, { name: { it: 'Conservazione', en: 'Archiving' } });
    const start = new Date(Date.parse(NOW) + 24 * HOUR);
    const m = await scheduleMaintenance(ctx, { title: { it: 'Aggiornamento database', en: 'Database upgrade' }, services: [svc.key], scheduledStart: start, scheduledEnd: new Date(start.getTime() + 2 * HOUR) });
    const scheduled = await mailFor(ctx, 'it');
    expect(scheduled.subject).toBe('[Fattura Esempio] Manutenzione programmata: Aggiornamento database');
    expect(scheduled.text).toContain('Finestra: 29 nov 2026, 11:00 CET – 29 nov 2026, 13:00 CET');
    expect(scheduled.text).toContain('- Conservazione');
    // Where the feeds link it: the service's page lists the window before, during and after.
    expect(scheduled.text).toContain(`Dettagli e cronologia: https://status.example.test/services/${svc.key}#maintenance-${m.id}\n`);

    const reminder = await renderAlertContent(ctx, { reminderFor: m.id });
    const remindEn = composeAlert(reminder!, recipient('en'), links);
    expect(remindEn.subject).toBe('[Fattura Esempio] Maintenance reminder: Database upgrade');
    expect(remindEn.text).toContain('Starts: 29 Nov 2026, 11:00 CET');
    expect(remindEn.text).toContain('- Archiving');
    expect(remindEn.text).toContain(`Details and timeline: https://status.example.test/en/services/${svc.key}#maintenance-${m.id}\n`);

    ctx.clock.set(start);
    await startMaintenance(ctx, { maintenanceId: m.id });
    expect((await mailFor(ctx, 'en')).subject).toBe('[Fattura Esempio] Maintenance started: Database upgrade');
    // Once started there is nothing left to remind of.
    expect(await renderAlertContent(ctx, { reminderFor: m.id })).toBeNull();
    ctx.clock.advance(HOUR);
    await completeMaintenance(ctx, { maintenanceId: m.id });
    expect((await mailFor(ctx, 'it')).subject).toBe('[Fattura Esempio] Manutenzione completata: Aggiornamento database');

    const other = await scheduleMaintenance(ctx, { title: { it: 'Annullata' }, services: [svc.key], scheduledStart: new Date(start.getTime() + 48 * HOUR), scheduledEnd: new Date(start.getTime() + 50 * HOUR) });
    await completeMaintenance(ctx, { maintenanceId: other.id });
    const cancelled = await mailFor(ctx, 'en');
    expect(cancelled.subject).toBe('[Fattura Esempio] Maintenance cancelled: Annullata');
    expect(cancelled.text).not.toContain('Status:');
    expect(cancelled.text).toContain(`https://status.example.test/en/services/${svc.key}#maintenance-${other.id}\n`);

    // Moved: the e-mail gives the new window and the one readers planned around.
    const later = await scheduleMaintenance(ctx, { title: { it: 'Spostata' }, services: [svc.key], scheduledStart: new Date(start.getTime() + 72 * HOUR), scheduledEnd: new Date(start.getTime() + 74 * HOUR) });
    await updateMaintenance(ctx, { maintenanceId: later.id, scheduledStart: new Date(start.getTime() + 96 * HOUR), scheduledEnd: new Date(start.getTime() + 98 * HOUR) });
    const moved = await mailFor(ctx, 'it');
    expect(moved.subject).toBe('[Fattura Esempio] Manutenzione spostata: Spostata');
    expect(moved.text).toContain('Finestra: 3 dic 2026, 11:00 CET – 3 dic 2026, 13:00 CET');
    expect(moved.text).toContain('Finestra precedente: 2 dic 2026, 11:00 CET – 2 dic 2026, 13:00 CET');
  });

  test('no e-mail for automated status changes or for a reminder of a missing window', async ({ ctx }) => {
    const event = { id: uid(), type: 'service.status_changed', serviceKeys: [], title: { it: 'x' }, body: null, data: {}, notify: false } as unknown as EventRow;
    expect(await renderAlertContent(ctx, { event })).toBeNull();
    expect(await renderAlertContent(ctx, { reminderFor: 'nope' })).toBeNull();
  });

  test('composing is pure: the same content and recipient give the same bytes', async ({ ctx }) => {
    await incidentWithPlan(ctx);
    const content = (await renderAlertContent(ctx, { event: await lastEvent(ctx) }))!;
    expect(composeAlert(content, recipient('it'), links)).toEqual(composeAlert(content, recipient('it'), links));
    const other = composeAlert(content, { ...recipient('it'), subscriberId: 'sub999' }, links);
    expect(other.html).toContain(links.unsubscribeUrl('sub999'));
    expect(other.html).not.toContain(links.unsubscribeUrl('sub123'));
  });
});

describe('one-off e-mails', () => {
  test('confirmation: link, expiry in the site zone, reassurance for whoever did not ask', () => {
    const mail = confirmationEmail({ locale: 'it', confirmUrl: 'https://status.example.test/subscribe/confirm/a.b', expiresAt: new Date('2026-12-01T10:00:00Z'), timeZone: 'Europe/Rome' });
    expect(mail.subject).toBe('Confermate l’iscrizione agli avvisi di Fattura Esempio');
    expect(mail.text).toContain('https://status.example.test/subscribe/confirm/a.b');
    expect(mail.text).toContain('Il link scade il 1 dicembre 2026 alle ore 11:00 CET.');
    expect(mail.html).toContain('href="https://status.example.test/subscribe/confirm/a.b"');
    const en = alreadySubscribedEmail({ locale: 'en', manageUrl: 'https://status.example.test/en/subscription/x.y' });
    expect(en.subject).toBe('You are already subscribed to Fattura Esempio alerts');
    expect(en.text).toContain('https://status.example.test/en/subscription/x.y');
  });
});
