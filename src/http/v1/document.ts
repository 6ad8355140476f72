/** The OpenAPI 3.1 document of /api/v1, generated from the route definitions themselves. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { V1Env } from './core.ts';

export const API_DESCRIPTION = `The Vedetta API is for automation: monitoring, the sending pipeline, scripts. Every action an operator can take in the console is here too, and goes through the same rules.

## Authentication and scopes
Send a token in every request: \`Authorization: Bearer vdt_...\`. An administrator creates tokens (console, or \`POST /tokens\`); the secret is shown once. Each token has scopes, each including the ones before it:

- \`read\`: every GET.
- \`write\`: post incidents and updates, plans, notices, FAQ, maintenance, service statuses, heartbeats and backlog figures.
- \`admin\`: also tokens, operators and the audit log.

A missing, unknown, expired or revoked token answers **401** (\`unauthorized\`) without saying which; a valid token without the scope a route needs answers **403** (\`forbidden\`).

## Conventions
- JSON only, field names in **snake_case**, in requests and responses alike.
- Times are ISO 8601. Responses are always UTC (\`2026-03-10T08:30:00.000Z\`); requests may carry an offset (\`2026-03-10T09:30:00+01:00\`).
- Texts written for readers are objects per language: \`{ "it": "...", "en": "..." }\`. Italian is required; a missing English text falls back to Italian on the English page.
- Services are named by their \`key\` (as in their public URL), everything else by \`id\`.
- In PATCH bodies an absent field keeps its value and, where the field is optional, \`null\` clears it.
- Every response carries \`X-Request-Id\` (send your own to correlate logs); error bodies repeat it as \`requestId\` (the one camelCase name: it is the envelope, not a resource field).

## Errors
Every error has the same shape:

\`\`\`json
{ "error": { "code": "validation_failed", "message": "Invalid input: status.", "fields": { "status": "Invalid option" } }, "requestId": "..." }
\`\`\`

| Status | \`code\` | Meaning |
|---|---|---|
| 400 | \`invalid_json\` | The body is not valid JSON. |
| 401 | \`unauthorized\` | Missing, unknown, expired or revoked token. |
| 403 | \`forbidden\` | The token lacks the scope, or the action is not allowed. |
| 404 | \`not_found\` | No such route or object. |
| 409 | \`conflict\` | The object changed since you read it, or already exists. Reload, check, and send again. |
| 409 | \`idempotency_key_reused\` | The Idempotency-Key was already used with a different request. |
| 409 | \`idempotency_in_progress\` | A request with this Idempotency-Key is still running: retry shortly. |
| 413 | \`payload_too_large\` | The body is larger than 1 MiB. |
| 415 | \`unsupported_media_type\` | The body is not \`application/json\`. |
| 422 | \`validation_failed\` | Invalid input; \`fields\` names each wrong field. |
| 500 | \`internal\` | Our fault. Retrying with the same Idempotency-Key is safe. |

## Retries: Idempotency-Key
Every POST accepts an \`Idempotency-Key\` header (any unique string up to 255 characters; a UUID is fine). The first request with a key runs; a retry with the same key and the same request (method, path and body) answers the stored response again, with \`Idempotent-Replayed: true\`, and changes nothing. The same key with a different request answers 409 \`idempotency_key_reused\`. Keys are kept per token for 24 hours. Only successful responses are stored: after an error, fix the request and send it again (with the same key or a new one).

## Concurrent edits
Incidents carry a \`version\`. Send the version you read as \`expected_version\`: if someone else wrote in between, the API answers 409 \`conflict\`, naming the current version, instead of overwriting their update.`;

export function openApiDocument(app: OpenAPIHono<V1Env>) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Vedetta API',
      version: '1.0.0',
      description: API_DESCRIPTION,
      license: { name: 'AGPL-3.0-or-later', url: 'https://www.gnu.org/licenses/agpl-3.0.html' },
    },
    servers: [{ url: '/api/v1', description: 'This installation' }],
    tags: [
      { name: 'Overview', description: 'What needs attention now, and the audit log.' },
      { name: 'Incidents', description: 'Incidents and their updates: what happened, what is affected, when the next update comes.' },
      { name: 'Recovery plan', description: 'Milestones of an incident’s recovery plan, and its FAQ.' },
      { name: 'Notices', description: 'Data-gap notices: what was restored up to when, for whom, and what readers must do.' },
      { name: 'Maintenance', description: 'Planned maintenance windows.' },
      { name: 'Services', description: 'The services shown on the page and their status.' },
      { name: 'Automation', description: 'Inputs from monitoring and pipelines: heartbeats and backlog figures.' },
      { name: 'Administration', description: 'API tokens and operators (admin scope).' },
      { name: 'Webhooks', description: 'Partner webhook endpoints, their signing secrets and delivery logs (admin scope).' },
    ],
  });
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
