/**
 * Alert e-mails in two steps, so a fan-out to 100 000 people costs one render:
 *
 * 1. `renderAlertContent(ctx, source)` reads the database once and writes the subject, HTML and text of every
 *    locale, with two opaque slots where each recipient's manage and unsubscribe links go. The result is plain
 *    JSON: the delivery engine stores it on the fan-out, and every retry rebuilds the same bytes from it.
 * 2. `composeAlert(content, recipient, links)` is pure: it picks the recipient's locale (Italian when the other is
 *    missing), fills the slots and adds the RFC 8058 headers.
 */
import { randomBytes } from 'node:crypto';
import { markdownToPlainText, renderMarkdown } from '../domain/markdown.ts';
import type { Locale } from '../domain/vocab.ts';
import { SITE } from '../i18n/index.ts';
import { type AlertSource, type AlertView, type LocalText, type PlanStep, loadAlertViews } from './alert-view.ts';
import { type MailCopy, mailCopy } from './copy.ts';
import { COLORS, buttonHtml, emailDocument, escapeHtml, linkHtml } from './layout.ts';
import type { RecipientLinks } from './links.ts';

export type { AlertSource } from './alert-view.ts';

export type AlertPart = { subject: string; html: string; text: string };

export type AlertContent = {
  version: 1;
  /** Placeholders for the per-recipient links, random per alert so no operator text can contain them. */
  slots: { manage: string; unsubscribe: string };
  locales: { it: AlertPart } & Partial<Record<Exclude<Locale, 'it'>, AlertPart>>;
};

export type AlertRecipient = { subscriberId: string; email: string; locale: Locale };
export type ComposedAlert = { to: string; subject: string; html: string; text: string; headers: Record<string, string> };

export async function renderAlertContent(ctx: Parameters<typeof loadAlertViews>[0], source: AlertSource): Promise<AlertContent | null> {
  const views = await loadAlertViews(ctx, source);
  if (!views) return null;
  const tag = randomBytes(6).toString('hex');
  const slots = { manage: `%%manage-${tag}%%`, unsubscribe: `%%unsubscribe-${tag}%%` };
  return {
    version: 1,
    slots,
    locales: { it: renderPart(views.it, slots), en: renderPart(views.en, slots) },
  };
}

export function composeAlert(content: AlertContent, recipient: AlertRecipient, links: RecipientLinks): ComposedAlert {
  const part = content.locales[recipient.locale] ?? content.locales.it;
  const manage = links.manageUrl(recipient.subscriberId, recipient.locale);
  const unsubscribe = links.unsubscribeUrl(recipient.subscriberId);
  const fill = (s: string, encode: (u: string) => string) =>
    s.split(content.slots.manage).join(encode(manage)).split(content.slots.unsubscribe).join(encode(unsubscribe));
  return {
    to: recipient.email,
    subject: part.subject,
    html: fill(part.html, escapeHtml),
    text: fill(part.text, (u) => u),
    headers: {
      'List-Unsubscribe': `<${unsubscribe}>, <${links.unsubscribeMailto(recipient.subscriberId)}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Templates (pure): one view → subject, HTML, text.

/** One line, no control characters, bounded: a subject is a header, not a paragraph. */
function oneLine(text: string, max = 180): string {
  // eslint-disable-next-line no-control-regex -- a header must not carry control characters (CR/LF above all)
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function renderPart(view: AlertView, slots: AlertContent['slots']): AlertPart {
  const subject = oneLine(`[${SITE.vendor}] ${view.kind}: ${view.title.text}`);
  return { subject, html: renderHtml(view, subject, slots), text: renderText(view, slots) };
}

/** "expected 28 Nov 2026, 12:00 CET, past its expected date": the words around a milestone's date. */
function stepDate(s: PlanStep, c: MailCopy): string {
  return `${c.expected} ${s.when}${s.late ? `, ${c.late}` : ''}`;
}

/** `lang` on any text that is not in the e-mail's language, so screen readers switch voice. */
const langAttr = (text: LocalText, view: AlertView) => (text.locale === view.locale ? '' : ` lang="${text.locale}"`);

function renderHtml(view: AlertView, subject: string, slots: AlertContent['slots']): string {
  const c = mailCopy(view.locale);
  const h2 = (text: string) => `<h2 style="margin:20px 0 8px;font-size:17px;line-height:1.3;color:${COLORS.text};">${escapeHtml(text)}</h2>`;
  const parts: string[] = [];
  parts.push(`<p style="margin:0 0 4px;font-size:14px;font-weight:bold;text-transform:uppercase;letter-spacing:.03em;color:${COLORS.muted};">${escapeHtml(view.kind)}</p>`);
  parts.push(`<h1 style="margin:0 0 12px;font-size:22px;line-height:1.3;color:${COLORS.text};"${langAttr(view.title, view)}>${escapeHtml(view.title.text)}</h1>`);
  if (view.facts.length) {
    parts.push(
      `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 12px;">` +
        view.facts
          .map((f) => `<tr><td style="padding:2px 12px 2px 0;vertical-align:top;color:${COLORS.muted};">${escapeHtml(f.label)}</td><td style="padding:2px 0;vertical-align:top;"><strong>${escapeHtml(f.value)}</strong></td></tr>`)
          .join('') +
        `</table>`,
    );
  }
  // renderMarkdown sanitises: operators' text can carry links and emphasis, never markup that runs or tracks.
  const markdown = (text: LocalText) =>
    (text.locale !== view.locale ? `<p style="margin:0 0 8px;font-size:13px;color:${COLORS.muted};">${escapeHtml(c.translationMissing)}</p>` : '') +
    `<div${langAttr(text, view)} style="margin:0 0 12px;">${renderMarkdown(text.text)}</div>`;
  if (view.body) parts.push(markdown(view.body));
  for (const sec of view.sections) parts.push(h2(sec.heading), markdown(sec.body));
  if (view.services.length) {
    parts.push(h2(c.affectedServices));
    parts.push(
      `<ul style="margin:0 0 12px;padding-left:20px;">` +
        view.services
          .map((s) => `<li><span${langAttr(s.name, view)}>${escapeHtml(s.name.text)}</span>${s.status ? `: <strong>${escapeHtml(s.status)}</strong>` : ''}</li>`)
          .join('') +
        `</ul>`,
    );
  }
  if (view.plan) {
    parts.push(h2(c.plan));
    parts.push(`<p style="margin:0 0 4px;">${escapeHtml(view.plan.progress)}</p>`);
    const step = (s: PlanStep) =>
      `<strong${langAttr(s.title, view)}>${escapeHtml(s.title.text)}</strong>${s.when ? ` (${escapeHtml(stepDate(s, c))})` : ''}`;
    const next = view.plan.next;
    if (next) parts.push(`<p style="margin:0 0 12px;">${escapeHtml(c.nextMilestone)}: ${step(next)}</p>`);
    if (view.plan.followUp.length) {
      parts.push(`<p style="margin:0 0 4px;">${escapeHtml(c.followUp)}:</p>`);
      parts.push(`<ul style="margin:0 0 12px;padding-left:20px;">${view.plan.followUp.map((s) => `<li>${step(s)}</li>`).join('')}</ul>`);
    }
  }
  if (view.nextUpdate) {
    parts.push(`<p style="margin:16px 0 12px;padding:10px 12px;background:${COLORS.panel};border-left:4px solid ${COLORS.band};">${escapeHtml(c.nextUpdate)}: <strong>${escapeHtml(view.nextUpdate)}</strong></p>`);
  }
  parts.push(buttonHtml(view.link.url, view.link.label));
  const footer = [
    `<p style="margin:0 0 8px;">${escapeHtml(c.why(SITE.vendor))}</p>`,
    `<p style="margin:0;">${linkHtml(slots.manage, c.manage)} · ${linkHtml(slots.unsubscribe, c.unsubscribe)}</p>`,
  ].join('\n');
  return emailDocument({ locale: view.locale, title: subject, preheader: oneLine(view.body ? markdownToPlainText(view.body.text) : view.title.text, 140), body: parts.join('\n'), footer, tagline: c.tagline });
}

function renderText(view: AlertView, slots: AlertContent['slots']): string {
  const c = mailCopy(view.locale);
  const lines: string[] = [`${view.kind}: ${oneLine(view.title.text, 500)}`];
  for (const f of view.facts) lines.push(`${f.label}: ${f.value}`);
  const markdown = (text: LocalText) => [...(text.locale !== view.locale ? [`(${c.translationMissing})`] : []), markdownToPlainText(text.text)];
  if (view.body) lines.push('', ...markdown(view.body));
  for (const sec of view.sections) lines.push('', `${sec.heading}:`, ...markdown(sec.body));
  if (view.services.length) {
    lines.push('', `${c.affectedServices}:`);
    for (const s of view.services) lines.push(`- ${s.name.text}${s.status ? `: ${s.status}` : ''}`);
  }
  if (view.plan) {
    lines.push('', `${c.plan}: ${view.plan.progress}`);
    const step = (s: PlanStep) => `${s.title.text}${s.when ? ` (${stepDate(s, c)})` : ''}`;
    if (view.plan.next) lines.push(`${c.nextMilestone}: ${step(view.plan.next)}`);
    if (view.plan.followUp.length) {
      lines.push(`${c.followUp}:`);
      for (const s of view.plan.followUp) lines.push(`- ${step(s)}`);
    }
  }
  if (view.nextUpdate) lines.push('', `${c.nextUpdate}: ${view.nextUpdate}`);
  lines.push('', `${view.link.label}: ${view.link.url}`);
  // "-- " is the signature separator: clients fold or dim what follows.
  lines.push('', '-- ', c.why(SITE.vendor), `${c.manage}: ${slots.manage}`, `${c.unsubscribe}: ${slots.unsubscribe}`);
  return lines.join('\n') + '\n';
}
