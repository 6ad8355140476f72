/**
 * The two one-off e-mails of subscribing: the double opt-in confirmation, and the note to an address that is
 * already subscribed. The web form answers both cases with the same words; only the mailbox's owner learns which
 * one it was, and gets a link that works for them.
 */
import { formatDateTime } from '../domain/time.ts';
import type { Locale } from '../domain/vocab.ts';
import { SITE } from '../i18n/index.ts';
import { mailCopy } from './copy.ts';
import { buttonHtml, emailDocument, escapeHtml, linkHtml } from './layout.ts';

export type OneOffEmail = { subject: string; html: string; text: string; headers: Record<string, string> };

const paragraph = (text: string) => `<p style="margin:0 0 12px;">${escapeHtml(text)}</p>`;

export function confirmationEmail(opts: { locale: Locale; confirmUrl: string; expiresAt: Date; timeZone: string }): OneOffEmail {
  const c = mailCopy(opts.locale);
  const expires = formatDateTime(opts.expiresAt, opts.locale, opts.timeZone, { dateStyle: 'long' });
  const subject = c.confirm.subject(SITE.vendor);
  const html = emailDocument({
    locale: opts.locale,
    title: subject,
    preheader: c.confirm.intro(SITE.vendor),
    tagline: c.tagline,
    body: [
      paragraph(c.confirm.intro(SITE.vendor)),
      buttonHtml(opts.confirmUrl, c.confirm.action),
      `<p style="margin:0 0 12px;word-break:break-all;">${linkHtml(opts.confirmUrl, opts.confirmUrl)}</p>`,
      paragraph(c.confirm.expires(expires)),
    ].join('\n'),
    footer: escapeHtml(c.confirm.ignore),
  });
  const text = [c.confirm.intro(SITE.vendor), '', `${c.confirm.action}:`, opts.confirmUrl, '', c.confirm.expires(expires), '', '-- ', c.confirm.ignore].join('\n');
  return { subject, html, text, headers: {} };
}

export function alreadySubscribedEmail(opts: { locale: Locale; manageUrl: string }): OneOffEmail {
  const c = mailCopy(opts.locale);
  const subject = c.already.subject(SITE.vendor);
  const html = emailDocument({
    locale: opts.locale,
    title: subject,
    preheader: c.already.intro(SITE.vendor),
    tagline: c.tagline,
    body: [paragraph(c.already.intro(SITE.vendor)), buttonHtml(opts.manageUrl, c.already.action), paragraph(c.already.ignore)].join('\n'),
    footer: escapeHtml(c.why(SITE.vendor)),
  });
  const text = [c.already.intro(SITE.vendor), '', `${c.already.action}:`, opts.manageUrl, '', c.already.ignore].join('\n');
  return { subject, html, text, headers: {} };
}
