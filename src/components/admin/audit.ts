/**
 * Turns an audit row's before/after snapshots into the rows of a readable diff: one line per changed field,
 * nested texts flattened (`title.it`), noise (timestamps of the write itself) left out, instants shown in the
 * site's zone.
 */
import { formatDateTime } from '../../domain/time.ts';
import type { Locale } from '../../domain/vocab.ts';

export type DiffRow = { field: string; before: string | null; after: string | null };

const NOISE = new Set(['updatedAt', 'passwordHash', 'tokenHash']);
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function flatten(value: unknown, prefix: string, out: Map<string, unknown>, depth = 0) {
  if (value && typeof value === 'object' && !Array.isArray(value) && depth < 2) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (NOISE.has(k)) continue;
      flatten(v, prefix ? `${prefix}.${k}` : k, out, depth + 1);
    }
    return;
  }
  out.set(prefix || '(value)', value);
}

function show(value: unknown, locale: Locale, timeZone: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    if (ISO_INSTANT.test(value)) {
      const d = new Date(value);
      if (!Number.isNaN(d.getTime())) return formatDateTime(d, locale, timeZone);
    }
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function auditDiff(before: unknown, after: unknown, locale: Locale, timeZone: string): DiffRow[] {
  const b = new Map<string, unknown>();
  const a = new Map<string, unknown>();
  if (before != null) flatten(before, '', b);
  if (after != null) flatten(after, '', a);
  const fields = [...new Set([...b.keys(), ...a.keys()])];
  const rows: DiffRow[] = [];
  for (const field of fields) {
    const before = show(b.get(field), locale, timeZone);
    const after = show(a.get(field), locale, timeZone);
    if (before === after) continue;
    rows.push({ field, before, after });
  }
  return rows;
}

/** Where the audited object lives in the console, when it has a page. */
export function auditObjectLink(objectType: string, objectId: string, snapshot: unknown): string | null {
  const s = (snapshot && typeof snapshot === 'object' ? snapshot : {}) as Record<string, unknown>;
  const incidentId = typeof s.incidentId === 'string' ? s.incidentId : null;
  switch (objectType) {
    case 'incident':
      return `/admin/incidents/${objectId}`;
    case 'maintenance':
      return `/admin/maintenance/${objectId}`;
    case 'service':
      return typeof s.key === 'string' ? `/admin/services/${s.key}` : null;
    case 'milestone':
      return incidentId ? `/admin/incidents/${incidentId}/plan#m-${objectId}` : null;
    case 'incident_faq':
      return incidentId ? `/admin/incidents/${incidentId}/faq#q-${objectId}` : null;
    case 'data_gap_notice':
      return incidentId ? `/admin/incidents/${incidentId}/notices#n-${objectId}` : null;
    default:
      return null;
  }
}
