/** An incident's recovery plan (milestones) and its FAQ. */
import { z } from '@hono/zod-openapi';
import type { Ctx } from '../../services/context.ts';
import { getIncidentForEdit } from '../../services/incidents.ts';
import {
  addFaqEntry,
  addMilestone,
  changeMilestone,
  deleteFaqEntry,
  reorderFaq,
  reorderMilestones,
  updateFaqEntry,
  updateMilestone,
} from '../../services/recovery.ts';
import type { V1App } from './app.ts';
import { defineRoute } from './core.ts';
import { FaqEntry, Milestone, MilestoneState, milestoneView } from './models.ts';
import { Id, IdParam, LocalizedText, ServiceKey, Timestamp, jsonBody, jsonResponse, orNull, out } from './schemas.ts';
import { fromWire } from './wire.ts';

const MilestoneList = z.object({ items: z.array(Milestone).openapi({ description: 'In plan order.' }) }).openapi('MilestoneList');
const FaqList = z.object({ items: z.array(FaqEntry).openapi({ description: 'In page order.' }) }).openapi('FaqList');

const AddMilestoneBody = z
  .strictObject({
    title: LocalizedText,
    description: LocalizedText.optional(),
    service: ServiceKey.optional().openapi({ description: 'The service this step restores.' }),
    state: MilestoneState.optional().openapi({ description: 'Default planned.' }),
    expected_at: Timestamp.optional(),
    actual_at: Timestamp.optional().openapi({ description: 'For a done milestone: when it was done (default: now; not later than now).' }),
    sort_order: z.number().int().optional().openapi({ description: 'Default: after the last milestone.' }),
    notify: z.boolean().optional().openapi({ description: 'E-mail subscribers about it (default true); the page and feeds show it either way.' }),
  })
  .openapi('AddMilestone');

const EditMilestoneBody = z
  .strictObject({
    title: LocalizedText.optional(),
    description: orNull(LocalizedText).optional(),
    service: ServiceKey.nullable().optional().openapi({ description: 'null detaches the milestone from any service.' }),
    expected_at: Timestamp.nullable()
      .optional()
      .openapi({ description: 'A new expected date (announced to readers); not for a done or cancelled milestone.' }),
    notify: z.boolean().optional().openapi({ description: 'E-mail subscribers about it (default true); the page and feeds show it either way.' }),
  })
  .openapi('EditMilestone');

const MilestoneStateBody = z
  .strictObject({
    state: MilestoneState,
    expected_at: Timestamp.optional().openapi({ description: 'Required when delaying: the new expected date.' }),
    actual_at: Timestamp.optional().openapi({ description: 'When it was done (default: now; not later than now).' }),
    delay_reason: LocalizedText.optional().openapi({ description: 'Required when delaying.' }),
    notify: z.boolean().optional().openapi({ description: 'E-mail subscribers about it (default true); the page and feeds show it either way.' }),
  })
  .openapi('ChangeMilestoneState');

const OrderBody = z
  .strictObject({
    ordered_ids: z.array(Id).min(1).openapi({ description: 'Every id of the list, exactly once, in the new order.' }),
  })
  .openapi('Order');

const AddFaqBody = z
  .strictObject({
    question: LocalizedText,
    answer: LocalizedText.openapi({ description: 'Markdown.' }),
    slug: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'lower-case letters, digits and dashes')
      .optional()
      .openapi({ description: 'The anchor (default: made from the Italian question).' }),
    sort_order: z.number().int().optional(),
  })
  .openapi('AddFaqEntry');

const EditFaqBody = z
  .strictObject({
    question: LocalizedText.optional(),
    answer: LocalizedText.optional(),
    slug: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'lower-case letters, digits and dashes')
      .optional()
      .openapi({ description: 'Changing the anchor breaks links already shared: only on purpose.' }),
  })
  .openapi('EditFaqEntry');

/** The plan as the incident editor reads it (rows carry the service key there). */
async function planOf(ctx: Ctx, incidentId: string) {
  return (await getIncidentForEdit(ctx, { incidentId })).milestones.map(milestoneView);
}

async function milestoneById(ctx: Ctx, row: { id: string; incidentId: string }) {
  return (await planOf(ctx, row.incidentId)).find((m) => m.id === row.id);
}

export function recoveryRoutes(app: V1App) {
  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/incidents/{id}/milestones',
      tags: ['Recovery plan'],
      operationId: 'listMilestones',
      summary: "List an incident's milestones",
      request: { params: IdParam },
      responses: { 200: jsonResponse(MilestoneList, 'The recovery plan.') },
    }),
    async (c) => c.json(out(MilestoneList, { items: await planOf(c.var.ctx, c.req.valid('param').id) }), 200),
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/incidents/{id}/milestones',
      tags: ['Recovery plan'],
      operationId: 'addMilestone',
      summary: 'Add a milestone',
      request: { params: IdParam, body: jsonBody(AddMilestoneBody) },
      responses: { 201: jsonResponse(Milestone, 'The new milestone.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await addMilestone(c.var.ctx, { ...fromWire(c.req.valid('json')), incidentId: id });
      return c.json(out(Milestone, await milestoneById(c.var.ctx, row)), 201);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'put',
      path: '/incidents/{id}/milestones/order',
      tags: ['Recovery plan'],
      operationId: 'reorderMilestones',
      summary: 'Reorder the milestones',
      request: { params: IdParam, body: jsonBody(OrderBody) },
      responses: { 200: jsonResponse(MilestoneList, 'The plan in its new order.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await reorderMilestones(c.var.ctx, { incidentId: id, orderedIds: c.req.valid('json').ordered_ids });
      return c.json(out(MilestoneList, { items: await planOf(c.var.ctx, id) }), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'patch',
      path: '/milestones/{id}',
      tags: ['Recovery plan'],
      operationId: 'editMilestone',
      summary: 'Edit a milestone',
      description: 'Texts, service or expected date; the state moves with `POST /milestones/{id}/state`.',
      request: { params: IdParam, body: jsonBody(EditMilestoneBody) },
      responses: { 200: jsonResponse(Milestone, 'The milestone after the change.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await updateMilestone(c.var.ctx, { ...fromWire(c.req.valid('json')), milestoneId: id });
      return c.json(out(Milestone, await milestoneById(c.var.ctx, row)), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/milestones/{id}/state',
      tags: ['Recovery plan'],
      operationId: 'changeMilestoneState',
      summary: 'Move a milestone along its lifecycle',
      description: 'Start, complete, delay (with a new expected date and a reason) or cancel a milestone.',
      request: { params: IdParam, body: jsonBody(MilestoneStateBody) },
      responses: { 200: jsonResponse(Milestone, 'The milestone after the change.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await changeMilestone(c.var.ctx, { ...fromWire(c.req.valid('json')), milestoneId: id });
      return c.json(out(Milestone, await milestoneById(c.var.ctx, row)), 200);
    },
  );

  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/incidents/{id}/faq',
      tags: ['Recovery plan'],
      operationId: 'listFaq',
      summary: "List an incident's FAQ",
      request: { params: IdParam },
      responses: { 200: jsonResponse(FaqList, 'The questions and answers.') },
    }),
    async (c) => {
      const detail = await getIncidentForEdit(c.var.ctx, { incidentId: c.req.valid('param').id });
      return c.json(out(FaqList, { items: detail.faq }), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/incidents/{id}/faq',
      tags: ['Recovery plan'],
      operationId: 'addFaqEntry',
      summary: 'Add a question to the FAQ',
      request: { params: IdParam, body: jsonBody(AddFaqBody) },
      responses: { 201: jsonResponse(FaqEntry, 'The new entry.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await addFaqEntry(c.var.ctx, { ...fromWire(c.req.valid('json')), incidentId: id });
      return c.json(out(FaqEntry, row), 201);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'put',
      path: '/incidents/{id}/faq/order',
      tags: ['Recovery plan'],
      operationId: 'reorderFaq',
      summary: 'Reorder the FAQ',
      request: { params: IdParam, body: jsonBody(OrderBody) },
      responses: { 200: jsonResponse(FaqList, 'The FAQ in its new order.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const rows = await reorderFaq(c.var.ctx, { incidentId: id, orderedIds: c.req.valid('json').ordered_ids });
      return c.json(out(FaqList, { items: [...rows].sort((a, b) => a.sortOrder - b.sortOrder) }), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'patch',
      path: '/faq/{id}',
      tags: ['Recovery plan'],
      operationId: 'editFaqEntry',
      summary: 'Edit a FAQ entry',
      request: { params: IdParam, body: jsonBody(EditFaqBody) },
      responses: { 200: jsonResponse(FaqEntry, 'The entry after the change.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await updateFaqEntry(c.var.ctx, { ...fromWire(c.req.valid('json')), faqId: id });
      return c.json(out(FaqEntry, row), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'delete',
      path: '/faq/{id}',
      tags: ['Recovery plan'],
      operationId: 'deleteFaqEntry',
      summary: 'Remove a FAQ entry',
      description: 'The audit log keeps its last text.',
      request: { params: IdParam },
      responses: { 200: jsonResponse(FaqEntry, 'The removed entry.') },
    }),
    async (c) => {
      const row = await deleteFaqEntry(c.var.ctx, { faqId: c.req.valid('param').id });
      return c.json(out(FaqEntry, row), 200);
    },
  );
}
