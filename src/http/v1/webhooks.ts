/** Partner webhooks (admin scope): endpoints, their secrets, state, test messages and delivery log. */
import { z } from '@hono/zod-openapi';
import {
  WEBHOOK_EVENT_FILTERS,
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  redeliverWebhooks,
  rotateWebhookSecret,
  sendTestWebhook,
  setWebhookEnabled,
  updateWebhook,
} from '../../services/webhooks.ts';
import type { V1App } from './app.ts';
import { defineRoute } from './core.ts';
import { Id, IdParam, OutTimestamp, jsonBody, jsonResponse, out, queryInt } from './schemas.ts';
import { fromWire } from './wire.ts';

const EventFilter = z.string().openapi({
  description: `An event type, a family pattern or \`*\`: ${WEBHOOK_EVENT_FILTERS.map((f) => `\`${f}\``).join(', ')}.`,
  example: 'maintenance.*',
});

const WebhookEndpoint = z
  .object({
    id: Id,
    url: z.string(),
    description: z.string(),
    events: z.array(EventFilter),
    locale: z.enum(['it', 'en']).openapi({ description: 'Language of `title`, `body` and `url` in payloads (both are always in `texts`).' }),
    state: z.enum(['pending', 'active', 'disabled']).openapi({
      description: 'pending: self-service registration awaiting the owner’s confirmation; disabled: by an operator or after 24 h of failures.',
    }),
    owner_email: z.string(),
    self_service: z.boolean(),
    consecutive_failures: z.number().int().openapi({ description: 'Failed attempts since the last 2xx answer.' }),
    failing_since: OutTimestamp.nullable(),
    disabled_at: OutTimestamp.nullable(),
    disabled_reason: z.string().nullable().openapi({ description: '`operator` or `failing`.' }),
    created_at: OutTimestamp,
    updated_at: OutTimestamp,
  })
  .openapi('WebhookEndpoint', { description: 'A partner system’s receiver.' });

const WebhookWithSecret = z
  .object({
    endpoint: WebhookEndpoint,
    secret: z.string().openapi({
      description: 'The Standard Webhooks signing secret (`whsec_…`): give it to the partner, who verifies each message with it.',
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
  })
  .openapi('WebhookEndpointWithSecret');

const DeliveryAttempt = z
  .object({
    at: OutTimestamp,
    status: z.number().int().nullable().openapi({ description: 'HTTP status, null when no answer came.' }),
    error: z.string().nullable(),
    ms: z.number().int(),
    excerpt: z.string().optional().openapi({ description: 'The start of the answer body (at most 512 bytes).' }),
  })
  .openapi('WebhookDeliveryAttempt');

const Delivery = z
  .object({
    id: Id.openapi({ description: 'The `webhook-id` header of every attempt: the receiver de-duplicates on it.' }),
    event_id: z.string(),
    event_type: z.string(),
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    last_status: z.number().int().nullable(),
    delivered_at: OutTimestamp.nullable(),
    created_at: OutTimestamp,
    log: z.array(DeliveryAttempt).openapi({ description: 'The latest attempts, oldest first.' }),
  })
  .openapi('WebhookDelivery');

const CreateBody = z
  .strictObject({
    url: z.string().openapi({ description: 'https only; hosts on private, loopback or link-local addresses are refused.', example: 'https://erp.partner.example/hooks/status' }),
    events: z.array(z.string()).min(1).openapi({ description: 'Event types or patterns (see WebhookEndpoint.events).', example: ['incident.*', 'maintenance.*'] }),
    owner_email: z.string().openapi({ description: 'Who is e-mailed if the endpoint is disabled after persistent failure.' }),
    locale: z.enum(['it', 'en']).optional().openapi({ description: 'Default `it`.' }),
    description: z.string().optional(),
  })
  .openapi('CreateWebhook');

const UpdateBody = z
  .strictObject({
    url: z.string().optional().openapi({ description: 'Checked as at registration.' }),
    events: z.array(z.string()).min(1).optional(),
    locale: z.enum(['it', 'en']).optional(),
    description: z.string().optional(),
  })
  .openapi('UpdateWebhook', { description: 'Only the fields given change; the secret, owner and delivery log stay.' });

const RedeliverBody = z
  .strictObject({
    delivery_id: Id.optional().openapi({ description: 'One failed delivery; absent: every failed delivery the log still holds.' }),
  })
  .openapi('RedeliverWebhook');

const StateBody = z.strictObject({ enabled: z.boolean().openapi({ description: 'true enables (and forgets past failures), false disables.' }) }).openapi('SetWebhookState');

const DeliveriesQuery = z.object({
  limit: queryInt(1, 200).optional().openapi({ description: 'Default 50.' }),
  before: Id.optional().openapi({ description: 'The `next_cursor` of the previous page.' }),
});

export function webhookRoutes(app: V1App) {
  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/webhooks',
      tags: ['Webhooks'],
      operationId: 'listWebhooks',
      summary: 'List webhook endpoints',
      description: 'Newest first; without secrets.',
      responses: { 200: jsonResponse(z.object({ items: z.array(WebhookEndpoint) }).openapi('WebhookEndpointList'), 'The endpoints.') },
    }),
    async (c) => c.json({ items: (await listWebhooks(c.var.ctx)).map((w) => out(WebhookEndpoint, w)) }, 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/webhooks',
      tags: ['Webhooks'],
      operationId: 'createWebhook',
      summary: 'Register a webhook endpoint',
      description: 'Active at once. The URL is checked (https, public address) before anything is stored.',
      request: { body: jsonBody(CreateBody) },
      responses: { 201: jsonResponse(WebhookWithSecret, 'The endpoint and its signing secret.') },
    }),
    async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json(out(WebhookWithSecret, await createWebhook(c.var.ctx, fromWire(c.req.valid('json')))), 201);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/webhooks/{id}',
      tags: ['Webhooks'],
      operationId: 'getWebhook',
      summary: 'Show a webhook endpoint with its secret',
      request: { params: IdParam },
      responses: { 200: jsonResponse(WebhookWithSecret, 'The endpoint and its signing secret.') },
    }),
    async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json(out(WebhookWithSecret, await getWebhook(c.var.ctx, { id: c.req.valid('param').id })), 200);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'delete',
      path: '/webhooks/{id}',
      tags: ['Webhooks'],
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook endpoint and its delivery log',
      request: { params: IdParam },
      responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint as it was before deletion.') },
    }),
    async (c) => c.json(out(WebhookEndpoint, await deleteWebhook(c.var.ctx, { id: c.req.valid('param').id })), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'patch',
      path: '/webhooks/{id}',
      tags: ['Webhooks'],
      operationId: 'updateWebhook',
      summary: 'Change a webhook endpoint',
      description: 'URL, events, language, description. The secret and the delivery log are kept; pending deliveries go to the new URL.',
      request: { params: IdParam, body: jsonBody(UpdateBody) },
      responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint after the change.') },
    }),
    async (c) => c.json(out(WebhookEndpoint, await updateWebhook(c.var.ctx, { id: c.req.valid('param').id, ...fromWire(c.req.valid('json')) })), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/webhooks/{id}/redeliver',
      tags: ['Webhooks'],
      operationId: 'redeliverWebhooks',
      summary: 'Send failed deliveries again',
      description:
        'One failed delivery, or all the failed deliveries still in the log (kept 30 days): what the partner missed while its receiver was down. Each keeps its `webhook-id`, so the receiver drops a copy it already has. The endpoint must be active.',
      request: { params: IdParam, body: jsonBody(RedeliverBody) },
      responses: { 202: jsonResponse(z.object({ items: z.array(Delivery) }).openapi('RedeliveredWebhooks'), 'The deliveries queued again.') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const queued = await redeliverWebhooks(c.var.ctx, { id: c.req.valid('param').id, deliveryId: body.delivery_id });
      return c.json({ items: queued.map((d) => out(Delivery, d)) }, 202);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/webhooks/{id}/state',
      tags: ['Webhooks'],
      operationId: 'setWebhookState',
      summary: 'Enable or disable a webhook endpoint',
      description: 'Enabling also activates a pending self-service endpoint. Deliveries pending for a disabled endpoint are not sent.',
      request: { params: IdParam, body: jsonBody(StateBody) },
      responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint after the change.') },
    }),
    async (c) =>
      c.json(out(WebhookEndpoint, await setWebhookEnabled(c.var.ctx, { id: c.req.valid('param').id, enabled: c.req.valid('json').enabled })), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/webhooks/{id}/rotate-secret',
      tags: ['Webhooks'],
      operationId: 'rotateWebhookSecret',
      summary: 'Replace the signing secret',
      description: 'Messages are signed with the new secret from now on; give it to the partner.',
      request: { params: IdParam },
      responses: { 200: jsonResponse(WebhookWithSecret, 'The endpoint and its new secret.') },
    }),
    async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json(out(WebhookWithSecret, await rotateWebhookSecret(c.var.ctx, { id: c.req.valid('param').id })), 200);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/webhooks/{id}/test',
      tags: ['Webhooks'],
      operationId: 'sendTestWebhook',
      summary: 'Send a test message',
      description: 'Queues a signed `webhook.test` message; follow it in the delivery log.',
      request: { params: IdParam },
      responses: { 202: jsonResponse(Delivery, 'The queued delivery.') },
    }),
    async (c) => c.json(out(Delivery, await sendTestWebhook(c.var.ctx, { id: c.req.valid('param').id })), 202),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      tags: ['Webhooks'],
      operationId: 'listWebhookDeliveries',
      summary: 'Delivery log of an endpoint',
      description: 'Newest first, each with its latest attempts.',
      request: { params: IdParam, query: DeliveriesQuery },
      responses: {
        200: jsonResponse(z.object({ items: z.array(Delivery), next_cursor: Id.nullable() }).openapi('WebhookDeliveryList'), 'The deliveries.'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await listWebhookDeliveries(c.var.ctx, { id: c.req.valid('param').id, limit: q.limit, before: q.before });
      return c.json({ items: page.items.map((d) => out(Delivery, d)), next_cursor: page.nextCursor }, 200);
    },
  );
}
