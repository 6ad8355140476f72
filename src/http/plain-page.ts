import type { Context } from 'hono';
import { negotiateLocale } from '../domain/i18n.ts';
import { type Dictionary, dict, splitLocalePath } from '../i18n/index.ts';
import { isConsolePath } from './console.ts';

/**
 * A short page for answers given before Astro renders anything (an outage, a body too large): no layout, no
 * database, in the visitor's language — the console's follows the browser, public pages their URL.
 */
export function plainPage(
  c: Context,
  status: number,
  text: (t: Dictionary) => { title: string; body: string },
  headers: Record<string, string>,
): Response {
  const path = c.req.path;
  const locale = isConsolePath(path) ? negotiateLocale(c.req.header('accept-language') ?? null) : splitLocalePath(path).locale;
  const { title, body } = text(dict(locale));
  const html = `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1a1a1a; background: #fff">
<main><h1>${title}</h1><p>${body}</p></main>
</body>
</html>
`;
  return new Response(html, { status, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
}
