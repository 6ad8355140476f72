/**
 * What delivery needs from the e-mail templates (src/mail, owned by the templates): render an alert's content
 * once, and compose one recipient's e-mail from it without touching the database or the clock. Delivery
 * depends on this shape only, so tests and the benchmark can run against any implementation of it.
 */
import type { Locale } from '../domain/vocab.ts';
import type { RecipientLinks } from '../mail/links.ts';
import type { Ctx } from '../services/context.ts';
import type { EventRow } from '../services/events.ts';

export type AlertSource = { event: EventRow } | { reminderFor: string };
export type AlertRecipient = { subscriberId: string; email: string; locale: Locale };
export type ComposedEmail = { to: string; subject: string; html: string; text: string; headers: Record<string, string> };

export type AlertMail = {
  /** JSON-serialisable content for every locale, or null when there is nothing to send (e.g. withdrawn). */
  render(ctx: Ctx, source: AlertSource): Promise<Record<string, unknown> | null>;
  /** Pure and deterministic: the same arguments give the same bytes (the idempotency key depends on it). */
  compose(content: Record<string, unknown>, recipient: AlertRecipient, links: RecipientLinks): ComposedEmail;
};
