/**
 * Wire schemas shared by several resources. Request schemas check shape and types and refuse unknown fields (so a
 * typo, `notfy` for `notify`, answers 422 naming the field before anything runs); the services check the rest
 * (lengths, lifecycles, references) and their field names are translated back to wire names. Response schemas are applied to every answer (`out`), so the
 * OpenAPI document describes exactly what is sent and nothing else leaks (unknown keys are stripped).
 */
import { z } from '@hono/zod-openapi';
import { toWire } from './wire.ts';

/** Parses a service value into its wire response: snake_case keys, ISO times, only documented fields. */
export function out<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  return schema.parse(toWire(value));
}

export const Timestamp = z.iso.datetime({ offset: true }).openapi({
  description: 'ISO 8601 date-time. Responses are always UTC (`Z`); requests may carry an offset.',
  example: '2026-03-10T08:30:00Z',
});
export const OutTimestamp = z.iso.datetime().openapi({ example: '2026-03-10T08:30:00.000Z' });

export const LocalizedText = z
  .strictObject({
    it: z.string().min(1).openapi({ description: 'Italian: always present (the fallback for every other language).' }),
    en: z.string().optional().openapi({ description: 'English; readers of the English page see Italian when absent.' }),
  })
  .openapi('LocalizedText', {
    description: 'Text written per language. Markdown where the field says so.',
    example: { it: 'Stiamo ripristinando i dati.', en: 'We are restoring the data.' },
  });

/**
 * `schema` or null. For a named (referenced) schema `.nullable()` would be documented as
 * `allOf: [$ref, {type: [object, null]}]`, which no null satisfies; a union documents `anyOf: [$ref, null]`.
 */
export const orNull = <S extends z.ZodType>(schema: S) => z.union([schema, z.null()]);

export const ServiceKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lower-case letters, digits and dashes, up to 48 characters')
  .openapi({ description: 'The stable key of a service, as in its public URL.', example: 'invoicing' });

export const Id = z.string().min(1).max(64).openapi({ description: 'An object id.', example: 'k3v9q2m7x1' });

export const IdParam = z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) });
export const KeyParam = z.object({ key: ServiceKey.openapi({ param: { name: 'key', in: 'path' } }) });

/** A JSON body whose every field is optional still has to be a JSON object. */
export const jsonBody = <S extends z.ZodType>(schema: S, description?: string) => ({
  content: { 'application/json': { schema } },
  required: true,
  ...(description ? { description } : {}),
});

export const jsonResponse = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * Query integers arrive as text. The type is stated: the generator tries `null` on the schema, which coercion
 * turns into 0, so a minimum of 0 would otherwise be documented as `["integer", "null"]`.
 */
export const queryInt = (min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).openapi({ type: 'integer', minimum: min, maximum: max });
