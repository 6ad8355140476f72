/**
 * E-mails to an endpoint's owner: the self-service confirmation link and the "your endpoint was disabled"
 * notice. Both are written in both languages, the endpoint's own first, because the owner chose the endpoint's
 * language for payloads, not necessarily for mail. They go out through the delivery outbox (enqueueEmail), in
 * the caller's transaction.
 */
import { enqueueEmail } from '../delivery/enqueue.ts';
import type { Locale } from '../domain/vocab.ts';
import type { Ctx } from '../services/context.ts';

type Endpoint = { id: string; url: string; ownerEmail: string; locale: Locale };
type Copy = { subject: string; lines: string[]; link?: { href: string; label: string } };

const DISABLED: Record<Locale, (e: Endpoint) => Copy> = {
  it: (e) => ({
    subject: 'Webhook disattivato: il tuo endpoint non risponde',
    lines: [
      `Abbiamo disattivato l'endpoint webhook ${e.url}.`,
      'Per 24 ore ogni invio è fallito (nessuna risposta 2xx), quindi abbiamo smesso di inviare eventi.',
      'Quando il ricevitore funziona di nuovo, chiedi a un operatore della pagina di stato di riattivarlo.',
    ],
  }),
  en: (e) => ({
    subject: 'Webhook disabled: your endpoint is not answering',
    lines: [
      `We disabled the webhook endpoint ${e.url}.`,
      'Every delivery failed for 24 hours (no 2xx answer), so we stopped sending events.',
      'Once the receiver works again, ask an operator of the status page to enable it.',
    ],
  }),
};

const CONFIRM: Record<Locale, (e: Endpoint, link: string) => Copy> = {
  it: (e, link) => ({
    subject: 'Conferma il tuo webhook',
    lines: [
      `Qualcuno (speriamo tu) ha registrato l'endpoint webhook ${e.url} indicando questo indirizzo come responsabile.`,
      'Gli eventi verranno inviati solo dopo la conferma. Se non sei stato tu, ignora questo messaggio.',
    ],
    link: { href: link, label: 'Conferma il webhook' },
  }),
  en: (e, link) => ({
    subject: 'Confirm your webhook',
    lines: [
      `Someone (hopefully you) registered the webhook endpoint ${e.url} with this address as its owner.`,
      'Events are sent only once you confirm. If it was not you, ignore this message.',
    ],
    link: { href: link, label: 'Confirm the webhook' },
  }),
};

export async function notifyOwnerDisabled(tx: Ctx, endpoint: Endpoint): Promise<void> {
  await send(tx, 'owner_notice', endpoint, (l) => DISABLED[l](endpoint));
}

export async function sendConfirmation(tx: Ctx, endpoint: Endpoint, link: (locale: Locale) => string): Promise<void> {
  await send(tx, 'confirm', endpoint, (l) => CONFIRM[l](endpoint, link(l)));
}

async function send(tx: Ctx, kind: 'confirm' | 'owner_notice', endpoint: Endpoint, copy: (locale: Locale) => Copy): Promise<void> {
  const order: Locale[] = endpoint.locale === 'en' ? ['en', 'it'] : ['it', 'en'];
  const parts = order.map(copy);
  const subject = parts.map((p) => p.subject).join(' / ');
  const text = parts.map((p) => [...p.lines, ...(p.link ? [`${p.link.label}: ${p.link.href}`] : [])].join('\n\n')).join('\n\n-----\n\n');
  const html = parts
    .map(
      (p, i) =>
        `<div lang="${order[i]}">${p.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}${
          p.link ? `<p><a href="${escapeHtml(p.link.href)}">${escapeHtml(p.link.label)}</a></p>` : ''
        }</div>`,
    )
    .join('<hr>');
  await enqueueEmail(tx, { kind, to: endpoint.ownerEmail, locale: endpoint.locale, content: { subject, html, text, headers: {} } });
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
