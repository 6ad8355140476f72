import type { DayBar } from '../domain/uptime.ts';
import type {
  IncidentImpact,
  IncidentStatus,
  Indicator,
  Locale,
  MaintenanceStatus,
  MilestoneState,
  ServiceStatus,
} from '../domain/vocab.ts';

/**
 * What the public surfaces read: texts already picked for one locale (with the locale actually used, so a page
 * can mark an Italian fallback with lang="it"), times as Dates in UTC. Markdown stays Markdown; each surface
 * renders it for its medium.
 */
export type Text = { text: string; locale: Locale };

export type ServiceRef = { key: string; name: string };

export type DayBarView = DayBar & { incidents: { id: string; title: string }[] };

export type BacklogFigure = {
  serviceKey: string;
  metric: string;
  label: string;
  count: number;
  oldestAgeSeconds: number | null;
  measuredAt: Date;
};

export type ServiceSummary = ServiceRef & {
  id: string;
  description: string | null;
  group: string | null;
  status: ServiceStatus;
  statusSince: Date;
  temporary: { from: Date | null; until: Date | null } | null;
  bars: DayBarView[];
  uptime90: number | null;
  backlog: BacklogFigure[];
};

export type UpdateView = {
  id: string;
  status: IncidentStatus;
  body: Text;
  displayAt: Date;
  services: (ServiceRef & { oldStatus: ServiceStatus | null; newStatus: ServiceStatus })[];
};

export type MilestoneView = {
  id: string;
  title: Text;
  description: Text | null;
  state: MilestoneState;
  expectedAt: Date | null;
  actualAt: Date | null;
  delayReason: Text | null;
  service: ServiceRef | null;
  /** Not done or cancelled and its expected date has passed. */
  late: boolean;
};

export type PlanView = { milestones: MilestoneView[]; done: number; total: number; ratio: number | null };

export type NoticeView = {
  id: string;
  incidentId: string | null;
  title: Text;
  body: Text | null;
  audience: Text | null;
  action: Text | null;
  /** `pending`: the restore is still expected, `restoredUntil` is how far it should go. */
  windows: { scope: Text; restoredUntil: Date; gapEndsAt: Date | null; pending: boolean }[];
  services: ServiceRef[];
  publishedAt: Date;
  closedAt: Date | null;
};

export type FaqView = { id: string; slug: string; question: Text; answer: Text };

export type IncidentSummary = {
  id: string;
  title: Text;
  impact: IncidentImpact;
  status: IncidentStatus;
  startedAt: Date;
  resolvedAt: Date | null;
  nextUpdateBy: Date | null;
  nextUpdateOverdue: boolean;
  latestUpdate: UpdateView | null;
  services: (ServiceRef & { status: ServiceStatus })[];
  plan: PlanView;
};

export type IncidentPage = IncidentSummary & {
  updates: UpdateView[];
  notices: NoticeView[];
  faq: FaqView[];
  postmortem: Text | null;
  postmortemAt: Date | null;
  version: number;
};

export type MaintenanceView = {
  id: string;
  title: Text;
  body: Text | null;
  status: MaintenanceStatus;
  scheduledStart: Date;
  scheduledEnd: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  services: ServiceRef[];
};

export type HomePage = {
  locale: Locale;
  timeZone: string;
  now: Date;
  indicator: Indicator;
  indicatorText: string;
  services: ServiceSummary[];
  activeIncidents: IncidentSummary[];
  notices: NoticeView[];
  maintenances: MaintenanceView[];
};

export type ServicePage = {
  service: ServiceSummary;
  uptime30: number | null;
  incidents: (Pick<IncidentSummary, 'id' | 'title' | 'impact' | 'status' | 'startedAt' | 'resolvedAt'>)[];
  backlogHistory: { metric: string; label: string; samples: { count: number; oldestAgeSeconds: number | null; measuredAt: Date }[] }[];
  maintenances: MaintenanceView[];
};

export type HistoryItem = {
  kind: 'incident' | 'maintenance';
  id: string;
  title: Text;
  impact: IncidentImpact | 'maintenance';
  status: IncidentStatus | MaintenanceStatus;
  startedAt: Date;
  endedAt: Date | null;
  durationMs: number | null;
  services: ServiceRef[];
};

export type HistoryPage = {
  months: { key: string; items: HistoryItem[] }[];
  page: number;
  totalPages: number;
};
