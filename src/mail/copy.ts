/**
 * The words of every e-mail, per locale. Kept apart from the page dictionaries (src/i18n) because they are
 * written for a different medium: a subject line, a sentence that must stand alone in a plain-text client.
 * Status names are not repeated here: they come from the page dictionaries, so a mail and the page agree.
 */
import type { Locale } from '../domain/vocab.ts';

const it = {
  tagline: 'Stato dei servizi',
  kind: {
    'incident.created': 'Nuovo incidente',
    'incident.updated': 'Aggiornamento',
    'incident.resolved': 'Risolto',
    'incident.postmortem': 'Analisi post-incidente',
    'maintenance.scheduled': 'Manutenzione programmata',
    'maintenance.rescheduled': 'Manutenzione spostata',
    'maintenance.started': 'Manutenzione iniziata',
    'maintenance.completed': 'Manutenzione completata',
    'maintenance.cancelled': 'Manutenzione annullata',
    'maintenance.reminder': 'Promemoria manutenzione',
    'milestone.done': 'Tappa completata',
    'milestone.delayed': 'Tappa in ritardo',
    'milestone.updated': 'Piano di ripristino aggiornato',
    'notice.published': 'Avviso sui dati',
    'notice.restored': 'Dati ripristinati',
  },
  status: 'Stato',
  affectedServices: 'Servizi coinvolti',
  plan: 'Piano di ripristino',
  planProgress: (done: number, total: number) => `${done} di ${total} tappe completate`,
  nextMilestone: 'Prossima tappa',
  followUp: 'Ancora aperte, come lavori successivi alla risoluzione',
  expected: 'prevista',
  late: 'data prevista superata',
  delayReason: 'Motivo del ritardo',
  milestoneState: 'Stato della tappa',
  nextUpdate: 'Prossimo aggiornamento entro',
  window: 'Finestra',
  previousWindow: 'Finestra precedente',
  startsIn: 'Inizio',
  restoredUntil: 'Dati ripristinati fino al',
  restorePending: 'Ripristino previsto, dati fino al',
  gap: 'Periodo mancante',
  details: 'Dettagli e cronologia',
  statusPage: 'Pagina di stato',
  why: (vendor: string) => `Ricevete questa e-mail perché vi siete iscritti agli avvisi sullo stato dei servizi di ${vendor}.`,
  manage: 'Gestisci l’iscrizione (servizi, lingua)',
  unsubscribe: 'Annulla l’iscrizione',
  translationMissing: 'Testo disponibile solo in italiano.',
  confirm: {
    subject: (vendor: string) => `Confermate l’iscrizione agli avvisi di ${vendor}`,
    intro: (vendor: string) => `Qualcuno (probabilmente voi) ha chiesto di ricevere per e-mail gli avvisi sullo stato dei servizi di ${vendor}.`,
    action: 'Confermo l’iscrizione',
    expires: (when: string) => `Il link scade il ${when}. Finché non confermate non riceverete altre e-mail.`,
    ignore: 'Se non siete stati voi, ignorate questo messaggio: senza conferma non vi scriveremo più.',
  },
  already: {
    subject: (vendor: string) => `Siete già iscritti agli avvisi di ${vendor}`,
    intro: (vendor: string) => `È stata chiesta una nuova iscrizione per questo indirizzo, che riceve già gli avvisi di ${vendor}.`,
    action: 'Gestisci l’iscrizione',
    ignore: 'Non serve fare nulla. Dal link potete cambiare servizi e lingua o annullare l’iscrizione.',
  },
};

export type MailCopy = typeof it;

const en: MailCopy = {
  tagline: 'Service status',
  kind: {
    'incident.created': 'New incident',
    'incident.updated': 'Update',
    'incident.resolved': 'Resolved',
    'incident.postmortem': 'Postmortem',
    'maintenance.scheduled': 'Maintenance scheduled',
    'maintenance.rescheduled': 'Maintenance rescheduled',
    'maintenance.started': 'Maintenance started',
    'maintenance.completed': 'Maintenance completed',
    'maintenance.cancelled': 'Maintenance cancelled',
    'maintenance.reminder': 'Maintenance reminder',
    'milestone.done': 'Milestone reached',
    'milestone.delayed': 'Milestone delayed',
    'milestone.updated': 'Recovery plan updated',
    'notice.published': 'Data notice',
    'notice.restored': 'Data restored',
  },
  status: 'Status',
  affectedServices: 'Affected services',
  plan: 'Recovery plan',
  planProgress: (done: number, total: number) => `${done} of ${total} milestones done`,
  nextMilestone: 'Next milestone',
  followUp: 'Still open, as follow-up work after the resolution',
  expected: 'expected',
  late: 'past its expected date',
  delayReason: 'Reason for the delay',
  milestoneState: 'Milestone state',
  nextUpdate: 'Next update by',
  window: 'Window',
  previousWindow: 'Previous window',
  startsIn: 'Starts',
  restoredUntil: 'Data restored up to',
  restorePending: 'Restore expected, data up to',
  gap: 'Missing period',
  details: 'Details and timeline',
  statusPage: 'Status page',
  why: (vendor: string) => `You receive this e-mail because you subscribed to ${vendor} service status alerts.`,
  manage: 'Manage your subscription (services, language)',
  unsubscribe: 'Unsubscribe',
  translationMissing: 'This text is only available in Italian.',
  confirm: {
    subject: (vendor: string) => `Confirm your subscription to ${vendor} alerts`,
    intro: (vendor: string) => `Someone (probably you) asked to receive ${vendor} service status alerts by e-mail.`,
    action: 'Confirm my subscription',
    expires: (when: string) => `The link expires on ${when}. Until you confirm, you will receive no other e-mail.`,
    ignore: 'If this was not you, ignore this message: without confirmation we will not write again.',
  },
  already: {
    subject: (vendor: string) => `You are already subscribed to ${vendor} alerts`,
    intro: (vendor: string) => `A new subscription was requested for this address, which already receives ${vendor} alerts.`,
    action: 'Manage your subscription',
    ignore: 'Nothing to do. From the link you can change services and language, or unsubscribe.',
  },
};

const COPY: Record<Locale, MailCopy> = { it, en };

export function mailCopy(locale: Locale): MailCopy {
  return COPY[locale] ?? it;
}
