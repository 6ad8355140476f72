/**
 * What every console page does first: language, the signed-in operator (or a redirect to sign-in), the
 * permission the page needs, and — on POST — the CSRF check before the form is read at all. Pages stay thin
 * adapters: read the form, call a service with the operator as actor, redirect (303) or show the errors.
 */
import type { AstroGlobal } from 'astro';
import type { Locale } from '../domain/vocab.ts';
import { type AdminDictionary, adminDict, fieldName } from '../i18n/admin/index.ts';
import { type PublicOperator, checkCsrf, csrfTokenFor, operatorActor } from '../services/auth.ts';
import type { Ctx } from '../services/context.ts';
import { ServiceError } from '../services/errors.ts';
import { VersionConflict } from '../services/incidents.ts';
import { type Permission, grants } from '../services/permissions.ts';
import { type FieldErrors, FormReader, LOCALE_COOKIE, SIGN_IN_PATH, consoleLocale } from './console.ts';
import { escapeHtml } from '../domain/html.ts';

export type Console = {
  locale: Locale;
  t: AdminDictionary;
  op: PublicOperator;
  /** The request's service context with the operator as actor: every service call goes through it. */
  ctx: Ctx;
  timeZone: string;
  now: Date;
  /** The hidden `_csrf` value for every form on the page. */
  csrf: string;
  canWrite: boolean;
  isAdmin: boolean;
  /** The page's path and query, for `next` links. */
  here: string;
  /** Set on POST, after the CSRF token was checked. */
  form: FormReader | null;
  /** The key of the success message to show (from `?ok=` after a redirect), already checked against the dictionary. */
  flash: string | null;
};

export type Failure = { message: string; fields: FieldErrors; status: number; code: string };

/** What the helpers use of a page's `Astro` (any page: the component and params types do not matter here). */
type AnyAstro = Pick<AstroGlobal, 'cookies' | 'request' | 'url' | 'locals' | 'response' | 'redirect'>;

export function requestLocale(Astro: AnyAstro): Locale {
  return consoleLocale(Astro.cookies.get(LOCALE_COOKIE)?.value, Astro.request.headers.get('accept-language'));
}

/** Console responses are per operator and may carry secrets: never cached, never indexed. */
export function privateHeaders(Astro: AnyAstro) {
  Astro.response.headers.set('Cache-Control', 'no-store');
  Astro.response.headers.set('X-Robots-Tag', 'noindex, nofollow');
}

export async function openConsole(Astro: AnyAstro, opts: { need?: Permission } = {}): Promise<Console | Response> {
  privateHeaders(Astro);
  const locale = requestLocale(Astro);
  const t = adminDict(locale);
  const here = Astro.url.pathname + Astro.url.search;
  const op = Astro.locals.operator;
  const token = Astro.locals.sessionToken;
  if (!op || !token) {
    if (Astro.request.method === 'POST') {
      // The session ended while the operator was writing (expiry, sign-out in another tab): never lose the text.
      const data = await Astro.request.formData().catch(() => new FormData());
      return messagePage(t, locale, 401, t.errors.sessionTitle, t.errors.session, {
        kept: keptTexts(data),
        link: { href: `${SIGN_IN_PATH}?next=${encodeURIComponent(here)}`, label: t.signIn.submit },
      });
    }
    return Astro.redirect(`${SIGN_IN_PATH}?next=${encodeURIComponent(here)}`, 303);
  }
  const actor = operatorActor(op);
  const ctx: Ctx = { ...Astro.locals.ctx, actor };
  if (opts.need && !grants(actor, opts.need)) return messagePage(t, locale, 403, t.errors.forbiddenTitle, t.errors.forbiddenPage);

  let form: FormReader | null = null;
  if (Astro.request.method === 'POST') {
    const data = await Astro.request.formData().catch(() => new FormData());
    const submitted = data.get('_csrf');
    if (!checkCsrf(token, typeof submitted === 'string' ? submitted : undefined)) {
      return messagePage(t, locale, 403, t.errors.csrfTitle, t.errors.csrf, { kept: keptTexts(data) });
    }
    form = new FormReader(data);
  }
  const okKey = Astro.url.searchParams.get('ok');
  return {
    locale,
    t,
    op,
    ctx,
    timeZone: ctx.timeZone,
    now: ctx.now(),
    csrf: csrfTokenFor(token),
    canWrite: grants(actor, 'write'),
    isAdmin: grants(actor, 'admin'),
    here,
    form,
    flash: okKey && Object.hasOwn(t.flash, okKey) ? okKey : null,
  };
}

/** A 303 to a console path with a success message key: the browser then GETs, so a reload never re-posts. */
export function done(Astro: AnyAstro, path: string, ok?: keyof AdminDictionary['flash']): Response {
  const [base, fragment] = path.split('#', 2) as [string, string | undefined];
  const sep = base.includes('?') ? '&' : '?';
  return Astro.redirect(`${base}${ok ? `${sep}ok=${ok}` : ''}${fragment ? `#${fragment}` : ''}`, 303);
}

const HTTP_STATUS: Record<ServiceError['code'], number> = {
  validation_failed: 422,
  conflict: 409,
  forbidden: 403,
  not_found: 404,
};

/**
 * A service's refusal, in the console's language where the message is a known one, with each field's
 * complaint kept under the field's name so the form can show it next to the field. Anything that is not a
 * ServiceError is a bug and is rethrown.
 */
export function failureOf(error: unknown, t: AdminDictionary): Failure {
  if (!(error instanceof ServiceError)) throw error;
  const fields: FieldErrors = {};
  for (const [k, v] of Object.entries(error.fields ?? {})) fields[k] = translateMessage(v, t);
  const message =
    error.code === 'validation_failed' && Object.keys(fields).length > 0
      ? t.errors.validation
      : error.code === 'forbidden'
        ? t.errors.forbidden
        : error instanceof VersionConflict
          ? t.errors.versionConflict(conflictChanges(error, t), error.by)
          : translateMessage(error.message, t);
  return { message, fields, status: HTTP_STATUS[error.code], code: error.code };
}

/**
 * What a colleague changed in an incident, named as the console's forms name it, leaving out `except` (a page
 * that says more about a field). The resolution time is always left out: it only moves with the status.
 */
export function conflictChanges(error: VersionConflict, t: AdminDictionary, except: readonly string[] = []): string[] {
  return error.changed.filter((f) => f !== 'resolvedAt' && !except.includes(f)).map((f) => fieldName(t, f));
}

/** The refusal a viewer gets before any service is called (the service would refuse too). */
export function mustWrite(c: Console, need: Permission = 'write'): Failure | null {
  if (grants(c.ctx.actor, need)) return null;
  return { message: c.t.errors.forbidden, fields: {}, status: 403, code: 'forbidden' };
}

/** Local checks (a malformed date) reported like a service's validation failure. */
export function localFailure(fields: FieldErrors, t: AdminDictionary): Failure | null {
  return Object.keys(fields).length ? { message: t.errors.validation, fields, status: 422, code: 'validation_failed' } : null;
}

function translateMessage(message: string, t: AdminDictionary): string {
  const exact = t.serviceMessages[message];
  if (exact !== undefined) return exact;
  for (const [pattern, render] of t.serviceMessagePatterns) {
    const m = pattern.exec(message);
    // A group can be a message of its own (the reason inside "The maintenance is …: <reason>.").
    if (m) return render(...m.slice(1).map((g) => (g ? translateMessage(g, t) : '')));
  }
  return message;
}


/** The texts an operator typed into a refused form (`title.it`, `body.en`…), to hand back rather than lose. */
function keptTexts(data: FormData): [string, string][] {
  return [...data.entries()]
    .filter((e): e is [string, string] => typeof e[1] === 'string' && /\.(it|en)$/.test(e[0]) && e[1].trim() !== '')
    .slice(0, 40);
}

/** The object, or null when the service says it does not exist: the page then answers with its own 404. */
export async function unlessNotFound<T>(load: Promise<T>): Promise<T | null> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'not_found') return null;
    throw error;
  }
}

/**
 * A small complete page for refusals that happen before any layout renders (CSRF, expired session, missing
 * permission). `kept` lists texts the refused form carried: they are shown for copying, never lost.
 */
export function messagePage(
  t: AdminDictionary,
  locale: Locale,
  status: number,
  title: string,
  body: string,
  opts: { kept?: [string, string][]; link?: { href: string; label: string } } = {},
): Response {
  const kept = opts.kept ?? [];
  const keptHtml = kept.length
    ? `<section aria-labelledby="kept"><h2 id="kept" style="font-size: 1.15rem;">${escapeHtml(t.errors.keptTitle)}</h2>
<p>${escapeHtml(t.errors.keptBody)}</p>
${kept
  .map(
    ([name, value], i) =>
      `<p><label for="kept-${i}" style="font-weight: 600;">${escapeHtml(fieldName(t, name))}</label><br>` +
      `<textarea id="kept-${i}" readonly rows="6" lang="${name.endsWith('.en') ? 'en' : 'it'}" style="width: 100%; font: inherit;">${escapeHtml(value)}</textarea></p>`,
  )
  .join('\n')}</section>`
    : '';
  const link = opts.link ?? { href: '/admin', label: t.errors.backToConsole };
  const html = `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · ${escapeHtml(t.consoleName)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 48rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; color: #1a1a1a;">
<main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>
<p><a href="${escapeHtml(link.href)}" style="color: #0b57a4;">${escapeHtml(link.label)}</a></p>${keptHtml}</main>
</body></html>`;
  return new Response(html, {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex, nofollow' },
  });
}
