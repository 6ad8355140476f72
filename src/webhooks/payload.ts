/**
 * The JSON a partner receives, version 1 (documented in the README, "Webhooks"). Built from the public event
 * row only (events exist only for published content), so no draft can leak. The same event and endpoint always
 * give the same bytes, so every retry carries an identical body under the same webhook-id.
 */
import { pickText } from '../domain/i18n.ts';
import { LOCALES, type Locale, type LocalizedText } from '../domain/vocab.ts';
import type { EventRow } from '../services/events.ts';

export const PAYLOAD_VERSION = 1;

export type WebhookPayload = {
  type: string;
  /** When it happened (the event's time), ISO 8601 UTC. */
  timestamp: string;
  version: typeof PAYLOAD_VERSION;
  data: {
    event_id: string;
    incident_id: string | null;
    maintenance_id: string | null;
    /** The update, milestone, notice, maintenance or service the event is about. */
    subject_id: string;
    services: string[];
    /** The endpoint's language and the texts in it (Italian when no translation was written). */
    locale: Locale;
    title: string;
    body: string | null;
    /** The public page about it, in the endpoint's language. */
    url: string;
    /** Every language: title, body and page. */
    texts: Record<Locale, { title: string; body: string | null; url: string }>;
    /** Whether subscribers are e-mailed about it (the `notify` of the API call; a maintenance window's own choice). */
    notify: boolean;
    /** Event-specific facts (statuses, impact, dates), snake_case. */
    details: Record<string, unknown>;
  };
};

export function buildPayload(event: EventRow, locale: Locale, siteUrl: string): WebhookPayload {
  const texts = Object.fromEntries(
    LOCALES.map((l) => [l, { title: text(event.title, l), body: event.body ? text(event.body, l) : null, url: publicUrl(event, l, siteUrl) }]),
  ) as WebhookPayload['data']['texts'];
  return {
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    version: PAYLOAD_VERSION,
    data: {
      event_id: event.id,
      incident_id: event.incidentId,
      maintenance_id: event.maintenanceId,
      subject_id: event.subjectId,
      services: event.serviceKeys,
      locale,
      title: texts[locale].title,
      body: texts[locale].body,
      url: texts[locale].url,
      texts,
      notify: event.notify,
      details: snakeKeys(event.data) as Record<string, unknown>,
    },
  };
}

const text = (value: LocalizedText, locale: Locale) => pickText(value, locale).text;

/** The page and anchor a reader would open, the same places the feeds link to. */
function publicUrl(event: EventRow, locale: Locale, siteUrl: string): string {
  const prefix = `${siteUrl}${locale === 'it' ? '' : `/${locale}`}`;
  const incident = event.incidentId ? `/incidents/${encodeURIComponent(event.incidentId)}` : null;
  const service = event.serviceKeys[0] ? `/services/${encodeURIComponent(event.serviceKeys[0])}` : null;
  const page = (path: string | null, anchor?: string) => `${prefix}${path ?? '/'}${anchor ? `#${anchor}` : ''}`;
  switch (event.type) {
    case 'incident.created':
    case 'incident.updated':
    case 'incident.resolved':
      return page(incident, incident ? `update-${event.subjectId}` : undefined);
    case 'incident.postmortem':
      return page(incident, incident ? 'postmortem' : undefined);
    case 'milestone.updated':
      return page(incident, incident ? `milestone-${event.subjectId}` : undefined);
    case 'notice.published':
      return page(incident, `notice-${event.subjectId}`);
    case 'maintenance.scheduled':
    case 'maintenance.started':
    case 'maintenance.completed':
      return page(service, `maintenance-${event.maintenanceId ?? event.subjectId}`);
    case 'service.status_changed':
      return page(service);
  }
}

/** The payload speaks the API's wire convention (snake_case) all the way down. */
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeKeys(v)]));
  }
  return value;
}
