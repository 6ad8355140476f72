import type { APIRoute } from 'astro';
import { resolveLocale } from '../../domain/i18n.ts';
import { LOCALE_COOKIE, cookieSecurity, safeNext } from '../../http/console.ts';

/**
 * Switches the console's language (a preference cookie, nothing else) and goes back to the page. A plain
 * link so it works without JavaScript on every page, the sign-in page included; `next` stays inside /admin.
 */
export const GET: APIRoute = ({ url, cookies, locals, redirect }) => {
  const locale = resolveLocale(url.searchParams.get('to'));
  const { secure } = cookieSecurity(url, locals.ctx.siteUrl);
  cookies.set(LOCALE_COOKIE, locale, { path: '/admin', sameSite: 'lax', secure, httpOnly: true, maxAge: 365 * 24 * 60 * 60 });
  const next = url.searchParams.get('next');
  // The sign-in page is not a valid `next` after signing in, but it is where a signed-out operator switches language.
  let target = safeNext(next);
  if (next?.startsWith('/admin/sign-in')) {
    const inner = new URL(next, 'http://console.invalid').searchParams.get('next');
    target = inner ? `/admin/sign-in?next=${encodeURIComponent(safeNext(inner))}` : '/admin/sign-in';
  }
  return redirect(target, 303);
};
