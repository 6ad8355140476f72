/**
 * The wire convention of the JSON API: snake_case field names, times as ISO 8601 strings in UTC
 * (`2026-03-10T08:00:00.000Z`). The services speak camelCase and Dates; these two functions are the only
 * translation between the two, so no route can drift from the convention.
 */

type SnakeCase<S extends string> = S extends `${infer C}${infer R}`
  ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${SnakeCase<R>}`
  : S;
type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** What a wire (snake_case) value becomes once translated for a service. */
export type Camel<T> = T extends readonly (infer U)[]
  ? Camel<U>[]
  : T extends Date
    ? T
    : T extends object
      ? { [K in keyof T as K extends string ? CamelCase<K> : K]: Camel<T[K]> }
      : T;

/** What a service value becomes on the wire. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T as K extends string ? SnakeCase<K> : K]: Wire<T[K]> }
      : T;

export const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const camelCase = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function mapKeys(value: unknown, rename: (key: string) => string, dates: boolean): unknown {
  if (value instanceof Date) return dates ? value.toISOString() : value;
  if (Array.isArray(value)) return value.map((v) => mapKeys(v, rename, dates));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[rename(k)] = mapKeys(v, rename, dates);
    return out;
  }
  return value;
}

/** Service value → wire value: snake_case keys, Dates as ISO 8601 UTC strings, undefined fields dropped. */
export function toWire<T>(value: T): Wire<T> {
  return mapKeys(value, snakeCase, true) as Wire<T>;
}

/** Validated wire input → service input: camelCase keys (the services coerce the ISO strings themselves). */
export function fromWire<T>(value: T): Camel<T> {
  return mapKeys(value, camelCase, false) as Camel<T>;
}
