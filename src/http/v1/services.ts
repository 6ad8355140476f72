/** Services (the status page's components): catalogue, manual status, and the automation inputs. */
import { z } from '@hono/zod-openapi';
import { SERVICE_STATUSES, STATUS_SOURCES } from '../../domain/vocab.ts';
import {
  createService,
  getServiceForEdit,
  listServices,
  recordBacklogSample,
  setServiceStatus,
  updateService,
} from '../../services/catalog.ts';
import { recordHeartbeat } from '../../services/heartbeats.ts';
import type { V1App } from './app.ts';
import { defineRoute } from './core.ts';
import { KeyParam, LocalizedText, OutTimestamp, ServiceKey, Timestamp, jsonBody, jsonResponse, orNull, out } from './schemas.ts';
import { fromWire } from './wire.ts';

const ServiceStatus = z.enum(SERVICE_STATUSES).openapi('ServiceStatus', {
  description: 'Statuspage-compatible component status, from best to worst (under_maintenance is set apart).',
});

export const Service = z
  .object({
    id: z.string(),
    key: ServiceKey,
    name: LocalizedText,
    description: orNull(LocalizedText),
    group_name: orNull(LocalizedText),
    sort_order: z.number().int(),
    available_from: OutTimestamp.nullable().openapi({ description: 'A temporary service is shown only from here...' }),
    available_until: OutTimestamp.nullable().openapi({ description: '...until here.' }),
    heartbeat_timeout_seconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Without a heartbeat for this long the service turns major_outage; null: no heartbeat watch.' }),
    last_heartbeat_at: OutTimestamp.nullable(),
    created_at: OutTimestamp,
  })
  .openapi('Service');

const ServiceWithStatus = Service.extend({
  status: ServiceStatus,
  status_source: z.enum(STATUS_SOURCES).openapi({ description: 'What set the current status.' }),
  status_since: OutTimestamp,
  heartbeat_overdue: z.boolean().openapi({ description: 'The service has a heartbeat timeout and its last heartbeat is older than that.' }),
}).openapi('ServiceWithStatus');

const ServiceList = z.object({ items: z.array(ServiceWithStatus).openapi({ description: 'In page order.' }) }).openapi('ServiceList');

const EditServiceBody = z
  .strictObject({
    name: LocalizedText.optional(),
    description: orNull(LocalizedText).optional(),
    group_name: orNull(LocalizedText).optional(),
    sort_order: z.number().int().optional(),
    available_from: Timestamp.nullable().optional(),
    available_until: Timestamp.nullable().optional(),
    heartbeat_timeout_seconds: z
      .number()
      .int()
      .min(10)
      .max(7 * 86_400)
      .nullable()
      .optional()
      .openapi({ description: 'Seconds without a heartbeat before the service turns major_outage on its own; null switches the watch off.' }),
  })
  .openapi('EditService', { description: 'The key never changes: it is in public URLs and in every automation.' });

const CreateServiceBody = z
  .strictObject({
    key: ServiceKey,
    name: LocalizedText,
    description: LocalizedText.optional(),
    group_name: LocalizedText.optional(),
    sort_order: z.number().int().optional(),
    status: ServiceStatus.optional().openapi({ description: 'Initial status (default operational).' }),
    available_from: Timestamp.optional(),
    available_until: Timestamp.optional(),
    since: Timestamp.optional().openapi({ description: 'When the status history starts (default: now).' }),
  })
  .openapi('CreateService');

const StatusChange = z
  .object({
    service: ServiceKey,
    old_status: orNull(ServiceStatus).openapi({ description: 'null when the service had no status yet.' }),
    new_status: ServiceStatus,
    changed: z.boolean().openapi({ description: 'false when the service already had this status (nothing was written).' }),
  })
  .openapi('ServiceStatusChange');

const SetStatusBody = z
  .strictObject({
    status: ServiceStatus,
    at: Timestamp.optional().openapi({ description: 'When the change happened (default: now); not before the current status began.' }),
  })
  .openapi('SetServiceStatus');

const BacklogBody = z
  .strictObject({
    metric: z
      .string()
      .regex(/^[a-z0-9_.-]{1,64}$/, 'lower-case letters, digits, dots, dashes and underscores')
      .openapi({ description: 'Stable name of the queue being measured.', example: 'invoices_to_import' }),
    label: LocalizedText.openapi({ description: 'What readers see next to the figure.' }),
    count: z.number().int().min(0).openapi({ description: 'Items still waiting.', example: 1840 }),
    oldest_age_s: z.number().int().min(0).optional().openapi({ description: 'Age in seconds of the oldest waiting item.', example: 5400 }),
    measured_at: Timestamp.optional().openapi({ description: 'When the figure was measured (default: now).' }),
  })
  .openapi('BacklogSampleInput');

const BacklogSample = z
  .object({
    id: z.string(),
    service: ServiceKey,
    metric: z.string(),
    label: LocalizedText,
    count: z.number().int(),
    oldest_age_s: z.number().int().nullable(),
    measured_at: OutTimestamp,
  })
  .openapi('BacklogSample');

const HeartbeatResult = z
  .object({
    service: ServiceKey,
    last_heartbeat_at: OutTimestamp,
    heartbeat_timeout_seconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The watch configured on the service; null: heartbeats are recorded but nothing turns it down.' }),
    restored: z
      .object({ from: ServiceStatus, to: ServiceStatus })
      .nullable()
      .openapi({ description: 'Set when this heartbeat ended an outage that missing heartbeats had caused.' }),
  })
  .openapi('HeartbeatResult');

export function serviceRoutes(app: V1App) {
  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/services',
      tags: ['Services'],
      operationId: 'listServices',
      summary: 'List services',
      description: 'Every service (temporary ones too, shown or not), with its current status.',
      responses: { 200: jsonResponse(ServiceList, 'The services.') },
    }),
    async (c) => c.json(out(ServiceList, { items: await listServices(c.var.ctx) }), 200),
  );

  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/services/{key}',
      tags: ['Services'],
      operationId: 'getService',
      summary: 'Get a service',
      request: { params: KeyParam },
      responses: { 200: jsonResponse(ServiceWithStatus, 'The service.') },
    }),
    async (c) => c.json(out(ServiceWithStatus, await getServiceForEdit(c.var.ctx, { service: c.req.valid('param').key })), 200),
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/services',
      tags: ['Services'],
      operationId: 'createService',
      summary: 'Create a service',
      request: { body: jsonBody(CreateServiceBody) },
      responses: { 201: jsonResponse(Service, 'The new service.') },
    }),
    async (c) => {
      const row = await createService(c.var.ctx, fromWire(c.req.valid('json')));
      return c.json(out(Service, row), 201);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'patch',
      path: '/services/{key}',
      tags: ['Services'],
      operationId: 'editService',
      summary: 'Edit a service',
      description: 'Names, description, group, order, temporary window, heartbeat timeout. An absent field keeps its value; null clears it.',
      request: { params: KeyParam, body: jsonBody(EditServiceBody) },
      responses: { 200: jsonResponse(ServiceWithStatus, 'The service after the change.') },
    }),
    async (c) => {
      const { key } = c.req.valid('param');
      await updateService(c.var.ctx, { ...fromWire(c.req.valid('json')), service: key });
      return c.json(out(ServiceWithStatus, await getServiceForEdit(c.var.ctx, { service: key })), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/services/{key}/status',
      tags: ['Services'],
      operationId: 'setServiceStatus',
      summary: "Set a service's status",
      description:
        'A manual status change, outside any incident (use incident updates to change statuses as part of an incident).',
      request: { params: KeyParam, body: jsonBody(SetStatusBody) },
      responses: { 200: jsonResponse(StatusChange, 'The change (or no change).') },
    }),
    async (c) => {
      const { key } = c.req.valid('param');
      const body = c.req.valid('json');
      const change = await setServiceStatus(c.var.ctx, { service: key, status: body.status, at: body.at, source: 'manual' });
      return c.json(
        out(StatusChange, {
          service: key,
          oldStatus: change.oldStatus,
          newStatus: change.newStatus,
          changed: change.oldStatus !== change.newStatus,
        }),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/services/{key}/backlog',
      tags: ['Automation'],
      operationId: 'reportBacklog',
      summary: 'Report a backlog figure',
      description:
        'A queue figure measured by the service itself (invoices still to import, receipts to match...). The page shows the latest figure per metric and its history.',
      request: { params: KeyParam, body: jsonBody(BacklogBody) },
      responses: { 201: jsonResponse(BacklogSample, 'The recorded sample.') },
    }),
    async (c) => {
      const { key } = c.req.valid('param');
      const body = c.req.valid('json');
      const row = await recordBacklogSample(c.var.ctx, {
        service: key,
        metric: body.metric,
        label: body.label,
        count: body.count,
        oldestAgeSeconds: body.oldest_age_s,
        measuredAt: body.measured_at,
      });
      return c.json(out(BacklogSample, { ...row, service: key, oldest_age_s: row.oldestAgeSeconds }), 201);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/services/{key}/heartbeat',
      tags: ['Automation'],
      operationId: 'sendHeartbeat',
      summary: 'Send a heartbeat',
      description:
        'Tells the page the service is alive; no body is needed. When the service has a heartbeat timeout and the heartbeats stop for longer than it, the service turns major_outage on its own; the next heartbeat undoes that (and only that: a status set by an incident or by hand stays). The watch is armed by the first heartbeat.',
      request: { params: KeyParam },
      responses: { 200: jsonResponse(HeartbeatResult, 'Recorded.') },
    }),
    async (c) => {
      const { key } = c.req.valid('param');
      const result = await recordHeartbeat(c.var.ctx, { service: key });
      return c.json(out(HeartbeatResult, { ...result.service, service: key, restored: result.restored }), 200);
    },
  );
}
