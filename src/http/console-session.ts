import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { getFetchState } from 'astro/hono';
import { operatorForSession } from '../services/auth.ts';
import { cookieSecurity, isConsolePath } from './console.ts';

export const ACCOUNT_PATH = '/admin/account';

/**
 * What an operator who must first choose their own password (generated first-run password, administrator's
 * reset) may still open: the account page, signing out or in again, the language switch, and static assets.
 */
const OPEN_BEFORE_PASSWORD_CHANGE = new Set([ACCOUNT_PATH, '/admin/sign-out', '/admin/sign-in', '/admin/language', '/admin/console.js']);

/**
 * Resolves the operator behind the console's session cookie, for console paths only (/admin…), and hands
 * it to the Astro pages as `Astro.locals.operator` with the raw token as `Astro.locals.sessionToken` (the
 * pages derive the CSRF token from it). Public pages never pay for the lookup. An operator who must choose
 * their own password first is sent (303) to the account page from every other console page.
 *
 * Must run after the middleware that sets `locals.ctx` and before Astro's handlers.
 */
export function consoleSession(): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (isConsolePath(url.pathname)) {
      const state = getFetchState(c);
      const ctx = state.locals.ctx;
      // Only the cookie name this origin is allowed to use is read: on an HTTPS site a plain
      // `vedetta_session` planted by a sibling subdomain is ignored rather than trusted.
      const { sessionCookie } = cookieSecurity(url, ctx.siteUrl);
      const token = getCookie(c, sessionCookie) || null;
      const operator = token ? await operatorForSession(ctx, token) : null;
      state.locals.operator = operator;
      state.locals.sessionToken = operator ? token : null;
      if (operator?.mustChangePassword && !OPEN_BEFORE_PASSWORD_CHANGE.has(url.pathname.replace(/\/+$/, ''))) {
        c.header('Cache-Control', 'no-store');
        return c.redirect(ACCOUNT_PATH, 303);
      }
      await next();
      // Astro's piecewise handlers (`pages()` in src/fetch.ts) leave the cookies a page set with
      // `Astro.cookies` off the response (only the all-in-one `astro()` handler writes them), so the
      // console writes its own: the session cookie on sign-in and sign-out, the sign-in nonce, the language.
      const already = new Set(c.res.headers.getSetCookie());
      const pending = [...state.cookies.consume()].filter((value) => !already.has(value));
      if (pending.length > 0) {
        const res = new Response(c.res.body, c.res);
        for (const value of pending) res.headers.append('Set-Cookie', value);
        c.res = res;
      }
      return;
    }
    await next();
  };
}
