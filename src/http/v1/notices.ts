/** Data-gap notices: what was restored up to when, for whom, and what readers must do. */
import { z } from '@hono/zod-openapi';
import { closeNotice, getNoticeForEdit, listNotices, publishNotice, updateNotice } from '../../services/notices.ts';
import type { V1App } from './app.ts';
import { defineRoute } from './core.ts';
import { NoticeSummary, NoticeWindow } from './models.ts';
import { Id, IdParam, LocalizedText, ServiceKey, Timestamp, jsonBody, jsonResponse, orNull, out } from './schemas.ts';
import { fromWire } from './wire.ts';

export const Notice = NoticeSummary.extend({
  windows: z.array(NoticeWindow),
  services: z.array(ServiceKey).openapi({ description: 'Keys of the services concerned.' }),
}).openapi('Notice');

const NoticeList = z.object({ items: z.array(Notice).openapi({ description: 'Newest first.' }) }).openapi('NoticeList');

const WindowInput = z
  .strictObject({
    scope: LocalizedText,
    restored_until: Timestamp.openapi({ description: 'Data is complete up to this instant...' }),
    gap_ends_at: Timestamp.optional().openapi({ description: '...and missing until this one (absent: until further notice).' }),
    pending: z
      .boolean()
      .optional()
      .openapi({ description: 'The restore has not happened yet: `restored_until` is how far it is expected to go (default false). Edit the notice with `false` once it is done.' }),
  })
  .openapi('NoticeWindowInput');

const PublishBody = z
  .strictObject({
    incident_id: Id.optional().openapi({ description: 'The incident the gap comes from, if any.' }),
    title: LocalizedText,
    body: LocalizedText.optional().openapi({ description: 'Markdown.' }),
    audience: LocalizedText.optional().openapi({ description: 'Who is concerned.' }),
    action: LocalizedText.optional().openapi({ description: 'What readers must do (Markdown).' }),
    services: z.array(ServiceKey).optional(),
    windows: z.array(WindowInput).min(1).openapi({ description: 'At least one restored-up-to window.' }),
    published_at: Timestamp.optional(),
    notify: z.boolean().optional().openapi({ description: 'E-mail subscribers about it (default true); the page and feeds show it either way.' }),
  })
  .openapi('PublishNotice');

const EditBody = z
  .strictObject({
    title: LocalizedText.optional(),
    body: orNull(LocalizedText).optional(),
    audience: orNull(LocalizedText).optional(),
    action: orNull(LocalizedText).optional(),
    services: z.array(ServiceKey).optional().openapi({ description: 'Replaces the list.' }),
    windows: z.array(WindowInput).min(1).optional().openapi({ description: 'Replaces every window.' }),
    notify: z.boolean().optional().openapi({
      description:
        'When the edit marks a pending window restored, the notice is published again as restored (feeds, webhooks): e-mail subscribers about it too (default true).',
    }),
  })
  .openapi('EditNotice');

const CloseBody = z
  .strictObject({ at: Timestamp.optional().openapi({ description: 'When the gap was filled (default: now).' }) })
  .openapi('CloseNotice');

const ListQuery = z.object({
  incident_id: Id.optional().openapi({ description: 'Only the notices of this incident.' }),
  include_closed: z.enum(['true', 'false']).optional().openapi({ description: 'Also closed notices (default false).' }),
});

function noticeOut(n: Awaited<ReturnType<typeof getNoticeForEdit>>) {
  return out(Notice, { ...n, services: n.serviceKeys });
}

export function noticeRoutes(app: V1App) {
  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/notices',
      tags: ['Notices'],
      operationId: 'listNotices',
      summary: 'List notices',
      description: 'Open notices (or all of them with `include_closed=true`), newest first.',
      request: { query: ListQuery },
      responses: { 200: jsonResponse(NoticeList, 'The notices.') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await listNotices(c.var.ctx, { incidentId: q.incident_id, includeClosed: q.include_closed === 'true' });
      return c.json({ items: rows.map(noticeOut) }, 200);
    },
  );

  app.openapi(
    defineRoute('read', {
      method: 'get',
      path: '/notices/{id}',
      tags: ['Notices'],
      operationId: 'getNotice',
      summary: 'Get a notice',
      request: { params: IdParam },
      responses: { 200: jsonResponse(Notice, 'The notice.') },
    }),
    async (c) => c.json(noticeOut(await getNoticeForEdit(c.var.ctx, { noticeId: c.req.valid('param').id })), 200),
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/notices',
      tags: ['Notices'],
      operationId: 'publishNotice',
      summary: 'Publish a notice',
      request: { body: jsonBody(PublishBody) },
      responses: { 201: jsonResponse(Notice, 'The published notice.') },
    }),
    async (c) => {
      const row = await publishNotice(c.var.ctx, fromWire(c.req.valid('json')));
      return c.json(noticeOut(await getNoticeForEdit(c.var.ctx, { noticeId: row.id })), 201);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'patch',
      path: '/notices/{id}',
      tags: ['Notices'],
      operationId: 'editNotice',
      summary: 'Edit a notice',
      description: 'A correction of "restored up to" is the usual reason. `services` and `windows`, when given, replace the current lists.',
      request: { params: IdParam, body: jsonBody(EditBody) },
      responses: { 200: jsonResponse(Notice, 'The notice after the change.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await updateNotice(c.var.ctx, { ...fromWire(c.req.valid('json')), noticeId: id });
      return c.json(noticeOut(await getNoticeForEdit(c.var.ctx, { noticeId: id })), 200);
    },
  );

  app.openapi(
    defineRoute('write', {
      method: 'post',
      path: '/notices/{id}/close',
      tags: ['Notices'],
      operationId: 'closeNotice',
      summary: 'Close a notice',
      description: 'The gap is filled. Closing a closed notice changes nothing.',
      request: { params: IdParam, body: { ...jsonBody(CloseBody), required: false } },
      responses: { 200: jsonResponse(Notice, 'The closed notice.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { at } = c.req.valid('json');
      await closeNotice(c.var.ctx, { noticeId: id, at: at ? new Date(at) : undefined });
      return c.json(noticeOut(await getNoticeForEdit(c.var.ctx, { noticeId: id })), 200);
    },
  );
}
