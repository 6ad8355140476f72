import type { Dictionary } from './it.ts';

/** English UI strings. Typed as the Italian dictionary: a missing or extra key fails the type-check. */
const en: Dictionary = {
  switchTo: 'English',
  switchToLabel: 'Read this page in English',

  skipToContent: 'Skip to content',
  siteTagline: 'Service status',
  navLabel: 'Sections',
  nav: { status: 'Status', history: 'History', faq: 'FAQ' },
  languageLabel: 'Language',
  footerTimes: (zone: string, names: string) => `Times in ${zone}${names ? ` (${names})` : ''}.`,
  footerUpdated: 'Page generated on',
  footerPoweredBy: 'Status page powered by Vedetta',

  titles: {
    history: 'Incident and maintenance history',
    faq: 'Frequently asked questions',
    notFound: 'Page not found',
  },
  descriptions: {
    home: (vendor: string) => `Live status of ${vendor} services, ongoing incidents and the recovery plan.`,
  },

  serviceStatus: {
    operational: 'Operational',
    under_maintenance: 'Under maintenance',
    degraded_performance: 'Degraded performance',
    partial_outage: 'Partial outage',
    major_outage: 'Major outage',
  },
  impact: {
    none: 'No impact',
    minor: 'Minor impact',
    major: 'Major impact',
    critical: 'Critical impact',
    maintenance: 'Maintenance',
  },
  incidentStatus: {
    investigating: 'Investigating',
    identified: 'Identified',
    monitoring: 'Monitoring',
    resolved: 'Resolved',
    postmortem: 'Postmortem',
  },
  maintenanceStatus: {
    scheduled: 'Scheduled',
    in_progress: 'In progress',
    verifying: 'Verifying',
    completed: 'Completed',
  },
  milestoneState: {
    planned: 'Planned',
    in_progress: 'In progress',
    done: 'Done',
    delayed: 'Delayed',
    cancelled: 'Cancelled',
  },
  dayLevel: {
    operational: 'No downtime',
    maintenance: 'Maintenance',
    degraded: 'Degraded performance',
    partial: 'Partial outage',
    major: 'Major outage',
    nodata: 'No data',
  },

  home: {
    bannerLabel: 'Overall status',
    updatedAt: 'As of',
    activeIncidents: 'Ongoing incidents',
    latestUpdate: 'Latest update',
    affectedServices: 'Affected services',
    openIncident: 'Details, full timeline and FAQ',
    recoveryPlan: 'Recovery plan',
    dataGaps: 'Restored data: what is missing',
    backlog: 'Backlogs being processed',
    maintenance: 'Scheduled and ongoing maintenance',
    services: 'Services',
    noServices: 'No services published yet.',
    otherServices: 'Other services',
  },

  incident: {
    startedAt: 'Started',
    resolvedAt: 'Resolved',
    duration: 'Duration',
    ongoingFor: 'Ongoing for',
    nextUpdate: 'Next update by',
    nextUpdateOverdue: 'overdue',
    nextUpdateOverdueLong: 'The next update was promised by this time and is overdue.',
    affectedServices: 'Affected services',
    timeline: 'Updates',
    timelineIntro: 'Newest first.',
    serviceChanges: 'Service status changes',
    republish: 'Copy to republish',
    republishText: 'text',
    republishHtml: 'HTML',
    changeFrom: 'from',
    changeTo: 'to',
    notices: 'Restored data: what is missing',
    faq: 'Frequently asked questions about this incident',
    faqAnchor: 'Direct link to this question',
    postmortem: 'Postmortem',
    postmortemPublished: 'Published on',
    onThisPage: 'On this page',
    backHome: 'Back to service status',
  },

  plan: {
    progress: (done: number, total: number) => `${done} of ${total} completed`,
    progressLabel: 'Plan progress',
    empty: 'No milestones published.',
    expected: 'Expected',
    actual: 'Completed',
    late: 'Expected date has passed',
    delayReason: 'Reason for the delay',
    service: 'Service',
  },

  notice: {
    restoredUntil: 'Data restored up to',
    gap: 'Missing period',
    audience: 'Who is affected',
    action: 'What to do',
    services: 'Services',
    published: 'Published on',
    closed: 'Closed on',
  },

  backlog: {
    caption: 'Items waiting per service, with the longest wait and when it was measured',
    service: 'Service',
    item: 'Queue',
    count: 'Waiting',
    oldest: 'Longest wait',
    measuredAt: 'Measured at',
    history: 'Backlog over the last 30 days',
    chartSummary: (label: string, first: string, last: string, from: string, to: string) =>
      `${label}: from ${first} (${from}) to ${last} (${to}).`,
  },

  maintenance: {
    window: 'Window',
    services: 'Services',
  },

  services: {
    temporary: 'Temporary channel, available until',
    temporaryOpen: 'Temporary channel',
    uptime90: '90-day uptime',
    uptime30: '30-day uptime',
    noUptime: 'n/a',
  },

  bars: {
    label: (name: string) => `Daily uptime of ${name}`,
    ninetyDaysAgo: '90 days ago',
    thirtyDaysAgo: '30 days ago',
    today: 'Today',
    todaySoFar: 'today, so far',
    legend: 'Legend',
    uptime: 'Uptime',
    noData: 'No data for this day',
    incidents: 'Incidents that day',
    keyboardHint: 'Each bar is one day: hover it or move the focus to it with Tab for details.',
  },

  service: {
    currentStatus: 'Current status',
    since: 'Since',
    uptime: 'Uptime',
    incidents: 'Incidents involving this service',
    noIncidents: 'No incidents recorded.',
    maintenance: 'Maintenance',
    noMaintenance: 'No maintenance.',
    group: 'Group',
  },

  history: {
    intro: 'Incidents and completed maintenance, newest first.',
    empty: 'Nothing recorded yet.',
    pagination: 'History pages',
    previous: 'Newer',
    next: 'Older',
    page: (n: number, total: number) => `Page ${n} of ${total}`,
    ongoing: 'ongoing',
    services: 'Services',
    duration: 'Duration',
  },

  faq: {
    intro: 'Answers to the questions partners and their clients ask most.',
    general: 'General questions',
    openIncidents: 'Questions about ongoing incidents',
    openInIncident: 'Open on the incident page',
    none: 'No questions published.',
  },

  notFound: {
    body: 'The page you asked for does not exist or is no longer available. If you were looking for an incident, you will find it in the history.',
    home: 'Go to service status',
    history: 'Open the history',
  },
};

export default en;
