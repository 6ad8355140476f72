/** Response schemas used by more than one resource (kept apart from the route files to avoid import cycles). */
import { z } from '@hono/zod-openapi';
import { INCIDENT_IMPACTS, INCIDENT_STATUSES, MILESTONE_STATES } from '../../domain/vocab.ts';
import { Id, LocalizedText, OutTimestamp, ServiceKey, orNull } from './schemas.ts';

export const IncidentStatus = z.enum(INCIDENT_STATUSES).openapi('IncidentStatus', {
  description: 'investigating → identified → monitoring → resolved → postmortem (statuses may be skipped; resolved may reopen).',
});
export const IncidentImpact = z.enum(INCIDENT_IMPACTS).openapi('IncidentImpact');

export const IncidentListItem = z
  .object({
    id: Id,
    title: LocalizedText,
    impact: IncidentImpact,
    status: IncidentStatus,
    started_at: OutTimestamp,
    resolved_at: OutTimestamp.nullable(),
    next_update_by: OutTimestamp.nullable(),
    version: z.number().int(),
    updated_at: OutTimestamp,
    open: z.boolean(),
    overdue: z.boolean().openapi({ description: 'Open and the promised next update is late.' }),
    last_update_at: OutTimestamp.nullable(),
    update_count: z.number().int(),
    service_keys: z.array(ServiceKey),
  })
  .openapi('IncidentListItem');

export const MilestoneState = z.enum(MILESTONE_STATES).openapi('MilestoneState', {
  description: 'planned → in_progress → done; planned/in_progress → delayed (with a new date and a reason) → in_progress/done; any open state → cancelled.',
});

export const Milestone = z
  .object({
    id: Id,
    incident_id: Id,
    service: ServiceKey.nullable().openapi({ description: 'The service this step restores, if any.' }),
    title: LocalizedText,
    description: orNull(LocalizedText),
    state: MilestoneState,
    expected_at: OutTimestamp.nullable(),
    actual_at: OutTimestamp.nullable(),
    delay_reason: orNull(LocalizedText),
    sort_order: z.number().int(),
    created_at: OutTimestamp,
    updated_at: OutTimestamp,
  })
  .openapi('Milestone');

/** A milestone row as the services return it, with the service key when they know it. */
export function milestoneView<M extends { serviceKey?: string | null }>(m: M) {
  return { ...m, service: m.serviceKey ?? null };
}

export const FaqEntry = z
  .object({
    id: Id,
    incident_id: Id,
    slug: z.string().openapi({ description: 'Stable anchor on the incident page (`#slug`).' }),
    question: LocalizedText,
    answer: LocalizedText.openapi({ description: 'Markdown.' }),
    sort_order: z.number().int(),
    created_at: OutTimestamp,
    updated_at: OutTimestamp,
  })
  .openapi('FaqEntry');

export const NoticeWindow = z
  .object({
    scope: LocalizedText.openapi({ description: 'Which data this window is about ("most areas", "some areas").' }),
    restored_until: OutTimestamp.openapi({ description: 'Data is complete up to this instant...' }),
    gap_ends_at: OutTimestamp.nullable().openapi({ description: '...and missing until this one (null: until further notice).' }),
    pending: z.boolean().openapi({ description: 'The restore has not happened yet: `restored_until` is how far it is expected to go.' }),
  })
  .openapi('NoticeWindow');

export const NoticeSummary = z
  .object({
    id: Id,
    incident_id: Id.nullable(),
    title: LocalizedText,
    body: orNull(LocalizedText),
    audience: orNull(LocalizedText).openapi({ description: 'Who is concerned.' }),
    action: orNull(LocalizedText).openapi({ description: 'What readers must do.' }),
    published_at: OutTimestamp,
    closed_at: OutTimestamp.nullable(),
    created_at: OutTimestamp,
  })
  .openapi('NoticeSummary');
