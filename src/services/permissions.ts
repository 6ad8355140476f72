import type { OperatorRole, TokenScope } from '../domain/vocab.ts';
import type { Actor } from './context.ts';
import { ServiceError } from './errors.ts';

/** What an action needs; a role or scope grants its level and every level below it. */
export type Permission = 'read' | 'write' | 'admin';
const LEVEL: Record<Permission, number> = { read: 1, write: 2, admin: 3 };
const ROLE_LEVEL: Record<OperatorRole, Permission> = { viewer: 'read', editor: 'write', admin: 'admin' };

export function grants(actor: Actor, needed: Permission): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind === 'operator' && actor.role) return LEVEL[ROLE_LEVEL[actor.role]] >= LEVEL[needed];
  if (actor.kind === 'token' && actor.scopes) return actor.scopes.some((s: TokenScope) => LEVEL[s] >= LEVEL[needed]);
  return false;
}

/** Every write service calls this first, so no surface (console, API, CLI) can be weaker than another. */
export function authorize(actor: Actor, needed: Permission): void {
  if (!grants(actor, needed)) {
    throw new ServiceError('forbidden', `This action needs the "${needed}" permission, which you do not have.`);
  }
}
