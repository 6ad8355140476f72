/**
 * What the public forms (e-mail subscriptions, partner webhooks) share: pages that carry personal tokens are
 * neither cached nor indexed, and a refused submission comes back as the form again, with the reason.
 */
import type { AstroGlobal } from 'astro';
import { ServiceError } from '../services/errors.ts';
import { RateLimited } from '../services/form-limits.ts';

export function privatePage(page: AstroGlobal) {
  page.response.headers.set('Cache-Control', 'no-store');
  page.response.headers.set('X-Robots-Tag', 'noindex');
}

/**
 * A rate limit (429 with Retry-After) or a validation failure (400, errors per field) as the form's state;
 * anything else is not the submitter's doing and is thrown on.
 */
export function refusedForm<V, E extends object>(
  page: AstroGlobal,
  error: unknown,
  values: V,
  fieldErrors: (error: ServiceError) => E,
): { kind: 'form'; values: V; errors: E | Record<string, never>; retryMinutes?: number } {
  if (error instanceof RateLimited) {
    page.response.status = 429;
    page.response.headers.set('Retry-After', String(error.retryAfterSeconds));
    return { kind: 'form', values, errors: {}, retryMinutes: Math.ceil(error.retryAfterSeconds / 60) };
  }
  if (error instanceof ServiceError && error.code === 'validation_failed') {
    page.response.status = 400;
    return { kind: 'form', values, errors: fieldErrors(error) };
  }
  throw error;
}
