/** Administration: API tokens and operators (admin scope). */
import { z } from '@hono/zod-openapi';
import { OPERATOR_ROLES, TOKEN_SCOPES } from '../../domain/vocab.ts';
import { createApiToken, createOperator, listApiTokens, listOperators, revokeApiToken, updateOperator } from '../../services/auth.ts';
import type { V1App } from './app.ts';
import { defineRoute } from './core.ts';
import { Id, IdParam, OutTimestamp, Timestamp, jsonBody, jsonResponse, out } from './schemas.ts';
import { fromWire } from './wire.ts';

const TokenScope = z.enum(TOKEN_SCOPES).openapi('TokenScope', {
  description: 'read: every GET. write: also every operator action. admin: also tokens, operators and the audit log.',
});
const OperatorRole = z.enum(OPERATOR_ROLES).openapi('OperatorRole', {
  description: 'viewer: read only; editor: incidents, services, maintenance, plans, notices, FAQ; admin: everything.',
});

const ApiToken = z
  .object({
    id: Id,
    name: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the secret, to tell tokens apart.', example: 'vdt_Ab12Cd' }),
    scopes: z.array(TokenScope),
    state: z.enum(['active', 'expired', 'revoked']),
    created_by: Id.nullable().openapi({ description: 'The operator who created it (null: created by the system or a token).' }),
    created_at: OutTimestamp,
    expires_at: OutTimestamp.nullable(),
    last_used_at: OutTimestamp.nullable().openapi({ description: 'Updated at most once a minute.' }),
    revoked_at: OutTimestamp.nullable(),
  })
  .openapi('ApiToken', { description: 'A token without its secret (only its hash is kept).' });

const CreatedToken = z
  .object({
    token: ApiToken,
    secret: z
      .string()
      .nullable()
      .openapi({
        description:
          'The bearer secret. Shown this once: store it now; it cannot be read again, only revoked and replaced. null in an Idempotency-Key replay (`Idempotent-Replayed: true`): the secret is never stored, so revoke that token and create another.',
        example: 'vdt_Ab12Cd...',
      }),
  })
  .openapi('CreatedApiToken');

const CreateTokenBody = z
  .strictObject({
    name: z.string().min(1).max(120).openapi({ description: 'What uses it, e.g. "monitoring" or "sending pipeline".' }),
    scopes: z.array(TokenScope).min(1),
    expires_at: Timestamp.optional().openapi({ description: 'Default: never.' }),
  })
  .openapi('CreateApiToken');

const Operator = z
  .object({
    id: Id,
    email: z.string(),
    name: z.string(),
    role: OperatorRole,
    disabled_at: OutTimestamp.nullable(),
    locked_until: OutTimestamp.nullable().openapi({ description: 'Sign-in blocked until then after repeated failures.' }),
    last_login_at: OutTimestamp.nullable(),
    must_change_password: z.boolean().openapi({ description: 'The operator has yet to replace a temporary password.' }),
    created_at: OutTimestamp,
  })
  .openapi('Operator');

const CreateOperatorBody = z
  .strictObject({
    email: z.string().openapi({ example: 'ops@example.org' }),
    name: z.string().min(1).max(120),
    role: OperatorRole,
    password: z.string().openapi({ description: 'At least 12 characters. Only its Argon2id hash is kept.' }),
    must_change_password: z.boolean().optional().openapi({
      description: 'Default true: the password is a temporary one, which the operator replaces at the first sign-in (the console asks before anything else).',
    }),
  })
  .openapi('CreateOperator');

const EditOperatorBody = z
  .strictObject({
    name: z.string().min(1).max(120).optional(),
    role: OperatorRole.optional(),
    disabled: z.boolean().optional().openapi({ description: 'true disables (and signs out everywhere), false enables again.' }),
  })
  .openapi('EditOperator', { description: 'The last active administrator can be neither demoted nor disabled (409).' });

export function adminRoutes(app: V1App) {
  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/tokens',
      tags: ['Administration'],
      operationId: 'listApiTokens',
      summary: 'List API tokens',
      description: 'Newest first; never a secret.',
      responses: { 200: jsonResponse(z.object({ items: z.array(ApiToken) }).openapi('ApiTokenList'), 'The tokens.') },
    }),
    async (c) => c.json({ items: (await listApiTokens(c.var.ctx)).map((t) => out(ApiToken, t)) }, 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/tokens',
      tags: ['Administration'],
      operationId: 'createApiToken',
      summary: 'Create an API token',
      description: 'The response carries the secret, once.',
      request: { body: jsonBody(CreateTokenBody) },
      responses: { 201: jsonResponse(CreatedToken, 'The token and its secret.') },
    }),
    async (c) => {
      const created = await createApiToken(c.var.ctx, fromWire(c.req.valid('json')));
      const token = { ...created.token, state: 'active' };
      c.set('replayBody', out(CreatedToken, { token, secret: null }));
      c.header('Cache-Control', 'no-store');
      return c.json(out(CreatedToken, { token, secret: created.secret }), 201);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/tokens/{id}/revoke',
      tags: ['Administration'],
      operationId: 'revokeApiToken',
      summary: 'Revoke an API token',
      description: 'Refused from its next request on.',
      request: { params: IdParam },
      responses: { 200: jsonResponse(ApiToken, 'The revoked token.') },
    }),
    async (c) => c.json(out(ApiToken, await revokeApiToken(c.var.ctx, { tokenId: c.req.valid('param').id })), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/operators',
      tags: ['Administration'],
      operationId: 'listOperators',
      summary: 'List operators',
      description: 'Active operators first.',
      responses: { 200: jsonResponse(z.object({ items: z.array(Operator) }).openapi('OperatorList'), 'The operators.') },
    }),
    async (c) => c.json({ items: (await listOperators(c.var.ctx)).map((o) => out(Operator, o)) }, 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/operators',
      tags: ['Administration'],
      operationId: 'createOperator',
      summary: 'Create an operator',
      request: { body: jsonBody(CreateOperatorBody) },
      responses: { 201: jsonResponse(Operator, 'The new operator.') },
    }),
    async (c) => {
      const body = fromWire(c.req.valid('json'));
      return c.json(out(Operator, await createOperator(c.var.ctx, { ...body, mustChangePassword: body.mustChangePassword ?? true })), 201);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'patch',
      path: '/operators/{id}',
      tags: ['Administration'],
      operationId: 'editOperator',
      summary: 'Edit an operator',
      description: 'Rename, change the role, disable or enable.',
      request: { params: IdParam, body: jsonBody(EditOperatorBody) },
      responses: { 200: jsonResponse(Operator, 'The operator after the change.') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      return c.json(out(Operator, await updateOperator(c.var.ctx, { ...c.req.valid('json'), operatorId: id })), 200);
    },
  );
}
