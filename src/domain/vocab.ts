/**
 * The value vocabularies of the product, as plain tuples: zod schemas, Drizzle columns and the
 * Statuspage-compatible API all derive from these, so a value cannot be valid in one place only.
 */
export const LOCALES = ['it', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'it';

/** Statuspage component statuses, ordered from best to worst (maintenance is set apart in the rollup). */
export const SERVICE_STATUSES = [
  'operational',
  'under_maintenance',
  'degraded_performance',
  'partial_outage',
  'major_outage',
] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

/** Where a status interval came from. */
export const STATUS_SOURCES = ['manual', 'incident', 'heartbeat', 'maintenance'] as const;
export type StatusSource = (typeof STATUS_SOURCES)[number];

/** Statuspage page indicator. */
export const INDICATORS = ['none', 'minor', 'major', 'critical'] as const;
export type Indicator = (typeof INDICATORS)[number];

export const INCIDENT_IMPACTS = ['none', 'minor', 'major', 'critical'] as const;
export type IncidentImpact = (typeof INCIDENT_IMPACTS)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

export const MILESTONE_STATES = ['planned', 'in_progress', 'done', 'delayed', 'cancelled'] as const;
export type MilestoneState = (typeof MILESTONE_STATES)[number];

/** Text written per locale; Italian is always present, other locales fall back to it. */
export type LocalizedText = { it: string } & Partial<Record<Exclude<Locale, 'it'>, string>>;

/** admin: everything; editor: incidents, services, maintenance, plan, notices, FAQ; viewer: read-only. */
export const OPERATOR_ROLES = ['admin', 'editor', 'viewer'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** API token scopes, each including the ones before it. */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** What readers, subscribers and partner systems are told about; also the webhook event names. */
export const EVENT_TYPES = [
  'incident.created',
  'incident.updated',
  'incident.resolved',
  'incident.postmortem',
  'milestone.updated',
  'notice.published',
  'maintenance.scheduled',
  'maintenance.started',
  'maintenance.completed',
  'service.status_changed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
