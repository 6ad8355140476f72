import * as z from 'zod';

// A field left out reads "required", for the console, the API and the CLI alike, not zod's "Invalid input:
// expected string, received undefined". Set once, here, where every service's input is parsed.
z.config({ customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined) });

/** Failures a caller can act on; the HTTP layer maps each to one status code and the shared error shape. */
export class ServiceError extends Error {
  // Plain fields, not constructor parameter properties: Node's type stripping (the CLI) cannot run those.
  readonly code: 'not_found' | 'validation_failed' | 'conflict' | 'forbidden';
  readonly fields?: Record<string, string>;
  constructor(code: ServiceError['code'], message: string, fields?: Record<string, string>) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.fields = fields;
  }
}

export const notFound = (what: string, id: string) => new ServiceError('not_found', `No ${what} with id "${id}".`);

/** Parses with zod and, on failure, names every wrong field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const path = issue.path.join('.') || '(root)';
    fields[path] ??= issue.message;
  }
  const names = Object.keys(fields).join(', ');
  throw new ServiceError('validation_failed', `Invalid input: ${names}.`, fields);
}
