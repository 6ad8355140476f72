/**
 * The HTML frame shared by every e-mail: one centred table at most 600 px wide that shrinks to the phone's
 * width, inline styles only (mail clients drop <style> blocks and external sheets), system fonts, and colours
 * that pass WCAG AA contrast on white. No images, scripts or remote resources: nothing to block, nothing to track.
 */
import type { Locale } from '../domain/vocab.ts';
import { SITE } from '../i18n/index.ts';
import { escapeHtml } from '../domain/html.ts';

export { escapeHtml };

export const COLORS = {
  text: '#1a1a1a',
  muted: '#4a4a4a',
  link: '#0b4fb3',
  rule: '#d0d4da',
  band: '#0b3d70',
  bandText: '#ffffff',
  panel: '#f3f5f8',
} as const;


export const FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/** A link with a visible underline and enough padding to hit with a thumb. */
export function linkHtml(href: string, label: string): string {
  return `<a href="${escapeHtml(href)}" style="color:${COLORS.link};text-decoration:underline;">${escapeHtml(label)}</a>`;
}

/** A button made of a table cell, the form every client renders. */
export function buttonHtml(href: string, label: string): string {
  return (
    `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:16px 0;"><tr>` +
    `<td style="background:${COLORS.band};border-radius:4px;">` +
    `<a href="${escapeHtml(href)}" style="display:inline-block;padding:12px 20px;color:${COLORS.bandText};font-weight:bold;text-decoration:none;font-family:${FONT};">${escapeHtml(label)}</a>` +
    `</td></tr></table>`
  );
}

/**
 * The document: `preheader` is the line clients show next to the subject, `body` the content rows (already
 * HTML), `footer` the small print (already HTML).
 */
export function emailDocument(opts: { locale: Locale; title: string; preheader: string; body: string; footer: string; tagline: string }): string {
  const { locale, title, preheader, body, footer, tagline } = opts;
  return [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${escapeHtml(title)}</title>`,
    '</head>',
    `<body style="margin:0;padding:0;background:${COLORS.panel};">`,
    `<div style="display:none;max-height:0;overflow:hidden;">${escapeHtml(preheader)}</div>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:${COLORS.panel};"><tr><td align="center" style="padding:16px 8px;">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background:#ffffff;border:1px solid ${COLORS.rule};">`,
    `<tr><td style="background:${COLORS.band};color:${COLORS.bandText};padding:14px 20px;font-family:${FONT};font-size:15px;">` +
      `<strong>${escapeHtml(SITE.vendor)}</strong> · ${escapeHtml(tagline)}</td></tr>`,
    `<tr><td style="padding:20px;font-family:${FONT};font-size:16px;line-height:1.5;color:${COLORS.text};">${body}</td></tr>`,
    `<tr><td style="padding:16px 20px;border-top:1px solid ${COLORS.rule};font-family:${FONT};font-size:13px;line-height:1.5;color:${COLORS.muted};">${footer}</td></tr>`,
    '</table>',
    '</td></tr></table>',
    '</body>',
    '</html>',
  ].join('\n');
}
