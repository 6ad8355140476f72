/**
 * The demo story, as data: the reference scenario (an Italian e-invoicing platform whose hosting
 * provider's data centre went down) told in our own words, Italian first with English alongside.
 *
 * Nothing here touches the database or the clock. Times are "day N at HH:MM, Europe/Rome" (`at(N, 'HH:MM')`):
 * the loader (`scenario.ts`) anchors the days so that the configured day (19 by default) is today,
 * plays the story in time order through the service layer, and leaves out whatever would lie after now.
 *
 * Texts are Markdown and may carry tokens the loader fills in per language:
 * - `{{d:9}}`  the calendar date of day 9 ("9 marzo" / "9 March");
 * - `{{il:9}}`, `{{al:9}}`, `{{del:9}}`, `{{dal:9}}`, `{{Dal:9}}` (Italian only) the date with its article,
 *   elided where Italian wants it ("dell’8 marzo", "all’11 marzo", "il 1º marzo");
 * - `{{wd:14}}` the same with the weekday ("domenica 14 marzo" / "Sunday 14 March");
 * - `{{until:key}}` the end date of temporary service `key`, written as the pages write it (Time.astro's `end`:
 *   "19 marzo 2026, 24:00 CET"), so a text and the page never give one closing time two ways;
 * - `{{faq:slug}}` the absolute link to a question of the main incident's FAQ (partners republish
 *   these texts elsewhere, so links must work outside this site).
 * Times inside texts are wall-clock times in Rome; the story avoids stating times for the anchor day,
 * which the loader may compress when the demo is loaded early in the morning.
 */
import type {
  IncidentImpact,
  IncidentStatus,
  MilestoneState,
  ServiceStatus,
} from '../domain/vocab.ts';

/** Every demo text is written in both languages. */
export type Text = { it: string; en: string };

/** A wall-clock time in the page's zone on scenario day `day` (day 10 is the day the platform stopped). */
export type At = { day: number; time: string };
export const at = (day: number, time = '00:00'): At => ({ day, time });

export type ServiceKey = 'web' | 'sending' | 'receiving' | 'receipt-matching' | 'support' | 'phone' | 'emergency-channel';
export type StatusChanges = Partial<Record<ServiceKey, ServiceStatus>>;

export type ServiceDef = {
  key: ServiceKey;
  name: Text;
  description: Text;
  group: Text;
  sortOrder: number;
  /** A temporary service: opened (created) at `from`, gone from the page at `until`. */
  temporary?: { from: At; until: At };
};

export type UpdateDef = {
  at: At;
  status: IncidentStatus;
  body: Text;
  /** New status of each affected service, applied at `at`. */
  services?: StatusChanges;
  impact?: IncidentImpact;
  /** The promise made with this update. The loader replaces the promise of the latest update with one a few hours after now. */
  nextBy?: At;
};

export type IncidentDef = {
  key: string;
  title: Text;
  impact: IncidentImpact;
  /** The first update opens the incident: its time is the incident's start. */
  updates: [UpdateDef, ...UpdateDef[]];
  postmortem?: { at: At; body: Text };
};

export type MilestoneChange = { at: At; state: MilestoneState; expected?: At; reason?: Text };

export type MilestoneDef = {
  key: string;
  incident: string;
  title: Text;
  description?: Text;
  service?: ServiceKey;
  /** When the milestone was put in the plan, with the expected date given then. */
  listedAt: At;
  expected?: At;
  changes: MilestoneChange[];
};

export type NoticeDef = {
  incident: string;
  at: At;
  title: Text;
  body: Text;
  audience: Text;
  action: Text;
  services: ServiceKey[];
  /** `pending`: a restore still expected (the page does not call it restored yet). */
  windows: { scope: Text; restoredUntil: At; gapEndsAt?: At; pending?: boolean }[];
};

export type FaqDef = { incident: string; at: At; slug: string; question: Text; answer: Text };

/** `oldest`: when the oldest queued item arrived, or its age in minutes. */
export type Sample = { at: At; count: number; oldest: At | { minutes: number } };
export type BacklogDef = { service: ServiceKey; metric: string; label: Text; samples: Sample[] };

export type MaintenanceDef = {
  title: Text;
  body: Text;
  services: ServiceKey[];
  start: At;
  end: At;
  /** Past windows also mark their services "under maintenance" in the status history. */
  marksStatus: boolean;
};

export type Story = {
  /** How far back the status history reaches, in days before today. */
  historyDays: number;
  services: ServiceDef[];
  incidents: IncidentDef[];
  milestones: MilestoneDef[];
  notices: NoticeDef[];
  faq: FaqDef[];
  backlog: BacklogDef[];
  maintenances: MaintenanceDef[];
};

/* ------------------------------------------------------------------------------------------------ */
/* Key facts of the scenario                                                                         */
/* ------------------------------------------------------------------------------------------------ */

/** Last complete backup for some client areas. */
export const BACKUP_SOME = at(8, '21:30');
/** Last backup for most client areas. */
export const BACKUP_MOST = at(9, '21:30');
/** The exchange flows stop and the data centre goes down ("day 10 at 24.50" in the vendor's notice). */
export const STOP = at(10, '00:50');
/** General reopening. */
export const REOPENING = at(15, '08:00');
/**
 * The emergency channel's last moment: the end of day 19. The service's end date, its milestone's expected date
 * and the updates' `{{until:emergency-channel}}` all use it, so the pages write one closing time one way.
 */
export const EMERGENCY_CLOSES = at(20, '00:00');

export const MAIN_INCIDENT = 'outage';
export const CREDENTIALS_INCIDENT = 'credentials';

const FATTURAZIONE: Text = { it: 'Fatturazione elettronica', en: 'E-invoicing' };
const ASSISTENZA: Text = { it: 'Assistenza', en: 'Support' };

/* ------------------------------------------------------------------------------------------------ */
/* Services                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

const services: ServiceDef[] = [
  {
    key: 'web',
    sortOrder: 10,
    group: FATTURAZIONE,
    name: { it: 'Portale web', en: 'Web portal' },
    description: {
      it: 'L’applicazione in cui i clienti accedono, creano, consultano e archiviano le fatture.',
      en: 'The application where clients sign in, create, read and archive their invoices.',
    },
  },
  {
    key: 'sending',
    sortOrder: 20,
    group: FATTURAZIONE,
    name: { it: 'Invio fatture', en: 'Invoice sending' },
    description: {
      it: 'Trasmissione al Sistema di Interscambio (SdI) delle fatture caricate nel portale.',
      en: 'Delivery of the invoices uploaded to the portal to the Exchange System (SdI).',
    },
  },
  {
    key: 'receiving',
    sortOrder: 30,
    group: FATTURAZIONE,
    name: { it: 'Ricezione fatture e ordini', en: 'Invoice and order receiving' },
    description: {
      it: 'Raccolta da SdI delle fatture passive e degli ordini elettronici NSO sul nostro canale.',
      en: 'Collection of passive invoices and NSO electronic purchase orders from SdI over our channel.',
    },
  },
  {
    key: 'receipt-matching',
    sortOrder: 40,
    group: FATTURAZIONE,
    name: { it: 'Abbinamento ricevute', en: 'Receipt matching' },
    description: {
      it: 'Abbinamento delle ricevute di SdI (consegna, scarto, mancata consegna) alle fatture a cui si riferiscono.',
      en: 'Matching SdI receipts (delivery, rejection, failed delivery) to the invoices they concern.',
    },
  },
  {
    key: 'emergency-channel',
    sortOrder: 50,
    group: FATTURAZIONE,
    name: { it: 'Canale di invio di emergenza', en: 'Emergency sending channel' },
    description: {
      it: 'Canale temporaneo, su infrastruttura separata, per inviare a SdI le fatture urgenti durante l’interruzione.',
      en: 'A temporary channel, on separate infrastructure, to send urgent invoices to SdI during the outage.',
    },
    temporary: { from: at(11, '10:00'), until: EMERGENCY_CLOSES },
  },
  {
    key: 'support',
    sortOrder: 60,
    group: ASSISTENZA,
    name: { it: 'Assistenza (ticket)', en: 'Support desk (tickets)' },
    description: {
      it: 'Apertura e gestione delle richieste di assistenza.',
      en: 'Opening and handling of support requests.',
    },
  },
  {
    key: 'phone',
    sortOrder: 70,
    group: ASSISTENZA,
    name: { it: 'Linea telefonica partner', en: 'Partner phone line' },
    description: {
      it: 'La linea telefonica riservata ai partner (commercialisti, cooperative, rivenditori).',
      en: 'The phone line reserved to partners (accountants, cooperatives, resellers).',
    },
  },
];

/* ------------------------------------------------------------------------------------------------ */
/* Earlier, ordinary incidents (so the bars and the history are not flat)                            */
/* ------------------------------------------------------------------------------------------------ */

const receivingDelays: IncidentDef = {
  key: 'receiving-delays',
  impact: 'minor',
  title: {
    it: 'Ritardi nella ricezione delle fatture passive',
    en: 'Delays in receiving passive invoices',
  },
  updates: [
    {
      at: at(-47, '09:40'),
      status: 'investigating',
      services: { receiving: 'degraded_performance' },
      body: {
        it: 'Da questa mattina le fatture passive arrivano nel portale con ritardi fino a due ore. Le fatture non vanno perse: arrivano tutte, più tardi del solito. Stiamo verificando la causa.',
        en: 'Since this morning passive invoices reach the portal up to two hours late. No invoice is lost: they all arrive, later than usual. We are looking into the cause.',
      },
      nextBy: at(-47, '11:00'),
    },
    {
      at: at(-47, '10:25'),
      status: 'identified',
      body: {
        it: 'Causa individuata: un processo di importazione si era fermato dopo un picco di fatture in arrivo. L’abbiamo riavviato e la coda sta scendendo; stimiamo di smaltirla entro l’ora di pranzo.',
        en: 'Cause found: an import process had stalled after a spike of incoming invoices. We restarted it and the queue is going down; we expect to clear it by lunchtime.',
      },
      nextBy: at(-47, '13:00'),
    },
    {
      at: at(-47, '12:50'),
      status: 'resolved',
      services: { receiving: 'operational' },
      body: {
        it: 'Coda smaltita alle 12:40: le fatture passive arrivano di nuovo in pochi minuti. Abbiamo aggiunto un controllo che ci avvisa se l’importazione si ferma.',
        en: 'Queue cleared at 12:40: passive invoices arrive within minutes again. We added a check that alerts us if the import stalls.',
      },
    },
  ],
};

const loginErrors: IncidentDef = {
  key: 'login-errors',
  impact: 'major',
  title: { it: 'Errori di accesso al portale', en: 'Errors signing in to the portal' },
  updates: [
    {
      at: at(-18, '14:05'),
      status: 'investigating',
      services: { web: 'partial_outage' },
      body: {
        it: 'Una parte degli utenti riceve un errore al momento dell’accesso al portale. Chi è già collegato continua a lavorare normalmente. Stiamo verificando.',
        en: 'Some users get an error when signing in to the portal. Users already signed in keep working normally. We are investigating.',
      },
      nextBy: at(-18, '15:00'),
    },
    {
      at: at(-18, '14:35'),
      status: 'identified',
      body: {
        it: 'L’errore è dovuto all’aggiornamento del sistema di autenticazione installato alle 13:50. Lo stiamo riportando alla versione precedente.',
        en: 'The error comes from the update to the sign-in system installed at 13:50. We are rolling it back.',
      },
      nextBy: at(-18, '15:30'),
    },
    {
      at: at(-18, '15:20'),
      status: 'resolved',
      services: { web: 'operational' },
      body: {
        it: 'Versione precedente ripristinata alle 15:10: l’accesso funziona per tutti. Se vedete ancora l’errore, ricaricate la pagina di accesso.',
        en: 'Previous version restored at 15:10: signing in works for everyone. If you still see the error, reload the sign-in page.',
      },
    },
  ],
  postmortem: {
    at: at(-16, '10:00'),
    body: {
      it: `**Cosa è successo.** Dalle 14:02 alle 15:10 circa un accesso su tre non è riuscito, per chi non aveva già una sessione aperta.

**Perché.** L’aggiornamento del sistema di autenticazione gestiva in modo errato le sessioni create prima dell’aggiornamento su uno dei server; il problema non si presentava nell’ambiente di prova, dove tutti i server erano aggiornati insieme.

**Cosa cambiamo.** Gli aggiornamenti dell’autenticazione si installano ora un server alla volta, con un controllo automatico degli accessi riusciti prima di procedere; il ritorno alla versione precedente è un’operazione unica e provata.`,
      en: `**What happened.** From 14:02 to 15:10 about one sign-in in three failed, for users without an open session.

**Why.** The update to the sign-in system mishandled sessions created before the update on one of the servers; the test environment did not show it because all its servers were updated at once.

**What we change.** Sign-in updates are now installed one server at a time, with an automatic check of successful sign-ins before going on; rolling back is a single, rehearsed step.`,
    },
  },
};

/* ------------------------------------------------------------------------------------------------ */
/* The outage                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

const outage: IncidentDef = {
  key: MAIN_INCIDENT,
  impact: 'critical',
  title: {
    it: 'Data center fuori servizio: interruzione dei servizi e piano di ripristino',
    en: 'Data centre failure: service interruption and recovery plan',
  },
  updates: [
    {
      at: STOP,
      status: 'investigating',
      services: {
        web: 'major_outage',
        sending: 'major_outage',
        receiving: 'major_outage',
        'receipt-matching': 'major_outage',
        support: 'major_outage',
        phone: 'major_outage',
      },
      body: {
        it: `Dalle 00:50 il portale non risponde e i flussi con il Sistema di Interscambio (SdI) sono fermi: in questo momento non si possono né inviare né ricevere fatture. Stiamo verificando con il fornitore che ospita la piattaforma.

Anche il sistema dei ticket e la linea telefonica partner non sono raggiungibili: seguite questa pagina, che aggiorneremo per tutta la durata del problema.`,
        en: `Since 00:50 the portal does not respond and the flows with the Exchange System (SdI) have stopped: right now invoices can be neither sent nor received. We are checking with the provider that hosts the platform.

The ticket system and the partner phone line are unreachable too: please follow this page, which we will keep updated for as long as the problem lasts.`,
      },
      nextBy: at(10, '08:00'),
    },
    {
      at: at(10, '07:45'),
      status: 'identified',
      body: {
        it: `**Causa individuata.** Il data center del nostro fornitore di hosting in cui si trova la piattaforma è fuori servizio dalle 00:50. Il fornitore ha spento i sistemi di archiviazione (storage) e per ora non indica quando potranno essere riaccesi.

Cosa vale da subito:

- le fatture **consegnate da SdI prima dello stop sono valide**: le trovate anche nell’area *Fatture e Corrispettivi* del sito dell’Agenzia delle Entrate;
- le fatture passive che SdI non riesce a consegnarci restano consultabili e scaricabili in *Fatture e Corrispettivi*;
- non serve aprire ticket o richiamare: l’assistenza è ferma per lo stesso guasto e ogni novità sarà pubblicata qui.`,
        en: `**Cause identified.** The data centre of our hosting provider where the platform runs has been down since 00:50. The provider has switched off the storage systems and cannot yet say when they will be powered on again.

What holds right now:

- invoices **delivered by SdI before the stop are valid**: you also find them in the *Fatture e Corrispettivi* area of the Revenue Agency (Agenzia delle Entrate) website;
- passive invoices that SdI cannot deliver to us can still be read and downloaded in *Fatture e Corrispettivi*;
- there is no need to open tickets or call again: support is down because of the same failure, and every piece of news will be posted here.`,
      },
      nextBy: at(10, '13:00'),
    },
    {
      at: at(10, '18:30'),
      status: 'identified',
      body: {
        it: `Il fornitore conferma che lo storage del data center resterà spento per alcuni giorni. Per non dipendere dai suoi tempi **ricostruiamo la piattaforma su macchine nuove, a partire dai backup**. È un lavoro di alcuni giorni: pubblicheremo qui il piano, passo per passo, con le date previste.

Stiamo anche preparando un **canale di emergenza** per inviare le fatture urgenti, su un’infrastruttura separata: le istruzioni arriveranno domani ai partner.

Se dovete emettere subito una fattura potete usare anche i servizi gratuiti dell’Agenzia delle Entrate. In ogni caso **annotate cosa inviate e da dove**, per non trasmettere due volte la stessa fattura quando il servizio ripartirà.`,
        en: `The provider confirms that the data centre's storage will stay off for several days. So as not to depend on its timing, **we are rebuilding the platform on new machines from the backups**. It will take a few days: we will publish the plan here, step by step, with expected dates.

We are also preparing an **emergency channel** to send urgent invoices, on separate infrastructure: partners will get the instructions tomorrow.

If you must issue an invoice right away you can also use the Revenue Agency's free services. Either way, **keep a note of what you send and from where**, so that no invoice is sent twice when the service is back.`,
      },
      nextBy: at(11, '12:00'),
    },
    {
      at: at(11, '10:00'),
      status: 'identified',
      body: {
        it: `**Canale di emergenza attivo.** Da questa mattina i partner possono inviare a SdI le fatture urgenti dei propri clienti con il canale di emergenza: indirizzo e istruzioni sono nell’e-mail inviata ai partner. Le ricevute di SdI (consegna o scarto) si leggono nel canale stesso.

Le fatture inviate dal canale **sono trasmesse a SdI a tutti gli effetti**: non inviatele di nuovo più tardi dal portale. Dopo il ripristino le caricheremo noi nel portale.

Ricostruzione: le macchine nuove sono pronte, è iniziato il ripristino dei database dai backup.`,
        en: `**Emergency channel open.** Since this morning partners can send their clients' urgent invoices to SdI through the emergency channel: the address and instructions are in the e-mail sent to partners. SdI receipts (delivery or rejection) can be read in the channel itself.

Invoices sent through the channel **are transmitted to SdI in every respect**: do not send them again from the portal later. After the recovery we will load them into the portal ourselves.

Rebuild: the new machines are ready, and restoring the databases from the backups has started.`,
      },
      nextBy: at(11, '20:00'),
    },
    {
      at: at(12, '18:00'),
      status: 'identified',
      body: {
        it: `Il ripristino dei database procede e possiamo dire fin dove arrivano i dati ripristinati:

- per **la maggior parte delle aree clienti** i dati sono completi fino alle **21:30 {{del:9}}**;
- per **alcune aree** fino alle **21:30 {{del:8}}**.

Quanto caricato dopo quell’ora e fino allo stop non sarà nei dati ripristinati. Abbiamo pubblicato un avviso dedicato, con chi è coinvolto e cosa fare: la risposta dipende da dove vedete oggi ogni fattura ([le domande frequenti]({{faq:fatture-non-presenti-ne-portale-ne-agenzia}}) coprono ogni caso).`,
        en: `Restoring the databases is progressing and we can now say how far the restored data goes:

- for **most client areas** data is complete up to **21:30 on {{d:9}}**;
- for **some areas** up to **21:30 on {{d:8}}**.

Anything uploaded after that time and before the stop will not be in the restored data. We have published a dedicated notice saying who is concerned and what to do: the answer depends on where you can see each invoice today ([the FAQ]({{faq:fatture-non-presenti-ne-portale-ne-agenzia}}) covers every case).`,
      },
      nextBy: at(13, '19:00'),
    },
    {
      at: at(13, '19:00'),
      status: 'identified',
      body: {
        it: `Ricostruzione: database ripristinati per quasi tutte le aree; sono in corso le verifiche di coerenza e la configurazione dei collegamenti con SdI e con il Nodo di Smistamento degli Ordini (NSO).

Per **alcune aree il ripristino dal backup non è riuscito**. Quei clienti troveranno alla riapertura un’area nuova, vuota ma pienamente funzionante per invio e ricezione; il loro storico sarà caricato in un secondo momento (vedi il piano di ripristino).

Canale di emergenza: finora oltre 18.000 fatture consegnate a SdI.`,
        en: `Rebuild: databases restored for almost every area; consistency checks are running, and the links with SdI and with the Order Routing Node (NSO) are being configured.

For **some areas the restore from backup failed**. Those clients will find, at reopening, a new area, empty but fully working for sending and receiving; their history will be loaded later (see the recovery plan).

Emergency channel: over 18,000 invoices delivered to SdI so far.`,
      },
      nextBy: at(14, '21:00'),
    },
    {
      at: at(14, '21:00'),
      status: 'identified',
      services: { web: 'partial_outage' },
      body: {
        it: `**Infrastruttura ricostruita.** Il piano di ripristino dell’infrastruttura è completato. Da stasera il portale è di nuovo raggiungibile **in via non ufficiale**, per verificarlo insieme a un gruppo di partner prima della riapertura a tutti.

Potete accedere e controllare i vostri dati, ma **non caricate ancora fatture da inviare**: invio e ricezione riaprono domattina. Se qualcosa non torna, prendete nota: dalla riapertura potrete segnalarlo con un ticket.`,
        en: `**Infrastructure rebuilt.** The infrastructure recovery plan is complete. From tonight the portal is reachable again **unofficially**, so we can verify it with a group of partners before reopening it to everyone.

You can sign in and check your data, but **do not upload invoices to send yet**: sending and receiving reopen tomorrow morning. If something looks wrong, make a note: from the reopening you can report it in a ticket.`,
      },
      nextBy: at(15, '08:00'),
    },
    {
      at: REOPENING,
      status: 'identified',
      impact: 'major',
      services: {
        web: 'degraded_performance',
        sending: 'partial_outage',
        receiving: 'partial_outage',
        support: 'partial_outage',
        phone: 'partial_outage',
      },
      body: {
        it: `**Riapertura generale.** Portale, invio e ricezione sono di nuovo attivi per tutti.

- **Invio**: le fatture caricate vengono trasmesse a SdI; con i volumi di queste ore la consegna può richiedere qualche ora.
- **Ricezione**: importiamo le fatture passive e gli ordini NSO fermi dalla notte {{del:10}}; i numeri dell’arretrato sono su questa pagina e scendono durante la giornata.
- **Abbinamento ricevute**: ancora sospeso. Le ricevute di SdI sono conservate e saranno abbinate più avanti: una fattura appena inviata che resta «in elaborazione SdI» non indica un errore.
- **Aree vuote**: è la soluzione prevista dove il ripristino non è riuscito; l’area funziona, lo storico arriverà dopo ([cosa fare]({{faq:area-vuota}})).
- **Assistenza**: i ticket sono di nuovo aperti, con tempi di risposta lunghi; la linea partner risponde con orario ridotto, dalle 9 alle 13.

Prima di reinviare fatture {{del:9}}, leggete le domande frequenti qui sotto: la risposta dipende da dove vedete oggi la fattura.`,
        en: `**General reopening.** The portal, sending and receiving are working again for everyone.

- **Sending**: uploaded invoices are transmitted to SdI; with today's volumes delivery may take a few hours.
- **Receiving**: we are importing the passive invoices and NSO orders held up since the night of {{d:10}}; the backlog figures are on this page and go down during the day.
- **Receipt matching**: still paused. SdI receipts are kept and will be matched later: a freshly sent invoice that stays "being processed by SdI" is not a sign of an error.
- **Empty areas**: this is the planned fallback where the restore failed; the area works, the history comes later ([what to do]({{faq:area-vuota}})).
- **Support**: tickets are open again, with long response times; the partner line answers with reduced hours, 9:00 to 13:00.

Before sending invoices of {{d:9}} again, read the FAQ below: the answer depends on where you can see the invoice today.`,
      },
      nextBy: at(15, '19:00'),
    },
    {
      at: at(15, '19:00'),
      status: 'identified',
      body: {
        it: `Prima giornata dopo la riapertura: trasmesse a SdI oltre 41.000 fatture, importate circa 36.000 fatture passive dell’arretrato.

Molti ticket riguardano l’accesso per gli utenti con indirizzo e-mail presso due provider di posta gratuiti: lo seguiamo in un incidente separato, con le indicazioni per chi è coinvolto.`,
        en: `First day after the reopening: over 41,000 invoices transmitted to SdI, about 36,000 passive invoices of the backlog imported.

Many tickets are about signing in for users whose e-mail address is at two consumer mail providers: we are following it in a separate incident, with instructions for those concerned.`,
      },
      nextBy: at(16, '19:00'),
    },
    {
      at: at(16, '19:00'),
      status: 'identified',
      services: { sending: 'degraded_performance' },
      body: {
        it: `**Invio**: la coda accumulata alla riapertura è smaltita; le fatture caricate oggi sono state consegnate a SdI di norma entro un’ora.

**Ricezione**: arretrato di fatture passive sceso a circa 70.000, ordini NSO a circa 2.900.

**Dati storici delle aree vuote**: il fornitore di hosting non ha ancora riacceso lo storage e ora indica che non lo farà prima di {{wd:22}}; abbiamo aggiornato la data nel piano. Resta disponibile, come alternativa, la seconda copia che conserviamo in un’altra regione.`,
        en: `**Sending**: the queue built up at reopening is cleared; invoices uploaded today were delivered to SdI, as a rule, within an hour.

**Receiving**: the passive invoice backlog is down to about 70,000, NSO orders to about 2,900.

**History of the empty areas**: the hosting provider has not powered the storage on yet and now says it will not before {{wd:22}}; we have updated the date in the plan. As a fallback, the second copy we keep in another region remains available.`,
      },
      nextBy: at(17, '19:00'),
    },
    {
      at: at(17, '19:00'),
      status: 'identified',
      services: { receiving: 'degraded_performance' },
      body: {
        it: `**Accesso**: risolto il problema delle e-mail con le credenziali per gli utenti dei due provider di posta (dettagli nell’incidente dedicato).

**Ricezione**: arretrato ridotto a circa 24.000 fatture passive e meno di 1.000 ordini NSO; le fatture più vecchie ancora in coda sono {{del:14}}.

**Abbinamento ricevute**: partirà quando l’arretrato di ricezione sarà chiuso, per non rallentarne l’importazione.`,
        en: `**Sign-in**: the problem with credential e-mails for users at the two mail providers is fixed (details in the dedicated incident).

**Receiving**: backlog down to about 24,000 passive invoices and fewer than 1,000 NSO orders; the oldest invoices still queued are from {{d:14}}.

**Receipt matching**: it will start once the receiving backlog is closed, so as not to slow down the import.`,
      },
      nextBy: at(18, '19:00'),
    },
    {
      at: at(18, '19:00'),
      status: 'identified',
      body: {
        it: `**Ricezione**: restano circa 2.700 fatture passive e poco più di 100 ordini NSO, che chiuderemo nella notte.

**Abbinamento ricevute**: domattina parte l’elaborazione dell’intero arretrato, circa 175.000 ricevute.

**Canale di emergenza**: attivo fino al {{until:emergency-channel}}. {{Dal:20}} inviate solo dal portale.`,
        en: `**Receiving**: about 2,700 passive invoices and just over 100 NSO orders are left; we will close them overnight.

**Receipt matching**: processing of the whole backlog, about 175,000 receipts, starts tomorrow morning.

**Emergency channel**: available until {{until:emergency-channel}}. From {{d:20}} send from the portal only.`,
      },
      nextBy: at(19, '09:00'),
    },
    {
      at: at(19, '08:00'),
      status: 'monitoring',
      services: { sending: 'operational', 'receipt-matching': 'partial_outage' },
      body: {
        it: `**Invio tornato normale**: ogni fattura caricata viene consegnata a SdI.

**Ricezione**: l’arretrato di fatture passive e ordini NSO fermo dalla notte {{del:10}} è stato smaltito. Le nuove fatture passive arrivano ora **entro 3 ore al massimo**; continuiamo a lavorare per riportare il ritardo ai pochi minuti abituali.

**Abbinamento ricevute**: l’elaborazione dell’arretrato è partita; il ritorno alla normalità è previsto entro la sera di {{wd:20}}. Finché la ricevuta non è abbinata, una fattura può restare «in elaborazione SdI» anche se SdI l’ha già consegnata: l’esito si legge su *Fatture e Corrispettivi*.`,
        en: `**Sending back to normal**: every invoice uploaded is delivered to SdI.

**Receiving**: the backlog of passive invoices and NSO orders held up since the night of {{d:10}} has been processed. New passive invoices now arrive **within 3 hours at most**; we keep working to bring the delay back to the usual few minutes.

**Receipt matching**: processing of the backlog has started; it is expected back to normal by the evening of {{wd:20}}. Until its receipt is matched, an invoice may stay "being processed by SdI" even though SdI has already delivered it: the outcome can be read in *Fatture e Corrispettivi*.`,
      },
      nextBy: at(19, '13:00'),
    },
    {
      at: at(19, '12:30'),
      status: 'monitoring',
      body: {
        it: `**Abbinamento ricevute**: da questa mattina ne sono state abbinate circa 64.000; ne restano circa 113.000.

**Canale di emergenza**: attivo fino al {{until:emergency-channel}}. Le fatture inviate dal canale saranno caricate nel portale la prossima settimana, con una manutenzione programmata ({{d:23}}): fino ad allora non reinviatele.

**Assistenza e linea partner**: ritorno all’operatività normale previsto per {{wd:22}}. Le risposte alle domande più frequenti sono qui sotto e valgono anche per i vostri clienti: potete ripubblicarle citando questa pagina.`,
        en: `**Receipt matching**: about 64,000 receipts matched since this morning; about 113,000 to go.

**Emergency channel**: available until {{until:emergency-channel}}. Invoices sent through the channel will be loaded into the portal next week, in a scheduled maintenance ({{d:23}}): until then, do not send them again.

**Support desk and partner line**: expected back to normal on {{wd:22}}. The answers to the most frequent questions are below and apply to your clients too: you may republish them, citing this page.`,
      },
      nextBy: at(19, '18:00'),
    },
  ],
};

const credentials: IncidentDef = {
  key: CREDENTIALS_INCIDENT,
  impact: 'minor',
  title: {
    it: 'Credenziali non ricevute dagli utenti di due provider di posta',
    en: 'Credentials not received by users at two mail providers',
  },
  updates: [
    {
      at: at(15, '16:30'),
      status: 'investigating',
      services: { web: 'degraded_performance' },
      body: {
        it: 'Molti utenti con indirizzo e-mail presso due provider di posta gratuiti non ricevono le e-mail per reimpostare la password, e quindi non riescono ad accedere al portale. Gli altri utenti non sono coinvolti. Stiamo verificando.',
        en: 'Many users whose e-mail address is at two consumer mail providers do not receive the password reset e-mails, so they cannot sign in to the portal. Other users are not affected. We are investigating.',
      },
      nextBy: at(16, '12:00'),
    },
    {
      at: at(16, '11:00'),
      status: 'identified',
      body: {
        it: `Causa individuata: la piattaforma ricostruita spedisce la posta da server nuovi, che i due provider non riconoscono ancora come mittenti affidabili e rifiutano. Stiamo aggiornando la configurazione di autenticazione del mittente e abbiamo chiesto ai provider di sbloccare i nuovi server.

Nel frattempo il partner può aggiornare, dal proprio pannello, l’indirizzo e-mail dell’utente con uno di un altro provider e far ripartire il reset della password.`,
        en: `Cause identified: the rebuilt platform sends mail from new servers, which the two providers do not yet recognise as trusted senders and reject. We are updating the sender authentication settings and have asked the providers to unblock the new servers.

Meanwhile a partner can change the user's e-mail address, from the partner panel, to one at another provider and start the password reset again.`,
      },
      nextBy: at(17, '12:00'),
    },
    {
      at: at(17, '11:00'),
      status: 'resolved',
      services: { web: 'operational' },
      body: {
        it: 'Correzione in produzione: le e-mail arrivano di nuovo anche agli indirizzi dei due provider. Abbiamo reinviato i messaggi rimasti in sospeso {{dal:15}}; se il link ricevuto è scaduto, chiedete un nuovo reset della password. Chiudiamo questo incidente.',
        en: 'Fix in production: e-mails reach addresses at the two providers again. We resent the messages held back since {{d:15}}; if the link you received has expired, ask for a new password reset. We are closing this incident.',
      },
    },
  ],
};

/* ------------------------------------------------------------------------------------------------ */
/* Recovery plan                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

const milestones: MilestoneDef[] = [
  {
    key: 'original-dc',
    incident: MAIN_INCIDENT,
    title: { it: 'Ripartenza nel data center originale', en: 'Restart in the original data centre' },
    description: {
      it: 'Annullata: il fornitore di hosting non può indicare quando lo storage sarà riacceso. Si ricostruisce su macchine nuove (tappa successiva).',
      en: 'Cancelled: the hosting provider cannot say when the storage will be powered on. The platform is rebuilt on new machines instead (next step).',
    },
    listedAt: at(10, '07:45'),
    expected: at(10, '18:00'),
    changes: [{ at: at(10, '18:30'), state: 'cancelled' }],
  },
  {
    key: 'rebuild',
    incident: MAIN_INCIDENT,
    title: {
      it: 'Ricostruzione dell’infrastruttura su macchine nuove, dai backup',
      en: 'Rebuild of the infrastructure on new machines, from backups',
    },
    listedAt: at(10, '18:30'),
    expected: at(14, '20:00'),
    changes: [
      { at: at(11, '08:00'), state: 'in_progress' },
      { at: at(14, '20:30'), state: 'done' },
    ],
  },
  {
    key: 'unofficial-reopening',
    incident: MAIN_INCIDENT,
    service: 'web',
    title: { it: 'Riapertura non ufficiale del portale, per le verifiche', en: 'Unofficial reopening of the portal, for checks' },
    listedAt: at(11, '10:00'),
    expected: at(14, '21:00'),
    changes: [{ at: at(14, '21:00'), state: 'done' }],
  },
  {
    key: 'general-reopening',
    incident: MAIN_INCIDENT,
    title: { it: 'Riapertura generale: portale, invio e ricezione', en: 'General reopening: portal, sending and receiving' },
    listedAt: at(11, '10:00'),
    expected: REOPENING,
    changes: [{ at: REOPENING, state: 'done' }],
  },
  {
    key: 'credentials-fix',
    incident: MAIN_INCIDENT,
    service: 'web',
    title: {
      it: 'Correzione dell’accesso per gli utenti di due provider di posta',
      en: 'Sign-in fix for users at two mail providers',
    },
    listedAt: at(15, '19:00'),
    expected: at(17, '12:00'),
    changes: [
      { at: at(16, '11:00'), state: 'in_progress' },
      { at: at(17, '11:00'), state: 'done' },
    ],
  },
  {
    key: 'passive-backlog',
    incident: MAIN_INCIDENT,
    service: 'receiving',
    title: {
      it: 'Arretrato di fatture passive e ordini NSO importato',
      en: 'Backlog of passive invoices and NSO orders imported',
    },
    listedAt: at(13, '19:00'),
    expected: at(18, '20:00'),
    changes: [
      { at: REOPENING, state: 'in_progress' },
      { at: at(19, '06:30'), state: 'done' },
    ],
  },
  {
    key: 'sending-normal',
    incident: MAIN_INCIDENT,
    service: 'sending',
    title: { it: 'Invio delle fatture tornato normale', en: 'Invoice sending back to normal' },
    listedAt: at(15, '08:00'),
    expected: at(19, '09:00'),
    changes: [
      { at: REOPENING, state: 'in_progress' },
      { at: at(19, '08:00'), state: 'done' },
    ],
  },
  {
    key: 'emergency-channel-closed',
    incident: MAIN_INCIDENT,
    service: 'emergency-channel',
    title: { it: 'Chiusura del canale di emergenza', en: 'Emergency channel closed' },
    description: {
      it: 'Dopo la chiusura si invia solo dal portale. Le fatture già inviate dal canale restano valide.',
      en: 'After closing, invoices are sent from the portal only. Invoices already sent through the channel stay valid.',
    },
    listedAt: at(18, '19:00'),
    expected: EMERGENCY_CLOSES,
    changes: [],
  },
  {
    key: 'receipt-backlog',
    incident: MAIN_INCIDENT,
    service: 'receipt-matching',
    title: { it: 'Abbinamento delle ricevute arretrate', en: 'Matching of the backlog of receipts' },
    listedAt: at(15, '08:00'),
    expected: at(20, '20:00'),
    changes: [{ at: at(19, '07:00'), state: 'in_progress' }],
  },
  {
    key: 'support-phone',
    incident: MAIN_INCIDENT,
    service: 'support',
    title: {
      it: 'Assistenza e linea telefonica partner di nuovo a pieno regime',
      en: 'Support desk and partner phone line fully back',
    },
    description: {
      it: 'I ticket sono aperti dalla riapertura, con tempi di risposta lunghi; la linea partner risponde con orario ridotto (9–13).',
      en: 'Tickets have been open since the reopening, with long response times; the partner line answers with reduced hours (9:00–13:00).',
    },
    listedAt: at(15, '08:00'),
    expected: at(22, '09:00'),
    changes: [{ at: REOPENING, state: 'in_progress' }],
  },
  {
    key: 'historical-data',
    incident: MAIN_INCIDENT,
    service: 'web',
    title: {
      it: 'Storico delle aree vuote ripristinato dallo storage riacceso',
      en: 'History of the empty areas restored from the powered-on storage',
    },
    description: {
      it: 'Lo storico delle aree il cui ripristino non è riuscito è sullo storage del data center fermo. Alternativa: la seconda copia conservata in un’altra regione.',
      en: 'The history of the areas whose restore failed sits on the stopped data centre’s storage. Fallback: the second copy kept in another region.',
    },
    listedAt: at(13, '19:00'),
    expected: at(17, '18:00'),
    changes: [
      {
        at: at(16, '18:30'),
        state: 'delayed',
        expected: at(22, '12:00'),
        reason: {
          it: 'Il fornitore di hosting non ha ancora riacceso lo storage e ora indica che non lo farà prima di {{wd:22}}. Se i dati non fossero leggibili, useremo la copia nell’altra regione.',
          en: 'The hosting provider has not powered the storage on yet and now says it will not before {{wd:22}}. Should the data be unreadable, we will use the copy in the other region.',
        },
      },
    ],
  },
  {
    key: 'emergency-invoices',
    incident: MAIN_INCIDENT,
    service: 'web',
    title: {
      it: 'Fatture del canale di emergenza caricate nel portale',
      en: 'Emergency channel invoices loaded into the portal',
    },
    listedAt: at(18, '19:00'),
    expected: at(24, '09:00'),
    changes: [],
  },
];

/* ------------------------------------------------------------------------------------------------ */
/* Data-gap notices                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

const notices: NoticeDef[] = [
  {
    incident: MAIN_INCIDENT,
    at: at(12, '18:00'),
    title: {
      it: 'Dati ripristinati dai backup: fin dove arrivano',
      en: 'Data restored from backups: how far it goes',
    },
    body: {
      it: 'I dati del portale sono stati ripristinati dai backup. In ogni area sono completi fino all’ultimo backup riuscito; quanto caricato dopo, fino allo stop delle 00:50 {{del:10}}, non c’è. Le fatture consegnate da SdI in quella finestra, attive e passive, restano comunque su *Fatture e Corrispettivi* dell’Agenzia delle Entrate.',
      en: 'The portal’s data has been restored from backups. In each area it is complete up to the last successful backup; anything uploaded after it, until the stop at 00:50 on {{d:10}}, is missing. Invoices that SdI delivered in that window, sent or received, are still in the Revenue Agency’s *Fatture e Corrispettivi* area.',
    },
    audience: {
      it: 'Clienti che hanno caricato, inviato o ricevuto documenti dopo le 21:30 {{del:9}} (per alcune aree, dopo le 21:30 {{del:8}}) e prima dello stop.',
      en: 'Clients who uploaded, sent or received documents after 21:30 on {{d:9}} (for some areas, after 21:30 on {{d:8}}) and before the stop.',
    },
    action: {
      it: `1. Controllate fino a quando arrivano le fatture nella vostra area.
2. Per ogni fattura mancante, cercatela su *Fatture e Corrispettivi* e seguite la risposta che corrisponde:
   - [non c’è né nel portale né su Fatture e Corrispettivi]({{faq:fatture-non-presenti-ne-portale-ne-agenzia}}): caricatela di nuovo e inviatela;
   - [c’è solo su Fatture e Corrispettivi]({{faq:fatture-presenti-solo-su-fatture-e-corrispettivi}}): caricatela per sola archiviazione;
   - [è nel portale «in elaborazione SdI» ma non su Fatture e Corrispettivi]({{faq:fatture-in-elaborazione-sdi}}): inviatela di nuovo.
3. Se vedete fatture solo fino {{al:8}}, [leggete qui]({{faq:fatture-solo-fino-al-giorno-prima}}).`,
      en: `1. Check how far the invoices in your area go.
2. For each missing invoice, look it up in *Fatture e Corrispettivi* and follow the matching answer:
   - [neither in the portal nor in Fatture e Corrispettivi]({{faq:fatture-non-presenti-ne-portale-ne-agenzia}}): upload it again and send it;
   - [only in Fatture e Corrispettivi]({{faq:fatture-presenti-solo-su-fatture-e-corrispettivi}}): upload it for archiving only;
   - [in the portal as "being processed by SdI" but not in Fatture e Corrispettivi]({{faq:fatture-in-elaborazione-sdi}}): send it again.
3. If you only see invoices up to {{d:8}}, [read this]({{faq:fatture-solo-fino-al-giorno-prima}}).`,
    },
    services: ['web', 'sending', 'receiving', 'receipt-matching'],
    windows: [
      {
        scope: { it: 'La maggior parte delle aree clienti', en: 'Most client areas' },
        restoredUntil: BACKUP_MOST,
        gapEndsAt: STOP,
      },
      {
        scope: { it: 'Alcune aree clienti', en: 'Some client areas' },
        restoredUntil: BACKUP_SOME,
        gapEndsAt: STOP,
      },
    ],
  },
  {
    incident: MAIN_INCIDENT,
    at: at(15, '09:00'),
    title: {
      it: 'Aree vuote: invio e ricezione funzionano, lo storico arriverà dopo',
      en: 'Empty areas: sending and receiving work, the history comes later',
    },
    body: {
      it: 'Dove il ripristino dal backup non è riuscito abbiamo creato un’area nuova: funziona per inviare e ricevere, ma oggi non contiene i documenti anteriori alla riapertura. Lo storico è sullo storage del data center fermo e sarà caricato quando il fornitore lo riaccenderà (previsto da {{wd:22}}); in alternativa useremo la seconda copia in un’altra regione. Lo storico si aggiungerà a quanto fatto nel frattempo.',
      en: 'Where the restore from backup failed we created a new area: it works for sending and receiving, but today it holds no document from before the reopening. The history sits on the stopped data centre’s storage and will be loaded once the provider powers it on (expected from {{wd:22}}); otherwise we will use the second copy in another region. The history will be added to whatever you do meanwhile.',
    },
    audience: {
      it: 'Clienti delle aree il cui ripristino non è riuscito: all’accesso trovano l’area senza fatture.',
      en: 'Clients of the areas whose restore failed: when they sign in, they find the area without invoices.',
    },
    action: {
      it: 'Usate l’area normalmente per inviare e ricevere. Non ricaricate le fatture passate: arriveranno con lo storico. Per un documento urgente, scaricatelo da *Fatture e Corrispettivi*. [Tutti i dettagli]({{faq:area-vuota}}).',
      en: 'Use the area normally to send and receive. Do not upload past invoices again: they will come back with the history. For an urgent document, download it from *Fatture e Corrispettivi*. [Full details]({{faq:area-vuota}}).',
    },
    services: ['web'],
    windows: [
      {
        scope: {
          it: 'Aree vuote, dopo il ripristino dallo storage (previsto {{dal:22}}): documenti fino allo stop',
          en: 'Empty areas, once restored from the storage (expected from {{d:22}}): documents up to the stop',
        },
        restoredUntil: STOP,
        gapEndsAt: REOPENING,
        // The storage is still off on the anchor day: the restore is expected from day 22.
        pending: true,
      },
    ],
  },
];

/* ------------------------------------------------------------------------------------------------ */
/* Incident FAQ: decision-style answers                                                               */
/* ------------------------------------------------------------------------------------------------ */

const faq: FaqDef[] = [
  {
    incident: MAIN_INCIDENT,
    at: at(15, '08:00'),
    slug: 'area-vuota',
    question: { it: 'La mia area è vuota: cosa devo fare?', en: 'My area is empty: what should I do?' },
    answer: {
      it: `Niente di urgente: è la soluzione prevista per le aree il cui ripristino dal backup non è riuscito.

- L’area **funziona già**: potete inviare e ricevere fatture come sempre.
- **Non ricaricate le fatture passate**: torneranno nell’area con lo storico ([quando?]({{faq:quando-torna-lo-storico}})); caricarle ora creerebbe doppioni.
- Le fatture già consegnate da SdI sono valide e restano consultabili e scaricabili su *Fatture e Corrispettivi* dell’Agenzia delle Entrate: se vi serve subito un documento, prendetelo da lì.`,
      en: `Nothing urgent: this is the planned fallback for the areas whose restore from backup failed.

- The area **already works**: you can send and receive invoices as usual.
- **Do not upload past invoices again**: they will come back to the area with the history ([when?]({{faq:quando-torna-lo-storico}})); uploading them now would create duplicates.
- Invoices already delivered by SdI are valid and can still be read and downloaded in the Revenue Agency’s *Fatture e Corrispettivi* area: if you need a document now, take it from there.`,
    },
  },
  {
    incident: MAIN_INCIDENT,
    at: at(15, '08:00'),
    slug: 'quando-torna-lo-storico',
    question: { it: 'Quando tornerà il mio storico delle fatture?', en: 'When will my invoice history come back?' },
    answer: {
      it: `Lo storico delle aree vuote è sullo storage del data center fermo, che il fornitore di hosting deve riaccendere: ora indica **da {{wd:22}}**. Appena i dati saranno leggibili li caricheremo nelle aree, un gruppo di clienti alla volta, e lo segneremo nel piano di ripristino su questa pagina.

Se lo storage non fosse leggibile useremo la seconda copia che conserviamo in un’altra regione: richiede più tempo, ma non dipende dal fornitore.

Non dovete fare nulla: lo storico si aggiunge a quanto avete fatto nel frattempo, senza sostituirlo.`,
      en: `The history of the empty areas sits on the stopped data centre’s storage, which the hosting provider has to power on again: it now says **from {{wd:22}}**. As soon as the data can be read we will load it into the areas, one group of clients at a time, and mark it in the recovery plan on this page.

Should the storage be unreadable, we will use the second copy we keep in another region: it takes longer, but does not depend on the provider.

You do not have to do anything: the history is added to what you did meanwhile, without replacing it.`,
    },
  },
  {
    incident: MAIN_INCIDENT,
    at: at(12, '18:00'),
    slug: 'fatture-non-presenti-ne-portale-ne-agenzia',
    question: {
      it: 'Ho inviato fatture {{il:9}}: non sono nel portale né su Fatture e Corrispettivi. Cosa faccio?',
      en: 'I sent invoices on {{d:9}}: they are neither in the portal nor in Fatture e Corrispettivi. What should I do?',
    },
    answer: {
      it: `Quelle fatture **non sono arrivate a SdI**: per il Sistema di Interscambio non sono mai state trasmesse.

**Caricatele di nuovo nel portale e inviatele**: è un primo invio, non un duplicato. Sono fatture caricate dopo l’ultimo backup della vostra area (le 21:30 {{del:9}} per la maggior parte delle aree, le 21:30 {{del:8}} per alcune) e non ancora trasmesse al momento dello stop.

Se la trasmissione arriva oltre i termini, vedete [la nota sulle sanzioni]({{faq:sanzioni-invio-tardivo}}).`,
      en: `Those invoices **never reached SdI**: as far as the Exchange System is concerned, they were never transmitted.

**Upload them to the portal again and send them**: it is a first sending, not a duplicate. They were uploaded after your area’s last backup (21:30 on {{d:9}} for most areas, 21:30 on {{d:8}} for some) and had not been transmitted yet when the platform stopped.

If the transmission is late, see [the note on penalties]({{faq:sanzioni-invio-tardivo}}).`,
    },
  },
  {
    incident: MAIN_INCIDENT,
    at: at(12, '18:00'),
    slug: 'fatture-presenti-solo-su-fatture-e-corrispettivi',
    question: {
      it: 'Ho inviato fatture {{il:9}}: non sono nel portale, ma le vedo su Fatture e Corrispettivi. Cosa faccio?',
      en: 'I sent invoices on {{d:9}}: they are not in the portal, but I can see them in Fatture e Corrispettivi. What should I do?',
    },
    answer: {
      it: `Quelle fatture **sono state consegnate** da SdI: sono valide e **non vanno inviate di nuovo** (SdI scarterebbe il nuovo invio come duplicato).

Mancano solo nel portale, perché caricate dopo l’ultimo backup. Per averle anche nel portale, per l’archivio e la conservazione, **caricatele con la funzione «Carica per sola archiviazione»**, che non le trasmette a SdI. File della fattura e ricevuta di consegna si scaricano da *Fatture e Corrispettivi*.`,
      en: `Those invoices **were delivered** by SdI: they are valid and **must not be sent again** (SdI would reject the new sending as a duplicate).

They are only missing from the portal, because they were uploaded after the last backup. To have them in the portal too, for the archive and long-term storage, **upload them with "Upload for archiving only"**, which does not transmit them to SdI. The invoice file and the delivery receipt can be downloaded from *Fatture e Corrispettivi*.`,
    },
  },
  {
    incident: MAIN_INCIDENT,
    at: at(12, '18:00'),
    slug: 'fatture-in-elaborazione-sdi',
    question: {
      it: 'Ho inviato fatture {{il:9}}: nel portale sono «in elaborazione SdI», ma non sono su Fatture e Corrispettivi. Cosa faccio?',
      en: 'I sent invoices on {{d:9}}: in the portal they are "being processed by SdI", but they are not in Fatture e Corrispettivi. What should I do?',
    },
    answer: {
      it: `Quelle fatture si sono fermate tra il portale e SdI al momento dello stop: **SdI non le ha ricevute**.

**Inviatele di nuovo**: aprite la fattura, usate **«Duplica fattura»** e inviate la copia. La copia rimasta bloccata sarà rimossa automaticamente più avanti: non cancellatela voi.

Attenzione: vale per le fatture {{del:9}}. Per quelle inviate dopo la riapertura lo stato «in elaborazione SdI» può dipendere soltanto dall’abbinamento delle ricevute, ancora in corso: se la fattura è su *Fatture e Corrispettivi*, è consegnata e non va reinviata.`,
      en: `Those invoices stopped between the portal and SdI when the platform went down: **SdI never received them**.

**Send them again**: open the invoice, use **"Duplicate invoice"** and send the copy. The stuck copy will be removed automatically later: do not delete it yourself.

Note: this applies to invoices of {{d:9}}. For invoices sent after the reopening, "being processed by SdI" may only mean that receipt matching, still running, has not reached them: if the invoice is in *Fatture e Corrispettivi*, it was delivered and must not be sent again.`,
    },
  },
  {
    incident: MAIN_INCIDENT,
    at: at(12, '18:00'),
    slug: 'fatture-solo-fino-al-giorno-prima',
    question: {
      it: 'Nel portale vedo le fatture solo fino {{al:8}}: dove sono quelle {{del:9}}?',
      en: 'In the portal I only see invoices up to {{d:8}}: where are those of {{d:9}}?',
    },
    answer: {
      it: `La vostra area è tra quelle il cui ultimo backup completo è delle 21:30 {{del:8}}. I documenti {{del:9}} sono sullo storage del data center fermo e **torneranno con il suo ripristino** (previsto da {{wd:22}}; [dettagli]({{faq:quando-torna-lo-storico}})).

Nel frattempo, per ogni fattura {{del:9}} guardate *Fatture e Corrispettivi*:

- se c’è, **è consegnata**: non fate nulla, tornerà nel portale con il ripristino;
- se non c’è, **non è arrivata a SdI**: [caricatela di nuovo e inviatela]({{faq:fatture-non-presenti-ne-portale-ne-agenzia}}) subito, senza aspettare il ripristino.`,
      en: `Your area is one of those whose last complete backup is from 21:30 on {{d:8}}. The documents of {{d:9}} sit on the stopped data centre’s storage and **will come back with its restore** (expected from {{wd:22}}; [details]({{faq:quando-torna-lo-storico}})).

Meanwhile, for each invoice of {{d:9}} look at *Fatture e Corrispettivi*:

- if it is there, **it was delivered**: do nothing, it will come back to the portal with the restore;
- if it is not, **it never reached SdI**: [upload it again and send it]({{faq:fatture-non-presenti-ne-portale-ne-agenzia}}) now, without waiting for the restore.`,
    },
  },
  {
    incident: MAIN_INCIDENT,
    at: at(15, '08:00'),
    slug: 'canale-di-emergenza',
    question: {
      it: 'Le fatture inviate con il canale di emergenza sono state consegnate?',
      en: 'Were the invoices sent through the emergency channel delivered?',
    },
    answer: {
      it: `**Sì.** Il canale di emergenza le ha trasmesse direttamente a SdI; l’esito (consegna o scarto) è quello mostrato dal canale, e le fatture consegnate sono anche su *Fatture e Corrispettivi*.

- **Non inviatele di nuovo** dal portale: SdI le scarterebbe come duplicate.
- Nel portale compariranno **la settimana prossima**, con la manutenzione programmata {{del:23}}: da quel momento saranno archiviate come le altre.
- Se il canale mostra una fattura **scartata**, correggetela e inviatela dal portale.`,
      en: `**Yes.** The emergency channel transmitted them straight to SdI; the outcome (delivery or rejection) is the one shown by the channel, and delivered invoices are also in *Fatture e Corrispettivi*.

- **Do not send them again** from the portal: SdI would reject them as duplicates.
- They will appear in the portal **next week**, with the scheduled maintenance of {{d:23}}: from then on they are archived like the others.
- If the channel shows an invoice as **rejected**, correct it and send it from the portal.`,
    },
  },
  {
    incident: MAIN_INCIDENT,
    at: at(15, '08:00'),
    slug: 'sanzioni-invio-tardivo',
    question: {
      it: 'Ho trasmesso fatture in ritardo a causa dell’interruzione: cosa rischio?',
      en: 'I transmitted invoices late because of the outage: what are the consequences?',
    },
    answer: {
      it: `*Informazione generale, non consulenza fiscale o legale: valutate il vostro caso con il vostro commercialista.*

- Il termine ordinario per trasmettere una fattura immediata è di 12 giorni dall’effettuazione dell’operazione (art. 21 del DPR 633/1972).
- Quando molte fatture sono state trasmesse in ritardo per la stessa causa, al posto del ravvedimento operoso fattura per fattura può trovare applicazione il **cumulo giuridico** previsto dall’art. 12 del D.Lgs. 472/1997: una sola sanzione, aumentata, per l’insieme delle violazioni. Se e come si applichi dipende dal caso concreto.
- Per documentare il disservizio potete citare questa pagina: riporta l’inizio dell’interruzione e la cronologia completa degli aggiornamenti.`,
      en: `*General information, not tax or legal advice: assess your own case with your accountant.*

- The ordinary deadline to transmit an immediate invoice is 12 days from the transaction (art. 21 of Presidential Decree 633/1972).
- When many invoices were transmitted late for the same cause, instead of "ravvedimento operoso" (voluntary correction) invoice by invoice, the **"cumulo giuridico"** of art. 12 of Legislative Decree 472/1997 may apply: a single, increased penalty for all the violations together. Whether and how it applies depends on the actual case.
- To document the outage you can cite this page: it shows when the interruption began and the full timeline of updates.`,
    },
  },
];

/* ------------------------------------------------------------------------------------------------ */
/* Backlog figures                                                                                    */
/* ------------------------------------------------------------------------------------------------ */

const sample = (day: number, time: string, count: number, oldest: At | { minutes: number }): Sample => ({
  at: at(day, time),
  count,
  oldest,
});
const minutes = (m: number) => ({ minutes: m });

const backlog: BacklogDef[] = [
  {
    service: 'receiving',
    metric: 'passive_invoices',
    label: { it: 'Fatture passive da importare', en: 'Passive invoices to import' },
    samples: [
      sample(15, '08:00', 148_300, STOP),
      sample(15, '13:00', 131_900, STOP),
      sample(15, '19:00', 112_400, at(10, '19:40')),
      sample(16, '08:00', 96_800, at(11, '09:10')),
      sample(16, '13:00', 84_100, at(11, '21:30')),
      sample(16, '19:00', 70_250, at(12, '14:00')),
      sample(17, '08:00', 52_600, at(13, '10:20')),
      sample(17, '13:00', 38_900, at(13, '22:45')),
      sample(17, '19:00', 24_300, at(14, '16:10')),
      sample(18, '08:00', 11_900, at(15, '20:00')),
      sample(18, '13:00', 6_400, at(16, '22:15')),
      sample(18, '19:00', 2_750, at(17, '21:40')),
      sample(19, '06:30', 410, minutes(95)),
      sample(19, '09:00', 380, minutes(70)),
      sample(19, '12:00', 520, minutes(110)),
    ],
  },
  {
    service: 'receiving',
    metric: 'nso_orders',
    label: { it: 'Ordini NSO da importare', en: 'NSO orders to import' },
    samples: [
      sample(15, '08:00', 6_420, STOP),
      sample(15, '19:00', 5_100, at(10, '22:00')),
      sample(16, '08:00', 4_050, at(11, '15:30')),
      sample(16, '19:00', 2_900, at(12, '11:00')),
      sample(17, '08:00', 1_850, at(13, '09:30')),
      sample(17, '19:00', 940, at(14, '12:00')),
      sample(18, '08:00', 420, at(15, '18:00')),
      sample(18, '19:00', 120, at(17, '16:00')),
      sample(19, '06:30', 8, minutes(20)),
      sample(19, '12:00', 14, minutes(35)),
    ],
  },
  {
    service: 'receipt-matching',
    metric: 'receipts',
    label: { it: 'Ricevute SdI da abbinare', en: 'SdI receipts to match' },
    samples: [
      sample(15, '08:00', 21_400, STOP),
      sample(15, '19:00', 64_800, STOP),
      sample(16, '08:00', 88_100, STOP),
      sample(16, '19:00', 121_500, STOP),
      sample(17, '08:00', 137_900, STOP),
      sample(17, '19:00', 158_200, STOP),
      sample(18, '08:00', 166_400, STOP),
      sample(18, '19:00', 174_900, STOP),
      sample(19, '07:00', 177_300, STOP),
      sample(19, '09:00', 151_600, at(11, '16:00')),
      sample(19, '11:00', 126_200, at(13, '08:30')),
      sample(19, '12:30', 113_100, at(14, '10:00')),
    ],
  },
];

/* ------------------------------------------------------------------------------------------------ */
/* Maintenance                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

const maintenances: MaintenanceDef[] = [
  {
    title: { it: 'Rinnovo dei certificati del canale con SdI', en: 'Renewal of the SdI channel certificates' },
    body: {
      it: 'Installiamo i nuovi certificati del canale di trasmissione con SdI. Durante la finestra invio e ricezione possono fermarsi per pochi minuti; le fatture restano in coda e partono alla ripresa.',
      en: 'We install the new certificates of the transmission channel with SdI. During the window sending and receiving may pause for a few minutes; invoices stay queued and go out when it resumes.',
    },
    services: ['sending', 'receiving'],
    start: at(-62, '21:00'),
    end: at(-62, '22:30'),
    marksStatus: true,
  },
  {
    title: { it: 'Aggiornamento del database del portale', en: 'Portal database upgrade' },
    body: {
      it: 'Aggiornamento programmato del database. Il portale resta in sola lettura per circa due ore; le fatture caricate prima della finestra vengono inviate normalmente.',
      en: 'Scheduled database upgrade. The portal is read-only for about two hours; invoices uploaded before the window are sent normally.',
    },
    services: ['web', 'sending'],
    start: at(-33, '22:00'),
    end: at(-32, '00:30'),
    marksStatus: true,
  },
  {
    title: {
      it: 'Caricamento nel portale delle fatture del canale di emergenza',
      en: 'Loading the emergency channel invoices into the portal',
    },
    body: {
      it: 'Carichiamo nelle aree dei clienti le fatture inviate con il canale di emergenza, con le relative ricevute di SdI. Il portale resta disponibile; per qualche minuto l’elenco delle fatture inviate può apparire incompleto. Non serve fare nulla e le fatture non vanno reinviate.',
      en: 'We load into the client areas the invoices sent through the emergency channel, with their SdI receipts. The portal stays available; for a few minutes the list of sent invoices may look incomplete. No action is needed and the invoices must not be sent again.',
    },
    services: ['web'],
    start: at(23, '21:00'),
    end: at(24, '01:00'),
    marksStatus: false,
  },
];

export const STORY: Story = {
  historyDays: 95,
  services,
  incidents: [receivingDelays, loginErrors, outage, credentials],
  milestones,
  notices,
  faq,
  backlog,
  maintenances,
};
