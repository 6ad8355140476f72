/**
 * The request side of the public subscription pages (subscribe, confirm, manage, unsubscribe), shared by the
 * Italian and English page files: read the form, call the service, pick the status code, and hand the view
 * a plain state to render.
 *
 * CSRF without a session: these forms are protected by Astro's origin check (`security.checkOrigin`, on by
 * default: a cross-site form POST is refused with 403), and every form that changes a subscription also needs the
 * signed token from the e-mailed link, which a forging site cannot know. Token pages are never cached or indexed.
 */
import type { AstroGlobal } from 'astro';
import { isLocale } from '../../domain/i18n.ts';
import { clientAddress } from '../client-address.ts';
import { privatePage, refusedForm } from '../public-form.ts';
import type { Locale } from '../../domain/vocab.ts';
import { localePath } from '../../i18n/index.ts';
import { ServiceError } from '../../services/errors.ts';
import {
  type SubscriptionView,
  checkConfirmLink,
  confirm,
  getSubscription,
  resendConfirmation,
  subscribe,
  unsubscribe,
  updateSubscription,
} from '../../services/subscribers.ts';

export type Choice = { email: string; locale: Locale; allServices: boolean; serviceKeys: string[] };
/** Field name → which message to show (keys of `subscription.errors`). */
export type FieldErrors = Partial<Record<'email' | 'locale' | 'serviceKeys' | 'scope' | 'generic', true>>;

export type SubscribeState =
  | { kind: 'form'; values: Choice; errors: FieldErrors; retryMinutes?: number }
  | { kind: 'sent' | 'resent'; email: string; locale: Locale };

export type LinkState =
  | { kind: 'invalid' }
  | { kind: 'confirm-ask'; email: string }
  | { kind: 'confirmed'; view: SubscriptionView; manageUrl: string }
  | { kind: 'manage'; view: SubscriptionView; token: string; saved: boolean; errors: FieldErrors; values?: Choice }
  | { kind: 'unsubscribe-ask'; view: SubscriptionView }
  | { kind: 'unsubscribed' };

type Page = AstroGlobal;

const text = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === 'string' ? v : '';
};

function choiceFrom(form: FormData, fallbackLocale: Locale): Choice {
  const locale = text(form, 'locale');
  return {
    email: text(form, 'email').trim(),
    locale: isLocale(locale) ? locale : fallbackLocale,
    allServices: text(form, 'scope') !== 'some',
    serviceKeys: form.getAll('service').filter((v): v is string => typeof v === 'string'),
  };
}

/**
 * Services ticked under "all services": the two answers disagree, and keeping either one would silently drop
 * the other. The reader is asked to choose, with everything they entered kept.
 */
const scopeConflict = (values: Choice): boolean => values.allServices && values.serviceKeys.length > 0;

function fieldErrors(error: ServiceError): FieldErrors {
  const out: FieldErrors = {};
  for (const field of Object.keys(error.fields ?? {})) {
    const name = field.split('.')[0];
    if (name === 'email' || name === 'locale' || name === 'serviceKeys') out[name] = true;
  }
  return Object.keys(out).length ? out : { generic: true };
}



export async function handleSubscribe(page: Page, locale: Locale): Promise<SubscribeState> {
  privatePage(page);
  const empty: Choice = { email: '', locale, allServices: true, serviceKeys: [] };
  if (page.request.method !== 'POST') return { kind: 'form', values: empty, errors: {} };
  const form = await page.request.formData();
  const values = choiceFrom(form, locale);
  const ctx = page.locals.ctx;
  try {
    if (text(form, 'action') === 'resend') {
      await resendConfirmation(ctx, { email: values.email, ip: clientAddress(page) });
      return { kind: 'resent', email: values.email, locale: values.locale };
    }
    if (scopeConflict(values)) {
      page.response.status = 400;
      return { kind: 'form', values, errors: { scope: true } };
    }
    await subscribe(ctx, { ...values, ip: clientAddress(page) });
    return { kind: 'sent', email: values.email, locale: values.locale };
  } catch (error) {
    return refusedForm(page, error, values, fieldErrors);
  }
}

const invalid = (page: Page, status = 404): LinkState => {
  page.response.status = status;
  return { kind: 'invalid' };
};
const isBadLink = (error: unknown) => error instanceof ServiceError && error.code === 'validation_failed' && Boolean(error.fields?.token);

/** /subscribe/confirm/{token}: GET asks, POST confirms (a mail scanner's GET must not subscribe anyone). */
export async function handleConfirm(page: Page, token: string): Promise<LinkState> {
  privatePage(page);
  const ctx = page.locals.ctx;
  if (page.request.method !== 'POST') {
    const link = await checkConfirmLink(ctx, token);
    return link ? { kind: 'confirm-ask', email: link.email } : invalid(page);
  }
  try {
    const done = await confirm(ctx, token);
    return { kind: 'confirmed', view: done.subscription, manageUrl: localePath(done.subscription.locale, `/subscription/${done.manageToken}`) };
  } catch (error) {
    if (isBadLink(error)) return invalid(page, 400);
    throw error;
  }
}

/** /subscription/{token}: choices and language; POST saves (then shows the page in the chosen language) or leaves. */
export async function handleManage(page: Page, locale: Locale, token: string): Promise<LinkState | Response> {
  privatePage(page);
  const ctx = page.locals.ctx;
  try {
    if (page.request.method === 'POST') {
      const form = await page.request.formData();
      if (text(form, 'action') === 'unsubscribe') {
        await unsubscribe(ctx, token);
        return { kind: 'unsubscribed' };
      }
      const values = choiceFrom(form, locale);
      if (scopeConflict(values)) {
        const view = await getSubscription(ctx, token);
        page.response.status = 400;
        return { kind: 'manage', view, token, saved: false, errors: { scope: true }, values: { ...values, email: view.email } };
      }
      try {
        const saved = await updateSubscription(ctx, token, values);
        // Post/redirect/get, into the language just chosen.
        return page.redirect(`${localePath(saved.locale, `/subscription/${encodeURIComponent(token)}`)}?saved=1`, 303);
      } catch (error) {
        if (!(error instanceof ServiceError) || isBadLink(error)) throw error;
        const view = await getSubscription(ctx, token);
        page.response.status = error.code === 'validation_failed' ? 400 : 409;
        return { kind: 'manage', view, token, saved: false, errors: error.code === 'validation_failed' ? fieldErrors(error) : { generic: true }, values: { ...values, email: view.email } };
      }
    }
    const view = await getSubscription(ctx, token);
    return { kind: 'manage', view, token, saved: page.url.searchParams.get('saved') === '1', errors: {} };
  } catch (error) {
    if (isBadLink(error)) return invalid(page);
    throw error;
  }
}

/** /unsubscribe/{token}: where GET /u/{token} lands; asks, then POST unsubscribes. */
export async function handleUnsubscribe(page: Page, token: string): Promise<LinkState> {
  privatePage(page);
  const ctx = page.locals.ctx;
  try {
    if (page.request.method === 'POST') {
      await unsubscribe(ctx, token);
      return { kind: 'unsubscribed' };
    }
    const view = await getSubscription(ctx, token, ['unsubscribe', 'manage']);
    return view.state === 'unsubscribed' || view.state === 'suppressed' ? { kind: 'unsubscribed' } : { kind: 'unsubscribe-ask', view };
  } catch (error) {
    if (isBadLink(error)) return invalid(page);
    throw error;
  }
}
