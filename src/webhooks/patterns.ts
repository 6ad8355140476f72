/**
 * Which events an endpoint receives: exact event types (`incident.resolved`), a family (`maintenance.*`), or
 * everything (`*`). Pure functions, shared by validation (registration) and matching (dispatch).
 */
import { EVENT_TYPES, type EventType } from '../domain/vocab.ts';

/** `incident`, `maintenance`, … : the part before the dot of every event type. */
export const EVENT_FAMILIES = [...new Set(EVENT_TYPES.map((t) => t.split('.')[0]!))];

/** Every filter a partner can choose, in display order: `*`, then each family with its types. */
export const EVENT_FILTERS: string[] = ['*', ...EVENT_FAMILIES.flatMap((f) => [`${f}.*`, ...EVENT_TYPES.filter((t) => t.startsWith(`${f}.`))])];

export function isEventFilter(value: string): boolean {
  return EVENT_FILTERS.includes(value);
}

export function matchesFilter(filter: string, type: EventType | string): boolean {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) return type.startsWith(filter.slice(0, -1));
  return filter === type;
}

export function matchesAny(filters: readonly string[], type: EventType | string): boolean {
  return filters.some((f) => matchesFilter(f, type));
}
