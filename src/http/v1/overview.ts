/** What needs attention now, and who changed what: the dashboard and the audit log. */
import { z } from '@hono/zod-openapi';
import { MAINTENANCE_STATUSES, SERVICE_STATUSES, STATUS_SOURCES } from '../../domain/vocab.ts';
import { listAudit } from '../../services/audit.ts';
import { getDashboard } from '../../services/dashboard.ts';
import type { V1App } from './app.ts';
import { defineRoute } from './core.ts';
import { IncidentListItem } from './models.ts';
import { Id, LocalizedText, OutTimestamp, ServiceKey, jsonResponse, out, queryInt } from './schemas.ts';

const Dashboard = z
  .object({
    now: OutTimestamp,
    open_incidents: z.array(IncidentListItem).openapi({ description: 'Overdue promises first, then newest first.' }),
    services_not_operational: z
      .array(
        z.object({
          key: ServiceKey,
          name: LocalizedText,
          status: z.enum(SERVICE_STATUSES),
          source: z.enum(STATUS_SOURCES),
          since: OutTimestamp,
          heartbeat_overdue: z.boolean(),
        }),
      )
      .openapi({ description: 'Worst first (under maintenance and overdue heartbeats included).' }),
    maintenance: z
      .array(
        z.object({
          id: Id,
          title: LocalizedText,
          status: z.enum(MAINTENANCE_STATUSES),
          scheduled_start: OutTimestamp,
          scheduled_end: OutTimestamp,
          service_keys: z.array(ServiceKey),
        }),
      )
      .openapi({ description: 'Running now, then starting within 7 days.' }),
    counts: z.object({
      open_incidents: z.number().int(),
      overdue_incidents: z.number().int(),
      services: z.number().int(),
      services_not_operational: z.number().int(),
      heartbeats_overdue: z.number().int(),
      maintenance_in_progress: z.number().int(),
      maintenance_upcoming: z.number().int(),
      open_notices: z.number().int(),
    }),
  })
  .openapi('Dashboard');

const AuditEntry = z
  .object({
    id: Id,
    actor: z.string().openapi({ description: 'Who: `operator:<id>`, `token:<id>`, `system:<job>`.', example: 'token:k3v9q2m7x1' }),
    action: z.string().openapi({ example: 'incident.update' }),
    object_type: z.string().openapi({ example: 'incident' }),
    object_id: Id,
    before: z.unknown().openapi({ description: 'The object before the change (null for a creation).' }),
    after: z.unknown().openapi({ description: 'The object after the change.' }),
    at: OutTimestamp,
  })
  .openapi('AuditEntry');

const AuditPage = z
  .object({
    items: z.array(AuditEntry).openapi({ description: 'Newest first.' }),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `before` for the next page; null on the last page.' }),
  })
  .openapi('AuditPage');

const AuditQuery = z.object({
  object_type: z.string().min(1).max(64).optional().openapi({ example: 'incident' }),
  object_id: z.string().min(1).max(64).optional(),
  actor: z.string().min(1).max(128).optional().openapi({ example: 'token:k3v9q2m7x1' }),
  before: z.string().max(200).optional().openapi({ description: 'The `next_cursor` of the previous page.' }),
  limit: queryInt(1, 200).optional().openapi({ description: '1–200, default 50.' }),
});

export function overviewRoutes(app: V1App) {
  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/dashboard',
      tags: ['Overview'],
      operationId: 'getDashboard',
      summary: 'What needs attention now',
      description: 'Open incidents (overdue promises first), services not operational, current and upcoming maintenance, and counts.',
      responses: { 200: jsonResponse(Dashboard, 'The dashboard.') },
    }),
    async (c) => c.json(out(Dashboard, await getDashboard(c.var.ctx)), 200),
  );

  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/audit',
      tags: ['Overview'],
      operationId: 'listAuditLog',
      summary: 'Read the audit log',
      description:
        'Every change with who made it and the object before and after, newest first, filtered by object and/or actor. The history of operators and tokens is shown to `admin` tokens only.',
      request: { query: AuditQuery },
      responses: { 200: jsonResponse(AuditPage, 'A page of the log.') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await listAudit(c.var.ctx, {
        objectType: q.object_type,
        objectId: q.object_id,
        actor: q.actor,
        before: q.before,
        limit: q.limit,
      });
      return c.json(out(AuditPage, page), 200);
    },
  );
}
