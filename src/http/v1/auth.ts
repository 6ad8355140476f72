/** Bearer tokens: `Authorization: Bearer vdt_...`, resolved by the auth service to an actor with scopes. */
import type { MiddlewareHandler } from 'hono';
import { actorForApiToken } from '../../services/auth.ts';
import { ApiProblem, type ApiDeps, type V1Env } from './core.ts';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Every route below this middleware needs a valid token. A missing, malformed, unknown, expired or revoked
 * token all answer the same 401: the caller learns nothing about which part was wrong.
 */
export function authenticate(deps: ApiDeps): MiddlewareHandler<V1Env> {
  return async (c, next) => {
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    const actor = match ? await actorForApiToken(deps.ctx(), match[1]) : null;
    if (!actor) {
      throw new ApiProblem(401, 'unauthorized', 'Invalid or missing token.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="vedetta-api"' },
      });
    }
    c.set('actor', actor);
    c.set('ctx', deps.ctx(actor));
    // Answers to a token are for that token only: no shared cache keeps them.
    c.header('Cache-Control', 'no-store');
    await next();
  };
}
