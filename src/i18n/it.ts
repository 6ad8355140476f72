/**
 * Italian UI strings: the reference dictionary. Its shape is the `Dictionary` type every other locale
 * must match, so a key missing from en.ts fails the type-check.
 */
const it = {
  /** Label of the link to this language, shown on pages in the other language. */
  switchTo: 'Italiano',
  switchToLabel: 'Leggi questa pagina in italiano',

  skipToContent: 'Vai al contenuto',
  siteTagline: 'Stato dei servizi',
  navLabel: 'Sezioni',
  nav: { status: 'Stato', history: 'Storico', faq: 'FAQ' },
  languageLabel: 'Lingua',
  footerTimes: (zone: string, names: string) => `Orari in ${zone}${names ? ` (${names})` : ''}.`,
  footerUpdated: 'Pagina generata il',
  footerPoweredBy: 'Pagina di stato realizzata con Vedetta',

  titles: {
    history: 'Storico incidenti e manutenzioni',
    faq: 'Domande frequenti',
    notFound: 'Pagina non trovata',
  },
  descriptions: {
    home: (vendor: string) => `Stato in tempo reale dei servizi di ${vendor}, incidenti in corso e piano di ripristino.`,
  },

  serviceStatus: {
    operational: 'Operativo',
    under_maintenance: 'In manutenzione',
    degraded_performance: 'Prestazioni ridotte',
    partial_outage: 'Disservizio parziale',
    major_outage: 'Disservizio totale',
  },
  impact: {
    none: 'Nessun impatto',
    minor: 'Impatto lieve',
    major: 'Impatto rilevante',
    critical: 'Impatto critico',
    maintenance: 'Manutenzione',
  },
  incidentStatus: {
    investigating: 'In analisi',
    identified: 'Causa individuata',
    monitoring: 'In monitoraggio',
    resolved: 'Risolto',
    postmortem: 'Analisi post-incidente',
  },
  maintenanceStatus: {
    scheduled: 'Programmata',
    in_progress: 'In corso',
    verifying: 'In verifica',
    completed: 'Completata',
  },
  milestoneState: {
    planned: 'Previsto',
    in_progress: 'In corso',
    done: 'Completato',
    delayed: 'In ritardo',
    cancelled: 'Annullato',
  },
  dayLevel: {
    operational: 'Nessun disservizio',
    maintenance: 'Manutenzione',
    degraded: 'Prestazioni ridotte',
    partial: 'Disservizio parziale',
    major: 'Disservizio totale',
    nodata: 'Nessun dato',
  },

  home: {
    bannerLabel: 'Stato generale',
    updatedAt: 'Aggiornato al',
    activeIncidents: 'Incidenti in corso',
    latestUpdate: 'Ultimo aggiornamento',
    affectedServices: 'Servizi coinvolti',
    openIncident: 'Dettagli, cronologia completa e domande frequenti',
    recoveryPlan: 'Piano di ripristino',
    dataGaps: 'Dati ripristinati: cosa manca',
    backlog: 'Code in lavorazione',
    maintenance: 'Manutenzioni programmate e in corso',
    services: 'Servizi',
    noServices: 'Nessun servizio pubblicato.',
    otherServices: 'Altri servizi',
  },

  incident: {
    startedAt: 'Iniziato',
    resolvedAt: 'Risolto',
    duration: 'Durata',
    ongoingFor: 'In corso da',
    nextUpdate: 'Prossimo aggiornamento entro',
    nextUpdateOverdue: 'in ritardo',
    nextUpdateOverdueLong: 'Il prossimo aggiornamento era previsto entro quest’ora ed è in ritardo.',
    affectedServices: 'Servizi coinvolti',
    timeline: 'Aggiornamenti',
    timelineIntro: 'Dal più recente al meno recente.',
    serviceChanges: 'Variazioni di stato dei servizi',
    republish: 'Copia per ripubblicare',
    republishText: 'testo',
    republishHtml: 'HTML',
    changeFrom: 'da',
    changeTo: 'a',
    notices: 'Dati ripristinati: cosa manca',
    faq: 'Domande frequenti su questo incidente',
    faqAnchor: 'Link diretto a questa domanda',
    postmortem: 'Analisi post-incidente',
    postmortemPublished: 'Pubblicata il',
    onThisPage: 'In questa pagina',
    backHome: 'Torna allo stato dei servizi',
  },

  plan: {
    progress: (done: number, total: number) => `${done} di ${total} completate`,
    progressLabel: 'Avanzamento del piano',
    empty: 'Nessuna tappa pubblicata.',
    expected: 'Prevista',
    actual: 'Completata',
    late: 'Data prevista superata',
    delayReason: 'Motivo del ritardo',
    service: 'Servizio',
  },

  notice: {
    restoredUntil: 'Dati ripristinati fino al',
    gap: 'Periodo mancante',
    audience: 'Chi è coinvolto',
    action: 'Cosa fare',
    services: 'Servizi',
    published: 'Pubblicato il',
    closed: 'Chiuso il',
  },

  backlog: {
    caption: 'Quantità in coda per servizio, con l’attesa più lunga e l’ora della misura',
    service: 'Servizio',
    item: 'Coda',
    count: 'In coda',
    oldest: 'Attesa più lunga',
    measuredAt: 'Misurato il',
    history: 'Andamento delle code (ultimi 30 giorni)',
    chartSummary: (label: string, first: string, last: string, from: string, to: string) =>
      `${label}: da ${first} (${from}) a ${last} (${to}).`,
  },

  maintenance: {
    window: 'Finestra',
    services: 'Servizi',
  },

  services: {
    temporary: 'Canale temporaneo, attivo fino al',
    temporaryOpen: 'Canale temporaneo',
    uptime90: 'Disponibilità 90 giorni',
    uptime30: 'Disponibilità 30 giorni',
    noUptime: 'n.d.',
  },

  bars: {
    label: (name: string) => `Disponibilità giornaliera di ${name}`,
    ninetyDaysAgo: '90 giorni fa',
    thirtyDaysAgo: '30 giorni fa',
    today: 'Oggi',
    todaySoFar: 'oggi, fino a ora',
    legend: 'Legenda',
    uptime: 'Disponibilità',
    noData: 'Nessun dato per questo giorno',
    incidents: 'Incidenti del giorno',
    keyboardHint: 'Ogni barra è un giorno: passate sopra con il mouse o spostate il focus con Tab per i dettagli.',
  },

  service: {
    currentStatus: 'Stato attuale',
    since: 'Dal',
    uptime: 'Disponibilità',
    incidents: 'Incidenti che hanno coinvolto il servizio',
    noIncidents: 'Nessun incidente registrato.',
    maintenance: 'Manutenzioni',
    noMaintenance: 'Nessuna manutenzione.',
    group: 'Gruppo',
  },

  history: {
    intro: 'Incidenti e manutenzioni concluse, dal più recente.',
    empty: 'Nessun evento registrato.',
    pagination: 'Pagine dello storico',
    previous: 'Più recenti',
    next: 'Meno recenti',
    page: (n: number, total: number) => `Pagina ${n} di ${total}`,
    ongoing: 'in corso',
    services: 'Servizi',
    duration: 'Durata',
  },

  faq: {
    intro: 'Risposte alle domande più comuni dei partner e dei loro clienti.',
    general: 'Domande generali',
    openIncidents: 'Domande sugli incidenti in corso',
    openInIncident: 'Apri nella pagina dell’incidente',
    none: 'Nessuna domanda pubblicata.',
  },

  notFound: {
    body: 'La pagina richiesta non esiste o non è più disponibile. Se cercavate un incidente, lo trovate nello storico.',
    home: 'Vai allo stato dei servizi',
    history: 'Apri lo storico',
  },
};

export default it;
export type Dictionary = typeof it;
