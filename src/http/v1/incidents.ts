/** Incidents and their updates. */
import { z } from '@hono/zod-openapi';
import { SERVICE_STATUSES, STATUS_SOURCES } from '../../domain/vocab.ts';
import {
  createIncident,
  getIncidentForEdit,
  listIncidents,
  postIncidentUpdate,
  publishPostmortem,
  resolveIncident,
  updateIncident,
} from '../../services/incidents.ts';
import type { V1App } from './app.ts';
import { defineRoute } from './core.ts';
import { FaqEntry, IncidentImpact, IncidentListItem, IncidentStatus, Milestone, NoticeSummary, milestoneView } from './models.ts';
import { Id, IdParam, LocalizedText, OutTimestamp, ServiceKey, Timestamp, jsonBody, jsonResponse, orNull, out, queryInt } from './schemas.ts';
import { fromWire } from './wire.ts';

const ServiceStatus = z.enum(SERVICE_STATUSES);

const ExpectedVersion = z.number().int().positive().openapi({
  description: 'The incident `version` you read. If someone wrote in between, the request is refused with 409 instead of overwriting their change.',
  example: 3,
});

export const Incident = z
  .object({
    id: Id,
    title: LocalizedText,
    impact: IncidentImpact,
    status: IncidentStatus,
    started_at: OutTimestamp,
    resolved_at: OutTimestamp.nullable(),
    next_update_by: OutTimestamp.nullable().openapi({ description: 'The public promise: the next update comes by then.' }),
    postmortem: orNull(LocalizedText),
    postmortem_at: OutTimestamp.nullable(),
    version: z.number().int().openapi({ description: 'Bumped by every change; send it back as `expected_version`.' }),
    created_at: OutTimestamp,
    updated_at: OutTimestamp,
  })
  .openapi('Incident');

const StatusChange = z.object({ service: ServiceKey, old_status: ServiceStatus.nullable(), new_status: ServiceStatus });

export const IncidentUpdate = z
  .object({
    id: Id,
    incident_id: Id,
    status: IncidentStatus,
    body: LocalizedText.openapi({ description: 'Markdown.' }),
    display_at: OutTimestamp,
    notify: z.boolean(),
    created_at: OutTimestamp,
  })
  .openapi('IncidentUpdate');

const IncidentWithUpdate = z
  .object({ incident: Incident, update: IncidentUpdate })
  .openapi('IncidentWithUpdate', { description: 'The incident after the change, and the update that was posted.' });

const IncidentWithUpdateAndPlan = IncidentWithUpdate.extend({
  open_milestones: z.array(Milestone).openapi({
    description:
      'When this update resolved the incident: the recovery plan\'s milestones still open (neither done nor cancelled), in plan order. Resolving does not close them: they stay on the public page as follow-up work, so mark them done or cancelled if the work is over. Empty otherwise.',
  }),
}).openapi('IncidentWithUpdateAndPlan', { description: 'The incident after the update, the update, and what its recovery plan still has open if it was resolved.' });

const IncidentList = z.object({ items: z.array(IncidentListItem), total: z.number().int() }).openapi('IncidentList');

const IncidentDetail = Incident.extend({
  overdue: z.boolean(),
  allowed_statuses: z.array(IncidentStatus).openapi({ description: 'The statuses the next update may set.' }),
  services: z.array(
    z.object({
      key: ServiceKey,
      name: LocalizedText,
      status: ServiceStatus,
      source: z.enum(STATUS_SOURCES),
      set_by_this_incident: z.boolean(),
    }),
  ),
  updates: z.array(IncidentUpdate.extend({ changes: z.array(StatusChange) })).openapi({ description: 'Newest first.' }),
  milestones: z.array(Milestone),
  faq: z.array(FaqEntry),
  notices: z.array(NoticeSummary),
}).openapi('IncidentDetail');

const AffectedService = z.strictObject({ service: ServiceKey, status: ServiceStatus }).openapi('AffectedService', {
  description: 'A service and the status this update announces for it.',
});

const CreateIncidentBody = z
  .strictObject({
    title: LocalizedText,
    impact: IncidentImpact,
    status: IncidentStatus.optional().openapi({ description: 'Default investigating.' }),
    body: LocalizedText.openapi({ description: 'The first update, in Markdown.' }),
    services: z.array(AffectedService).optional(),
    started_at: Timestamp.optional().openapi({ description: 'Default: now.' }),
    next_update_by: Timestamp.optional(),
    notify: z.boolean().optional().openapi({ description: 'Tell subscribers (default true).' }),
  })
  .openapi('CreateIncident');

const PostUpdateBody = z
  .strictObject({
    status: IncidentStatus,
    body: LocalizedText.openapi({ description: 'Markdown.' }),
    services: z.array(AffectedService).optional().openapi({ description: 'Services whose status this update changes.' }),
    display_at: Timestamp.optional().openapi({ description: 'The time shown on the update (default: now).' }),
    next_update_by: Timestamp.nullable()
      .optional()
      .openapi({ description: 'The next promised update; null clears the promise, absent keeps it. Resolving always clears it.' }),
    impact: IncidentImpact.optional(),
    notify: z.boolean().optional(),
    expected_version: ExpectedVersion.optional(),
  })
  .openapi('PostIncidentUpdate');

const EditIncidentBody = z
  .strictObject({
    expected_version: ExpectedVersion,
    title: LocalizedText.optional(),
    impact: IncidentImpact.optional(),
    next_update_by: Timestamp.nullable().optional(),
  })
  .openapi('EditIncident');

const ResolveBody = z
  .strictObject({
    body: LocalizedText.openapi({ description: 'The resolving update, in Markdown.' }),
    services: z.array(AffectedService).optional().openapi({ description: 'Explicit statuses; they win over the automatic restore.' }),
    restore_services: z.boolean().optional().openapi({
      description:
        'Default true: every service whose current status this incident set goes back to operational (or to what another open incident last announced for it).',
    }),
    display_at: Timestamp.optional(),
    notify: z.boolean().optional(),
    expected_version: ExpectedVersion.optional(),
  })
  .openapi('ResolveIncident');

const PostmortemBody = z
  .strictObject({ body: LocalizedText.openapi({ description: 'Markdown.' }), at: Timestamp.optional() })
  .openapi('PublishPostmortem');

const ListQuery = z.object({
  filter: z.enum(['open', 'closed', 'all']).optional().openapi({ description: 'Default all.' }),
  limit: queryInt(1, 200).optional().openapi({ description: '1–200, default 50.' }),
  offset: queryInt(0, 1_000_000).optional(),
});

export function incidentRoutes(app: V1App) {
  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/incidents',
      tags: ['Incidents'],
      operationId: 'listIncidents',
      summary: 'List incidents',
      description: 'Open incidents first (newest first), then closed ones.',
      request: { query: ListQuery },
      responses: { 200: jsonResponse(IncidentList, 'A page of incidents.') },
    }),
    async (c) => {
      const result = await listIncidents(c.var.ctx, c.req.valid('query'));
      return c.json(out(IncidentList, result), 200);
    },
  );

  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/incidents/{id}',
      tags: ['Incidents'],
      operationId: 'getIncident',
      summary: 'Get an incident',
      description: 'The incident with its updates, affected services, recovery plan, FAQ and notices.',
      request: { params: IdParam },
      responses: { 200: jsonResponse(IncidentDetail, 'The incident.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const detail = await getIncidentForEdit(c.var.ctx, { incidentId: id });
      return c.json(
        out(IncidentDetail, {
          ...detail.incident,
          overdue: detail.overdue,
          allowedStatuses: detail.allowedStatuses,
          services: detail.services,
          updates: detail.updates,
          milestones: detail.milestones.map(milestoneView),
          faq: detail.faq,
          notices: detail.notices,
        }),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/incidents',
      tags: ['Incidents'],
      operationId: 'createIncident',
      summary: 'Open an incident',
      description: 'Creates the incident with its first update and moves the affected services to the statuses given.',
      request: { body: jsonBody(CreateIncidentBody) },
      responses: { 201: jsonResponse(IncidentWithUpdate, 'The incident and its first update.') },
    }),
    async (c) => {
      const result = await createIncident(c.var.ctx, fromWire(c.req.valid('json')));
      return c.json(out(IncidentWithUpdate, result), 201);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'patch',
      path: '/incidents/{id}',
      tags: ['Incidents'],
      operationId: 'editIncident',
      summary: 'Edit an incident',
      description:
        'Changes the title, impact or promised next update without posting an update. `expected_version` is required: a concurrent change answers 409 naming what changed and who changed it.',
      request: { params: IdParam, body: jsonBody(EditIncidentBody) },
      responses: { 200: jsonResponse(Incident, 'The incident after the change.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await updateIncident(c.var.ctx, { ...fromWire(c.req.valid('json')), incidentId: id });
      return c.json(out(Incident, row), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/incidents/{id}/updates',
      tags: ['Incidents'],
      operationId: 'postIncidentUpdate',
      summary: 'Post an update',
      description:
        'Posts an update (texts per language), moves the services listed, and sets or clears the promised next update, all at once. Send `expected_version` so that an update someone else posted meanwhile is not silently followed by yours.',
      request: { params: IdParam, body: jsonBody(PostUpdateBody) },
      responses: { 201: jsonResponse(IncidentWithUpdateAndPlan, 'The incident after the update, the update, and the milestones a resolution left open.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const result = await postIncidentUpdate(c.var.ctx, { ...fromWire(c.req.valid('json')), incidentId: id });
      return c.json(out(IncidentWithUpdateAndPlan, { ...result, openMilestones: result.openMilestones.map(milestoneView) }), 201);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/incidents/{id}/resolve',
      tags: ['Incidents'],
      operationId: 'resolveIncident',
      summary: 'Resolve an incident',
      description:
        'Posts the resolving update and, unless `restore_services` is false, restores the services this incident had moved. Services whose status someone else set since are left alone. Milestones of the recovery plan that are not done or cancelled stay open and public, as follow-up work: the answer lists them in `open_milestones`.',
      request: { params: IdParam, body: jsonBody(ResolveBody) },
      responses: { 200: jsonResponse(IncidentWithUpdateAndPlan, 'The resolved incident, the resolving update and the milestones left open.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const result = await resolveIncident(c.var.ctx, { ...fromWire(c.req.valid('json')), incidentId: id });
      return c.json(out(IncidentWithUpdateAndPlan, { ...result, openMilestones: result.openMilestones.map(milestoneView) }), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/incidents/{id}/postmortem',
      tags: ['Incidents'],
      operationId: 'publishPostmortem',
      summary: 'Publish the postmortem',
      description: 'Only for a resolved incident; moves it to `postmortem`.',
      request: { params: IdParam, body: jsonBody(PostmortemBody) },
      responses: { 200: jsonResponse(Incident, 'The incident with its postmortem.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await publishPostmortem(c.var.ctx, { ...fromWire(c.req.valid('json')), incidentId: id });
      return c.json(out(Incident, row), 200);
    },
  );
}
