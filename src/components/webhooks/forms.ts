/**
 * The request side of the public webhook pages (register, confirm), shared by the Italian and English page
 * files. CSRF without a session: Astro's origin check refuses cross-site form POSTs, and confirming needs the
 * signed link from the owner's mailbox. A GET of the link only asks: a mail scanner must not confirm anything.
 */
import type { AstroGlobal } from 'astro';
import { isLocale } from '../../domain/i18n.ts';
import { clientAddress } from '../client-address.ts';
import { privatePage, refusedForm } from '../public-form.ts';
import type { Locale } from '../../domain/vocab.ts';
import { ServiceError } from '../../services/errors.ts';
import { confirmWebhook, registerWebhook } from '../../services/webhooks.ts';

export type Values = { url: string; events: string[]; ownerEmail: string; locale: Locale };
/** Field → which message of `webhooks.errors` to show. */
export type FieldErrors = Partial<Record<'url' | 'events' | 'ownerEmail' | 'locale', 'urlHttps' | 'urlCredentials' | 'urlPrivate' | 'urlResolve' | 'url' | 'events' | 'ownerEmail' | 'locale'>>;

export type RegisterState =
  | { kind: 'form'; values: Values; errors: FieldErrors; retryMinutes?: number }
  | { kind: 'sent'; email: string };

export type ConfirmState =
  | { kind: 'ask'; id: string; n: string; sig: string }
  | { kind: 'confirmed'; url: string; secret: string }
  | { kind: 'invalid' };

const text = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === 'string' ? v : '';
};



/** The service names the wrong fields in English; the page shows its own words, picked by the reason. */
function fieldErrors(error: ServiceError): FieldErrors {
  const out: FieldErrors = {};
  for (const [field, message] of Object.entries(error.fields ?? {})) {
    const name = field.split('.')[0];
    if (name === 'url') {
      out.url = /https/.test(message)
        ? 'urlHttps'
        : /user name/.test(message)
          ? 'urlCredentials'
          : /does not resolve/.test(message)
            ? 'urlResolve'
            : /private|loopback|reserved/.test(message)
              ? 'urlPrivate'
              : 'url';
    } else if (name === 'events' || name === 'ownerEmail' || name === 'locale') {
      out[name] = name;
    }
  }
  return out;
}

export async function handleRegister(page: AstroGlobal, locale: Locale): Promise<RegisterState> {
  privatePage(page);
  const empty: Values = { url: '', events: [], ownerEmail: '', locale };
  if (page.request.method !== 'POST') return { kind: 'form', values: empty, errors: {} };
  const form = await page.request.formData();
  const chosen = text(form, 'locale');
  const values: Values = {
    url: text(form, 'url').trim(),
    events: form.getAll('events').filter((v): v is string => typeof v === 'string'),
    ownerEmail: text(form, 'ownerEmail').trim(),
    locale: isLocale(chosen) ? chosen : locale,
  };
  try {
    await registerWebhook(page.locals.ctx, { ...values, clientIp: clientAddress(page) });
    return { kind: 'sent', email: values.ownerEmail };
  } catch (error) {
    return refusedForm(page, error, values, fieldErrors);
  }
}

export async function handleConfirm(page: AstroGlobal): Promise<ConfirmState> {
  privatePage(page);
  const q = page.url.searchParams;
  const link = { id: q.get('id') ?? '', n: q.get('n') ?? '', sig: q.get('sig') ?? '' };
  if (page.request.method !== 'POST') {
    if (!link.id || !link.n || !link.sig) {
      page.response.status = 404;
      return { kind: 'invalid' };
    }
    return { kind: 'ask', ...link };
  }
  const form = await page.request.formData();
  try {
    const done = await confirmWebhook(page.locals.ctx, { id: text(form, 'id'), nonce: text(form, 'n'), sig: text(form, 'sig') });
    return { kind: 'confirmed', url: done.endpoint.url, secret: done.secret };
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'forbidden') {
      page.response.status = 400;
      return { kind: 'invalid' };
    }
    throw error;
  }
}
