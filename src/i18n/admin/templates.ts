/**
 * Starting points for declaring an incident under pressure: the operator picks one, the form is filled in,
 * and everything stays editable before publishing. Texts are written for readers (partners and their
 * clients), in Italian first with an English version.
 */
import type { IncidentImpact, IncidentStatus, LocalizedText, ServiceStatus } from '../../domain/vocab.ts';

export type IncidentTemplate = {
  key: string;
  label: LocalizedText;
  title: LocalizedText;
  impact: IncidentImpact;
  status: IncidentStatus;
  /** Service keys and the status to give them; keys missing from the catalogue are skipped. */
  services: Record<string, ServiceStatus>;
  body: LocalizedText;
  /** Minutes from now for the first "next update by" promise; null for none. */
  nextUpdateInMinutes: number | null;
};

export const INCIDENT_TEMPLATES: readonly IncidentTemplate[] = [
  {
    key: 'invio-fatture',
    label: { it: 'Disservizio invio fatture', en: 'Invoice sending disruption' },
    title: { it: 'Disservizio nell’invio delle fatture', en: 'Disruption in sending invoices' },
    impact: 'major',
    status: 'investigating',
    services: { sending: 'major_outage' },
    body: {
      it:
        'Stiamo riscontrando problemi nell’invio delle fatture al Sistema di Interscambio (SdI) e stiamo analizzando la causa.\n\n' +
        'Le fatture già caricate **restano in coda** e saranno inviate appena il servizio sarà ripristinato: **non caricatele di nuovo**.',
      en:
        'We are seeing problems sending invoices to the exchange system (SdI) and are investigating the cause.\n\n' +
        'Invoices already uploaded **stay queued** and will be sent as soon as the service is restored: **do not upload them again**.',
    },
    nextUpdateInMinutes: 60,
  },
  {
    key: 'manutenzione-straordinaria',
    label: { it: 'Manutenzione straordinaria', en: 'Emergency maintenance' },
    title: { it: 'Manutenzione straordinaria del portale', en: 'Emergency maintenance of the web portal' },
    impact: 'minor',
    status: 'identified',
    services: { web: 'under_maintenance' },
    body: {
      it:
        'È in corso un intervento di manutenzione non programmato sul portale web. Durante l’intervento l’accesso può essere lento o non disponibile.\n\n' +
        'Le fatture in arrivo dallo SdI continuano a essere ricevute e saranno visibili al termine dell’intervento.',
      en:
        'We are carrying out unscheduled maintenance on the web portal. While it lasts, access may be slow or unavailable.\n\n' +
        'Invoices arriving from SdI are still being received and will be visible once the work is finished.',
    },
    nextUpdateInMinutes: 30,
  },
  {
    key: 'vuoto',
    label: { it: 'Modulo vuoto', en: 'Blank form' },
    title: { it: '' },
    impact: 'minor',
    status: 'investigating',
    services: {},
    body: { it: '' },
    nextUpdateInMinutes: 60,
  },
];

export function findTemplate(key: string | null | undefined): IncidentTemplate {
  return INCIDENT_TEMPLATES.find((t) => t.key === key) ?? INCIDENT_TEMPLATES[INCIDENT_TEMPLATES.length - 1]!;
}
