import { z } from 'zod';
import {
  INCIDENT_IMPACTS,
  INCIDENT_STATUSES,
  MAINTENANCE_STATUSES,
  MILESTONE_STATES,
  OPERATOR_ROLES,
  SERVICE_STATUSES,
  STATUS_SOURCES,
} from '../domain/vocab.ts';

/** Input schemas shared by the services, the JSON API and the console forms. */
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => (v ? v : undefined));

export const Localized = (max = 20_000) => z.object({ it: text(max), en: optionalText(max) });
export const ServiceKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lower-case letters, digits and dashes, up to 48 characters');
const instant = z.coerce.date({ message: 'must be a date-time (ISO 8601)' });

export const CreateServiceInput = z
  .object({
    key: ServiceKey,
    name: Localized(120),
    description: Localized(1000).optional(),
    groupName: Localized(120).optional(),
    sortOrder: z.number().int().default(0),
    status: z.enum(SERVICE_STATUSES).default('operational'),
    availableFrom: instant.optional(),
    availableUntil: instant.optional(),
    /** When the status history starts (defaults to now). */
    since: instant.optional(),
  })
  .refine((s) => !s.availableFrom || !s.availableUntil || s.availableFrom < s.availableUntil, {
    message: 'must be after availableFrom',
    path: ['availableUntil'],
  });

export const SetServiceStatusInput = z.object({
  service: ServiceKey,
  status: z.enum(SERVICE_STATUSES),
  source: z.enum(STATUS_SOURCES).default('manual'),
  at: instant.optional(),
  incidentId: z.string().optional(),
  maintenanceId: z.string().optional(),
});

const AffectedService = z.object({ service: ServiceKey, status: z.enum(SERVICE_STATUSES) });
/** One status per service and update: a service listed twice would otherwise fail in the database. */
const AffectedServices = z
  .array(AffectedService)
  .refine((list) => new Set(list.map((s) => s.service)).size === list.length, { message: 'a service is listed twice' })
  .default([]);

export const CreateIncidentInput = z.object({
  title: Localized(200),
  impact: z.enum(INCIDENT_IMPACTS),
  status: z.enum(INCIDENT_STATUSES).default('investigating'),
  body: Localized(),
  services: AffectedServices,
  startedAt: instant.optional(),
  nextUpdateBy: instant.optional(),
  notify: z.boolean().default(true),
});

export const PostIncidentUpdateInput = z.object({
  incidentId: z.string().min(1),
  status: z.enum(INCIDENT_STATUSES),
  body: Localized(),
  services: AffectedServices,
  displayAt: instant.optional(),
  /** null clears the promise (e.g. on resolution); absent keeps the current one. */
  nextUpdateBy: instant.nullable().optional(),
  impact: z.enum(INCIDENT_IMPACTS).optional(),
  notify: z.boolean().default(true),
  /** The incident version the author saw; a newer one means someone else wrote in between. */
  expectedVersion: z.number().int().positive().optional(),
});

export const AddMilestoneInput = z.object({
  incidentId: z.string().min(1),
  title: Localized(200),
  description: Localized(2000).optional(),
  service: ServiceKey.optional(),
  state: z.enum(MILESTONE_STATES).default('planned'),
  expectedAt: instant.optional(),
  actualAt: instant.optional(),
  sortOrder: z.number().int().optional(),
  /** E-mail subscribers about it (readers of the page and the feeds see it either way). */
  notify: z.boolean().default(true),
});

export const ChangeMilestoneInput = z.object({
  milestoneId: z.string().min(1),
  state: z.enum(MILESTONE_STATES),
  expectedAt: instant.optional(),
  actualAt: instant.optional(),
  delayReason: Localized(1000).optional(),
  notify: z.boolean().default(true),
});

const GapWindow = z
  .object({
    scope: Localized(200),
    restoredUntil: instant,
    gapEndsAt: instant.optional(),
    /** The restore has not happened yet: restoredUntil is how far it is expected to go. */
    pending: z.boolean().default(false),
  })
  .refine((w) => !w.gapEndsAt || w.gapEndsAt > w.restoredUntil, {
    message: 'must be after restoredUntil',
    path: ['gapEndsAt'],
  });

export const PublishNoticeInput = z.object({
  incidentId: z.string().optional(),
  title: Localized(200),
  body: Localized().optional(),
  audience: Localized(1000).optional(),
  action: Localized(4000).optional(),
  services: z.array(ServiceKey).default([]),
  windows: z.array(GapWindow).min(1, 'at least one restored-up-to window'),
  publishedAt: instant.optional(),
  notify: z.boolean().default(true),
});

export const AddFaqEntryInput = z.object({
  incidentId: z.string().min(1),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'lower-case letters, digits and dashes').optional(),
  question: Localized(500),
  answer: Localized(),
  sortOrder: z.number().int().optional(),
});

export const BacklogSampleInput = z.object({
  service: ServiceKey,
  metric: z.string().regex(/^[a-z0-9_.-]{1,64}$/, 'lower-case letters, digits, dots, dashes and underscores'),
  label: Localized(120),
  count: z.number().int().min(0),
  oldestAgeSeconds: z.number().int().min(0).optional(),
  measuredAt: instant.optional(),
});

export const ScheduleMaintenanceInput = z
  .object({
    title: Localized(200),
    body: Localized().optional(),
    services: z.array(ServiceKey).min(1, 'at least one service'),
    scheduledStart: instant,
    scheduledEnd: instant,
    status: z.enum(MAINTENANCE_STATUSES).default('scheduled'),
    /** E-mail subscribers now and when the window starts and completes (readers of the page and the feeds see it either way). */
    notify: z.boolean().default(true),
  })
  .refine((m) => m.scheduledEnd > m.scheduledStart, { message: 'must be after scheduledStart', path: ['scheduledEnd'] });

export type In<S extends z.ZodType> = z.input<S>;

export const PublishPostmortemInput = z.object({
  incidentId: z.string().min(1),
  body: Localized(),
  at: instant.optional(),
});

// ---------------------------------------------------------------------------------------------------------
// Operator console and automation. In every "update" input an absent field keeps its value and, where the
// column is optional, null clears it.

const Id = z.string().trim().min(1, 'required').max(64);
const OrderedIds = z
  .array(Id)
  .min(1, 'at least one id')
  .refine((ids) => new Set(ids).size === ids.length, { message: 'an id appears twice' });

export const UpdateServiceInput = z
  .object({
    /** The service to change, by key (keys appear in public URLs and do not change). */
    service: ServiceKey,
    name: Localized(120).optional(),
    description: Localized(1000).nullable().optional(),
    groupName: Localized(120).nullable().optional(),
    sortOrder: z.number().int().optional(),
    availableFrom: instant.nullable().optional(),
    availableUntil: instant.nullable().optional(),
    /** Seconds without a heartbeat before the service turns major_outage on its own; null switches it off. */
    heartbeatTimeoutSeconds: z.number().int().min(10, 'at least 10 seconds').max(7 * 86_400, 'at most 7 days').nullable().optional(),
  })
  .refine((s) => !s.availableFrom || !s.availableUntil || s.availableFrom < s.availableUntil, {
    message: 'must be after availableFrom',
    path: ['availableUntil'],
  });

export const HeartbeatInput = z.object({ service: ServiceKey });

export const UpdateIncidentInput = z.object({
  incidentId: Id,
  /** Required: the version shown in the form; someone else's write in between is refused, naming what changed. */
  expectedVersion: z.number().int().positive(),
  title: Localized(200).optional(),
  impact: z.enum(INCIDENT_IMPACTS).optional(),
  nextUpdateBy: instant.nullable().optional(),
});

export const ResolveIncidentInput = z.object({
  incidentId: Id,
  body: Localized(),
  /** Explicit statuses for some services; they win over the automatic restore. */
  services: AffectedServices,
  /**
   * true (default): every service whose current status was set by this incident goes back to operational
   * (or to what another open incident last announced for it). false: statuses stay as they are.
   */
  restoreServices: z.boolean().default(true),
  displayAt: instant.optional(),
  notify: z.boolean().default(true),
  expectedVersion: z.number().int().positive().optional(),
});

export const ListIncidentsInput = z.object({
  filter: z.enum(['open', 'closed', 'all']).default('all'),
  limit: z.number().int().min(1).max(200).default(50),
  offset: z.number().int().min(0).default(0),
});

export const UpdateMilestoneInput = z.object({
  milestoneId: Id,
  title: Localized(200).optional(),
  description: Localized(2000).nullable().optional(),
  /** A service key, or null to detach the milestone from any service. */
  service: ServiceKey.nullable().optional(),
  expectedAt: instant.nullable().optional(),
  /** E-mail subscribers about a new expected date. */
  notify: z.boolean().default(true),
});

export const ReorderInput = z.object({ incidentId: Id, orderedIds: OrderedIds });

export const UpdateFaqEntryInput = z.object({
  faqId: Id,
  question: Localized(500).optional(),
  answer: Localized().optional(),
  /** Changing the anchor breaks links partners already shared: allowed, but only on purpose. */
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'lower-case letters, digits and dashes').optional(),
});

export const UpdateNoticeInput = z.object({
  noticeId: Id,
  title: Localized(200).optional(),
  body: Localized().nullable().optional(),
  audience: Localized(1000).nullable().optional(),
  action: Localized(4000).nullable().optional(),
  /** Replaces the list of services. */
  services: z.array(ServiceKey).optional(),
  /** Replaces every window. */
  windows: z.array(GapWindow).min(1, 'at least one restored-up-to window').optional(),
  /** E-mail subscribers when the edit completes a restore the notice announced as still expected. */
  notify: z.boolean().default(true),
});

export const MaintenanceStepInput = z.object({
  maintenanceId: Id,
  /** When it happened (defaults to now); never in the future. */
  at: instant.optional(),
});

export const UpdateMaintenanceInput = z
  .object({
    maintenanceId: Id,
    title: Localized(200).optional(),
    body: Localized().nullable().optional(),
    /** Only while scheduled: a running window keeps its services. */
    services: z.array(ServiceKey).min(1, 'at least one service').optional(),
    scheduledStart: instant.optional(),
    scheduledEnd: instant.optional(),
    /** E-mail subscribers about the window's next steps (a move announced by this edit included). */
    notify: z.boolean().optional(),
  })
  .refine((m) => !m.scheduledStart || !m.scheduledEnd || m.scheduledEnd > m.scheduledStart, {
    message: 'must be after scheduledStart',
    path: ['scheduledEnd'],
  });

export const ListMaintenancesInput = z.object({
  filter: z.enum(['active', 'past', 'all']).default('active'),
  limit: z.number().int().min(1).max(200).default(50),
});

export const UpdateOperatorInput = z.object({
  operatorId: Id,
  name: z.string().trim().min(1).max(120).optional(),
  role: z.enum(OPERATOR_ROLES).optional(),
  /** true disables (and signs out everywhere), false enables again. */
  disabled: z.boolean().optional(),
});

export const ListAuditInput = z.object({
  objectType: z.string().trim().min(1).max(64).optional(),
  objectId: z.string().trim().min(1).max(64).optional(),
  /** As recorded: "operator:<id>", "token:<id>", "system:scheduler"... */
  actor: z.string().trim().min(1).max(128).optional(),
  /** The `nextCursor` of the previous page. */
  before: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
