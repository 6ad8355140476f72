/**
 * Atlassian Statuspage public API v2 responses, written from Statuspage's documentation (the "API" page every
 * Statuspage-hosted page publishes, e.g. <page>/api, and OpenAPI descriptions of hosted pages such as
 * status.mongodb.com/api/v2): field names, JSON types and value vocabularies.
 *
 * Strict: every documented field is required with its documented type, and no other field may appear except
 * the ones Vedetta adds on purpose (`vedetta` extras; `components` on group components, as Statuspage does).
 */
import { z } from 'zod';

const dateTime = z.iso.datetime({ offset: true });
const id = z.string().min(1);

export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export const INDICATORS = ['none', 'minor', 'major', 'critical'] as const;

/** What Vedetta adds; free-form for this schema (its own tests check it). */
const extra = z.record(z.string(), z.unknown()).optional();

export const Page = z.strictObject({
  id,
  name: z.string().min(1),
  url: z.url(),
  time_zone: z.string().min(1),
  updated_at: dateTime,
});

export const Status = z.strictObject({
  indicator: z.enum(INDICATORS),
  description: z.string().min(1),
});

export const Component = z.strictObject({
  id,
  name: z.string().min(1),
  status: z.enum(COMPONENT_STATUSES),
  created_at: dateTime,
  updated_at: dateTime,
  position: z.number().int(),
  description: z.string().nullable(),
  showcase: z.boolean(),
  start_date: z.iso.date().nullable(),
  group_id: id.nullable(),
  page_id: id,
  group: z.boolean(),
  only_show_if_degraded: z.boolean(),
  /** Group components only: the ids of their members. */
  components: z.array(id).optional(),
  vedetta: extra,
});

export const AffectedComponent = z.strictObject({
  code: id,
  name: z.string().min(1),
  old_status: z.enum(COMPONENT_STATUSES),
  new_status: z.enum(COMPONENT_STATUSES),
});

const update = (statuses: readonly [string, ...string[]]) =>
  z.strictObject({
    id,
    status: z.enum(statuses),
    body: z.string(),
    incident_id: id,
    created_at: dateTime,
    updated_at: dateTime,
    display_at: dateTime.nullable(),
    affected_components: z.array(AffectedComponent).nullable(),
    deliver_notifications: z.boolean(),
    custom_tweet: z.string().nullable(),
    tweet_id: z.string().nullable(),
    vedetta: extra,
  });

export const IncidentUpdate = update(INCIDENT_STATUSES);

export const Incident = z.strictObject({
  id,
  name: z.string().min(1),
  status: z.enum(INCIDENT_STATUSES),
  created_at: dateTime,
  updated_at: dateTime,
  monitoring_at: dateTime.nullable(),
  resolved_at: dateTime.nullable(),
  impact: z.enum(['none', 'minor', 'major', 'critical']),
  shortlink: z.url(),
  started_at: dateTime,
  page_id: id,
  incident_updates: z.array(IncidentUpdate),
  components: z.array(Component),
  vedetta: extra,
});

export const ScheduledMaintenance = z.strictObject({
  ...Incident.shape,
  status: z.enum(MAINTENANCE_STATUSES),
  impact: z.enum(['none', 'minor', 'major', 'critical', 'maintenance']),
  incident_updates: z.array(update(MAINTENANCE_STATUSES)),
  scheduled_for: dateTime,
  scheduled_until: dateTime,
});

export const SummaryResponse = z.strictObject({
  page: Page,
  components: z.array(Component),
  incidents: z.array(Incident),
  scheduled_maintenances: z.array(ScheduledMaintenance),
  status: Status,
  vedetta: extra,
});
export const StatusResponse = z.strictObject({ page: Page, status: Status });
export const ComponentsResponse = z.strictObject({ page: Page, components: z.array(Component) });
export const IncidentsResponse = z.strictObject({ page: Page, incidents: z.array(Incident) });
export const MaintenancesResponse = z.strictObject({ page: Page, scheduled_maintenances: z.array(ScheduledMaintenance) });

export const ENDPOINTS = {
  '/api/v2/summary.json': SummaryResponse,
  '/api/v2/status.json': StatusResponse,
  '/api/v2/components.json': ComponentsResponse,
  '/api/v2/incidents.json': IncidentsResponse,
  '/api/v2/incidents/unresolved.json': IncidentsResponse,
  '/api/v2/scheduled-maintenances.json': MaintenancesResponse,
  '/api/v2/scheduled-maintenances/upcoming.json': MaintenancesResponse,
  '/api/v2/scheduled-maintenances/active.json': MaintenancesResponse,
} as const;
