import { z } from 'zod';
import {
  INCIDENT_IMPACTS,
  INCIDENT_STATUSES,
  MAINTENANCE_STATUSES,
  MILESTONE_STATES,
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

export const CreateIncidentInput = z.object({
  title: Localized(200),
  impact: z.enum(INCIDENT_IMPACTS),
  status: z.enum(INCIDENT_STATUSES).default('investigating'),
  body: Localized(),
  services: z.array(AffectedService).default([]),
  startedAt: instant.optional(),
  nextUpdateBy: instant.optional(),
  notify: z.boolean().default(true),
});

export const PostIncidentUpdateInput = z.object({
  incidentId: z.string().min(1),
  status: z.enum(INCIDENT_STATUSES),
  body: Localized(),
  services: z.array(AffectedService).default([]),
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
});

export const ChangeMilestoneInput = z.object({
  milestoneId: z.string().min(1),
  state: z.enum(MILESTONE_STATES),
  expectedAt: instant.optional(),
  actualAt: instant.optional(),
  delayReason: Localized(1000).optional(),
});

const GapWindow = z
  .object({ scope: Localized(200), restoredUntil: instant, gapEndsAt: instant.optional() })
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
  })
  .refine((m) => m.scheduledEnd > m.scheduledStart, { message: 'must be after scheduledStart', path: ['scheduledEnd'] });

export type In<S extends z.ZodType> = z.input<S>;

export const PublishPostmortemInput = z.object({
  incidentId: z.string().min(1),
  body: Localized(),
  at: instant.optional(),
});
