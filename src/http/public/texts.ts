/**
 * Phrases of the machine-readable public surfaces (feeds, badges, widget frame, republishing). Status labels
 * come from the site dictionaries, so a feed says "Risolto" exactly where the page does.
 */
import type { EventType, IncidentStatus, Locale, MaintenanceStatus, MilestoneState, ServiceStatus } from '../../domain/vocab.ts';
import { SERVICE_STATUSES } from '../../domain/vocab.ts';
import { dict } from '../../i18n/index.ts';

type Phrases = {
  siteFeedTitle: (vendor: string) => string;
  siteFeedDescription: (vendor: string) => string;
  serviceFeedTitle: (vendor: string, service: string) => string;
  serviceFeedDescription: (service: string) => string;
  incidentFeedTitle: (vendor: string, incident: string) => string;
  incidentFeedDescription: (incident: string) => string;
  milestone: Record<MilestoneState, string>;
  milestoneIn: (incident: string) => string;
  expected: string;
  completedAt: string;
  notice: string;
  /** A notice published again once the restore it announced as expected is done. */
  noticeRestored: string;
  restoredUntil: string;
  /** A restore still expected: not "restored" until it is done. */
  restorePending: string;
  gapUntil: string;
  maintenance: Record<'scheduled' | 'rescheduled' | 'started' | 'completed' | 'cancelled', string>;
  previousWindow: string;
  window: string;
  serviceNow: (service: string, status: string) => string;
  affected: string;
  postmortem: string;
  notFoundService: (key: string) => string;
  notFoundIncident: (id: string) => string;
  notFoundUpdate: (id: string) => string;
  badgeLabel: string;
  badgeUnknown: string;
  widgetDetails: string;
  widgetOpenPage: string;
  widgetLatestUpdate: string;
  widgetUnavailable: string;
  widgetRegion: string;
  source: string;
  updateOf: string;
  republishStatus: string;
};

const it: Phrases = {
  siteFeedTitle: (vendor) => `${vendor} · Stato dei servizi`,
  siteFeedDescription: (vendor) => `Incidenti, aggiornamenti, piano di ripristino e manutenzioni dei servizi di ${vendor}.`,
  serviceFeedTitle: (vendor, service) => `${service} · ${vendor} · Stato del servizio`,
  serviceFeedDescription: (service) => `Incidenti, aggiornamenti e manutenzioni che riguardano ${service}.`,
  incidentFeedTitle: (vendor, incident) => `${incident} · ${vendor}`,
  incidentFeedDescription: (incident) => `Tutti gli aggiornamenti pubblicati su “${incident}”.`,
  milestone: {
    planned: 'Nuova tappa prevista',
    in_progress: 'Tappa avviata',
    done: 'Tappa completata',
    delayed: 'Tappa in ritardo',
    cancelled: 'Tappa annullata',
  },
  milestoneIn: (incident) => `Piano di ripristino di “${incident}”`,
  expected: 'Prevista',
  completedAt: 'Completata',
  notice: 'Avviso sui dati',
  noticeRestored: 'Dati ripristinati',
  restoredUntil: 'dati ripristinati fino al',
  restorePending: 'ripristino previsto, dati fino al',
  gapUntil: 'mancanti fino al',
  maintenance: { scheduled: 'Manutenzione programmata', rescheduled: 'Manutenzione spostata', started: 'Manutenzione in corso', completed: 'Manutenzione completata', cancelled: 'Manutenzione annullata' },
  window: 'Finestra',
  previousWindow: 'Finestra precedente',
  serviceNow: (service, status) => `${service}: ${status}`,
  affected: 'Servizi coinvolti',
  postmortem: 'Analisi post-incidente',
  notFoundService: (key) => `Nessun servizio con chiave "${key}".`,
  notFoundIncident: (id) => `Nessun incidente con id "${id}".`,
  notFoundUpdate: (id) => `Nessun aggiornamento con id "${id}" in questo incidente.`,
  badgeLabel: 'stato',
  badgeUnknown: 'servizio sconosciuto',
  widgetDetails: 'Dettagli',
  widgetOpenPage: 'Pagina di stato',
  widgetLatestUpdate: 'Ultimo aggiornamento',
  widgetUnavailable: 'Stato non disponibile',
  widgetRegion: 'Stato dei servizi',
  source: 'Fonte',
  updateOf: 'aggiornamento del',
  republishStatus: 'Stato',
};

const en: Phrases = {
  siteFeedTitle: (vendor) => `${vendor} · Service status`,
  siteFeedDescription: (vendor) => `Incidents, updates, recovery plan and maintenance for ${vendor}'s services.`,
  serviceFeedTitle: (vendor, service) => `${service} · ${vendor} · Service status`,
  serviceFeedDescription: (service) => `Incidents, updates and maintenance affecting ${service}.`,
  incidentFeedTitle: (vendor, incident) => `${incident} · ${vendor}`,
  incidentFeedDescription: (incident) => `Every update posted about “${incident}”.`,
  milestone: {
    planned: 'Milestone planned',
    in_progress: 'Milestone started',
    done: 'Milestone completed',
    delayed: 'Milestone delayed',
    cancelled: 'Milestone cancelled',
  },
  milestoneIn: (incident) => `Recovery plan of “${incident}”`,
  expected: 'Expected',
  completedAt: 'Completed',
  notice: 'Data notice',
  noticeRestored: 'Data restored',
  restoredUntil: 'data restored up to',
  restorePending: 'restore expected, data up to',
  gapUntil: 'missing until',
  maintenance: { scheduled: 'Scheduled maintenance', rescheduled: 'Maintenance rescheduled', started: 'Maintenance in progress', completed: 'Maintenance completed', cancelled: 'Maintenance cancelled' },
  window: 'Window',
  previousWindow: 'Previous window',
  serviceNow: (service, status) => `${service}: ${status}`,
  affected: 'Affected services',
  postmortem: 'Postmortem',
  notFoundService: (key) => `No service with key "${key}".`,
  notFoundIncident: (id) => `No incident with id "${id}".`,
  notFoundUpdate: (id) => `No update with id "${id}" in this incident.`,
  badgeLabel: 'status',
  badgeUnknown: 'unknown service',
  widgetDetails: 'Details',
  widgetOpenPage: 'Status page',
  widgetLatestUpdate: 'Latest update',
  widgetUnavailable: 'Status unavailable',
  widgetRegion: 'Service status',
  source: 'Source',
  updateOf: 'update of',
  republishStatus: 'Status',
};

const PHRASES: Record<Locale, Phrases> = { it, en };

export function phrases(locale: Locale): Phrases {
  return PHRASES[locale] ?? it;
}

export function incidentStatusLabel(status: IncidentStatus, locale: Locale): string {
  return dict(locale).incidentStatus[status];
}

export function maintenanceStatusLabel(status: MaintenanceStatus, locale: Locale): string {
  return dict(locale).maintenanceStatus[status];
}

export function serviceStatusLabel(status: ServiceStatus, locale: Locale): string {
  return dict(locale).serviceStatus[status];
}

export function isServiceStatus(value: unknown): value is ServiceStatus {
  return typeof value === 'string' && (SERVICE_STATUSES as readonly string[]).includes(value);
}

export type { EventType };
