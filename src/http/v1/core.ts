/**
 * The pieces every /api/v1 route shares: the request environment, the one error shape, scopes, and
 * `defineRoute`, which stamps each route with its scope, its security requirement and the standard error
 * responses so the OpenAPI document cannot forget them.
 */
import { type RouteConfig, createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Actor, Ctx } from '../../services/context.ts';
import { ServiceError } from '../../services/errors.ts';
import { IdempotencyError } from '../../services/idempotency.ts';
import { grants } from '../../services/permissions.ts';
import { answerErrors } from '../faults.ts';
import { MAX_BODY_BYTES } from '../body-limit.ts';
import type { TokenScope } from '../../domain/vocab.ts';
import { snakeCase } from './wire.ts';

/** What the API needs from the running application; tests pass a context bound to a test database. */
export type ApiDeps = {
  /** A service context for one request, acting as `actor` (the public when absent). */
  ctx(actor?: Actor): Ctx;
  databaseKind: 'pglite' | 'postgres';
};

export type V1Env = {
  Variables: {
    requestId: string;
    actor: Actor;
    ctx: Ctx;
    /** What an Idempotency-Key replay answers, when a route must not store its real response (a token secret). */
    replayBody?: unknown;
  };
};

export const ERROR_CODES = [
  'invalid_json',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'idempotency_key_reused',
  'idempotency_in_progress',
  'payload_too_large',
  'unsupported_media_type',
  'validation_failed',
  'database_unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({ description: 'Stable, machine-readable reason; branch on this, not on the message.' }),
      message: z.string().openapi({ description: 'A sentence for a human, in English.' }),
      fields: z
        .record(z.string(), z.string())
        .optional()
        .openapi({
          description:
            'validation_failed and some conflicts: each wrong field (dotted path in wire names, e.g. `services.0.status`) and what is wrong with it.',
        }),
    }),
    requestId: z.string().openapi({ description: 'The same value as the X-Request-Id response header.' }),
  })
  .openapi('Error');
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A failure decided by the HTTP layer itself (authentication, scope, transport); services throw ServiceError. */
export class ApiProblem extends Error {
  // Plain fields, not parameter properties: Node's type stripping cannot run those.
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 500;
  readonly code: ErrorCode;
  readonly fields?: Record<string, string>;
  readonly headers?: Record<string, string>;
  constructor(
    status: ApiProblem['status'],
    code: ErrorCode,
    message: string,
    extra: { fields?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = code;
    this.fields = extra.fields;
    this.headers = extra.headers;
  }
}

const SERVICE_STATUS = { not_found: 404, validation_failed: 422, conflict: 409, forbidden: 403 } as const;

/** Where a service field name and its wire name differ by more than the case convention. */
const FIELD_ALIASES: Record<string, string> = { oldest_age_seconds: 'oldest_age_s', idempotency_key: 'Idempotency-Key' };

/** `windows.0.gapEndsAt` → `windows.0.gap_ends_at`. */
export function wireFieldPath(path: string): string {
  return path
    .split('.')
    .map((segment) => {
      const snake = snakeCase(segment);
      return FIELD_ALIASES[snake] ?? snake;
    })
    .join('.');
}

/**
 * Service messages name fields the way the services do (`expectedVersion`, `must be after restoredUntil`); on the
 * wire they are `expected_version` and `restored_until`. camelCase words only ever appear in those messages as
 * field names, so each is rewritten to its wire name.
 */
const wireText = (text: string) => text.replace(/\b[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b/g, (word) => wireFieldPath(word));

function wireFields(fields: Record<string, string> | undefined) {
  if (!fields) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) out[wireFieldPath(key)] = wireText(value);
  return out;
}

/** Builds the one error body every failure answers with. */
export function errorBody(c: Context, code: ErrorCode, message: string, fields?: Record<string, string>): ErrorBody {
  const error: ErrorBody['error'] = { code, message };
  if (fields && Object.keys(fields).length > 0) error.fields = fields;
  return { error, requestId: (c.get('requestId') as string | undefined) ?? 'unknown' };
}

/** Maps anything thrown while serving a request to a status and the shared error body. */
export function errorResponse(error: unknown, c: Context): Response {
  if (error instanceof ApiProblem) {
    for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
    return c.json(errorBody(c, error.code, error.message, error.fields), error.status);
  }
  if (error instanceof ServiceError) {
    const fields = wireFields(error.fields);
    const message = wireText(error.message);
    const code: ErrorCode = error instanceof IdempotencyError ? error.reason : error.code;
    return c.json(errorBody(c, code, message, fields), SERVICE_STATUS[error.code]);
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 400) {
      return c.json(
        errorBody(c, 'invalid_json', 'The request body is not valid JSON. Send a JSON object with Content-Type: application/json.'),
        400,
      );
    }
    if (status === 415) {
      return c.json(errorBody(c, 'unsupported_media_type', 'Send the request body as JSON with Content-Type: application/json.'), 415);
    }
    if (status === 413) {
      return c.json(errorBody(c, 'payload_too_large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`), 413);
    }
  }
  // An outage (the write did not happen; the same request will succeed once the database is back) or a bug.
  return outageOrBug(error, c);
}

const outageOrBug = answerErrors((c) =>
  c.json(errorBody(c, 'internal', 'Internal error. Retrying with the same Idempotency-Key is safe.'), 500),
);

/** zod failures of the request (body, path, query, headers) answer 422 naming every wrong field. */
export function validationHook(
  result: { success: true; data: unknown } | { success: false; error: z.ZodError },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const fields: Record<string, string> = {};
  const name = (path: PropertyKey[]) => path.map(String).join('.') || '(body)';
  for (const issue of result.error.issues) {
    // An unknown key is reported on the object that holds it: name the key itself.
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) fields[name([...issue.path, key])] ??= 'unknown field';
    else fields[name(issue.path)] ??= issue.message;
  }
  return c.json(errorBody(c, 'validation_failed', `Invalid input: ${Object.keys(fields).join(', ')}.`, fields), 422);
}

/** Refuses a valid token that lacks the scope; every scope includes the ones below it (admin ⊃ write ⊃ read). */
export function requireScope(scope: TokenScope): MiddlewareHandler<V1Env> {
  return async (c, next) => {
    if (!grants(c.get('actor'), scope)) {
      throw new ApiProblem(403, 'forbidden', `This endpoint needs a token with the "${scope}" scope.`);
    }
    await next();
  };
}

const errorContent = { 'application/json': { schema: ErrorBody } };
const ERROR_RESPONSES = {
  400: { description: 'The body is not valid JSON.', content: errorContent },
  401: { description: 'Missing, unknown, expired or revoked token.', content: errorContent },
  403: { description: 'The token lacks the scope this endpoint needs, or the action is not allowed.', content: errorContent },
  404: { description: 'No such object.', content: errorContent },
  409: {
    description:
      'Conflict: the object changed since you read it (send the current version), it already exists, or the Idempotency-Key was used with a different request.',
    content: errorContent,
  },
  413: { description: 'The body is too large.', content: errorContent },
  415: { description: 'The body is not JSON.', content: errorContent },
  422: { description: 'Invalid input; `error.fields` names each wrong field.', content: errorContent },
  503: {
    description: 'database_unavailable: the database is unreachable and nothing changed; retry after `Retry-After` seconds.',
    content: errorContent,
  },
} as const;

export const IdempotencyKeyHeader = z.object({
  'Idempotency-Key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      description:
        'Any unique string of 1–255 visible ASCII characters (a UUID is a good choice). A retry with the same key and the same request answers the first response again, with `Idempotent-Replayed: true`, and changes nothing. Keys are kept per token for 24 hours.',
      example: '6f1c2a52-0b7e-4f43-9a52-6d2c1f0f8b8e',
    }),
});

/**
 * createRoute plus the house rules: the scope the route needs (checked before the body is even parsed),
 * the bearer security requirement, Idempotency-Key on POST, and the error responses the route can give.
 */
export function defineRoute<
  P extends string,
  R extends Omit<RouteConfig, 'path' | 'middleware' | 'security'> & { path: P; operationId: string; summary: string },
>(
  scope: TokenScope,
  config: R,
): R & { getRoutingPath(): string } {
  const request = config.request ?? {};
  const hasBody = Boolean(request.body);
  const hasParams = config.path.includes('{');
  const isPost = config.method === 'post';
  const errors: Record<number, (typeof ERROR_RESPONSES)[keyof typeof ERROR_RESPONSES]> = {
    401: ERROR_RESPONSES[401],
    403: ERROR_RESPONSES[403],
    503: ERROR_RESPONSES[503],
  };
  if (hasBody) Object.assign(errors, { 400: ERROR_RESPONSES[400], 413: ERROR_RESPONSES[413], 415: ERROR_RESPONSES[415] });
  if (hasParams) errors[404] = ERROR_RESPONSES[404];
  if (config.method !== 'get') errors[409] = ERROR_RESPONSES[409];
  if (hasBody || request.query || hasParams) errors[422] = ERROR_RESPONSES[422];
  const scopeNote = `Needs a token with the \`${scope}\` scope${scope === 'admin' ? '' : scope === 'write' ? ' (or `admin`)' : ' (or any scope)'}.`;
  return createRoute({
    ...config,
    description: [config.description, scopeNote].filter(Boolean).join('\n\n'),
    request: isPost && !request.headers ? { ...request, headers: IdempotencyKeyHeader } : request,
    security: [{ bearerAuth: [scope] }],
    middleware: [requireScope(scope)],
    responses: { ...errors, ...config.responses },
    'x-scope': scope,
  } as RouteConfig & { path: P }) as unknown as R & { getRoutingPath(): string };
}
