/** Planned maintenance windows. */
import { z } from '@hono/zod-openapi';
import { MAINTENANCE_STATUSES, SERVICE_STATUSES } from '../../domain/vocab.ts';
import {
  completeMaintenance,
  getMaintenanceForEdit,
  listMaintenances,
  scheduleMaintenance,
  startMaintenance,
  updateMaintenance,
  verifyMaintenance,
} from '../../services/maintenance.ts';
import type { Ctx } from '../../services/context.ts';
import type { V1App } from './app.ts';
import { defineRoute } from './core.ts';
import { Id, IdParam, LocalizedText, OutTimestamp, ServiceKey, Timestamp, jsonBody, jsonResponse, orNull, out, queryInt } from './schemas.ts';
import { fromWire } from './wire.ts';

const MaintenanceStatus = z.enum(MAINTENANCE_STATUSES).openapi('MaintenanceStatus', {
  description: 'scheduled → in_progress → verifying → completed. A window starts and completes on its own at the scheduled times.',
});
const ServiceStatus = z.enum(SERVICE_STATUSES);

const Maintenance = z
  .object({
    id: Id,
    title: LocalizedText,
    body: orNull(LocalizedText),
    status: MaintenanceStatus,
    scheduled_start: OutTimestamp,
    scheduled_end: OutTimestamp,
    started_at: OutTimestamp.nullable(),
    completed_at: OutTimestamp.nullable(),
    notify: z.boolean().openapi({ description: 'Subscribers are e-mailed about its steps (scheduled, moved, started, completed).' }),
    created_at: OutTimestamp,
    updated_at: OutTimestamp,
    services: z.array(
      z.object({
        key: ServiceKey,
        name: LocalizedText,
        status: ServiceStatus.openapi({ description: 'The status now.' }),
        previous_status: ServiceStatus.nullable().openapi({ description: 'What completing the window restores.' }),
        held_by_this_window: z.boolean(),
      }),
    ),
    allowed_next: z.array(MaintenanceStatus),
  })
  .openapi('Maintenance');

const MaintenanceList = z.object({ items: z.array(Maintenance) }).openapi('MaintenanceList');

const ScheduleBody = z
  .strictObject({
    title: LocalizedText,
    body: LocalizedText.optional().openapi({ description: 'Markdown.' }),
    services: z.array(ServiceKey).min(1),
    scheduled_start: Timestamp,
    scheduled_end: Timestamp.openapi({ description: 'After scheduled_start, and still ahead: a window already over is refused.' }),
    notify: z.boolean().optional().openapi({
      description:
        'E-mail subscribers now and when the window starts and completes, on its own or by hand (default true); the page, the feeds and webhooks carry every step either way.',
    }),
  })
  .openapi('ScheduleMaintenance');

const EditBody = z
  .strictObject({
    title: LocalizedText.optional(),
    body: orNull(LocalizedText).optional(),
    services: z.array(ServiceKey).min(1).optional().openapi({ description: 'Only while scheduled.' }),
    scheduled_start: Timestamp.optional().openapi({ description: 'Only until it starts.' }),
    scheduled_end: Timestamp.optional().openapi({ description: 'Until it completes (extend a running window to keep it open).' }),
    notify: z.boolean().optional().openapi({ description: 'E-mail subscribers about its next steps, a move made by this edit included; absent keeps the choice.' }),
  })
  .openapi('EditMaintenance');

const StepBody = z
  .strictObject({ at: Timestamp.optional().openapi({ description: 'When it happened (default: now); never in the future.' }) })
  .openapi('MaintenanceStep');

const ListQuery = z.object({
  filter: z.enum(['active', 'past', 'all']).optional().openapi({ description: 'active (default): not completed, soonest first; past: latest first.' }),
  limit: queryInt(1, 200).optional(),
});

async function detail(ctx: Ctx, id: string) {
  return out(Maintenance, await getMaintenanceForEdit(ctx, { maintenanceId: id }));
}

const STEPS = [
  { path: 'start', run: startMaintenance, operationId: 'startMaintenance', summary: 'Start a maintenance window', description: 'Puts its services under maintenance now.' },
  { path: 'verify', run: verifyMaintenance, operationId: 'verifyMaintenance', summary: 'Mark a window as verifying', description: 'Work done, checking the result: the services stay under maintenance.' },
  {
    path: 'complete',
    run: completeMaintenance,
    operationId: 'completeMaintenance',
    summary: 'Complete a maintenance window',
    description: 'Ends the window (or cancels it, if it never started) and gives the services back their previous status.',
  },
] as const;

export function maintenanceRoutes(app: V1App) {
  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/maintenance',
      tags: ['Maintenance'],
      operationId: 'listMaintenance',
      summary: 'List maintenance windows',
      request: { query: ListQuery },
      responses: { 200: jsonResponse(MaintenanceList, 'The windows.') },
    }),
    async (c) => {
      const rows = await listMaintenances(c.var.ctx, c.req.valid('query'));
      return c.json(out(MaintenanceList, { items: rows }), 200);
    },
  );

  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/maintenance/{id}',
      tags: ['Maintenance'],
      operationId: 'getMaintenance',
      summary: 'Get a maintenance window',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Maintenance, 'The window.') },
    }),
    async (c) => c.json(await detail(c.var.ctx, c.req.valid('param').id), 200),
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/maintenance',
      tags: ['Maintenance'],
      operationId: 'scheduleMaintenance',
      summary: 'Schedule a maintenance window',
      request: { body: jsonBody(ScheduleBody) },
      responses: { 201: jsonResponse(Maintenance, 'The scheduled window.') },
    }),
    async (c) => {
      const row = await scheduleMaintenance(c.var.ctx, fromWire(c.req.valid('json')));
      return c.json(await detail(c.var.ctx, row.id), 201);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'patch',
      path: '/maintenance/{id}',
      tags: ['Maintenance'],
      operationId: 'editMaintenance',
      summary: 'Edit a maintenance window',
      request: { params: IdParam, body: jsonBody(EditBody) },
      responses: { 200: jsonResponse(Maintenance, 'The window after the change.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await updateMaintenance(c.var.ctx, { ...fromWire(c.req.valid('json')), maintenanceId: id });
      return c.json(await detail(c.var.ctx, id), 200);
    },
  );

  for (const step of STEPS) {
    app.openapi(
      defineRoute('write', {
        method: 'post',
        path: `/maintenance/{id}/${step.path}`,
        tags: ['Maintenance'],
        operationId: step.operationId,
        summary: step.summary,
        description: step.description,
        request: { params: IdParam, body: { ...jsonBody(StepBody), required: false } },
        responses: { 200: jsonResponse(Maintenance, 'The window after the step.') },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        await step.run(c.var.ctx, { maintenanceId: id, at: c.req.valid('json').at });
        return c.json(await detail(c.var.ctx, id), 200);
      },
    );
  }
}
