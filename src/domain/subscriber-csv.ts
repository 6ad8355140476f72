/**
 * The subscriber list as CSV, both ways: what an export writes and what an import reads. Pure (no I/O), so
 * unit tests cover the quoting and the formula rules without a database.
 *
 * csv-parse and csv-stringify (the node-csv project) do the RFC 4180 work — quoted fields with commas, doubled
 * quotes, line breaks inside quotes, a byte-order mark — which is exactly where hand-written CSV code breaks.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

/** The columns an export writes, in order; an import reads the same names (plus a few aliases). */
export const EXPORT_COLUMNS = ['email', 'language', 'services', 'state', 'consent', 'source', 'created_at', 'confirmed_at'] as const;

/** Written in the `services` column for "every service", and accepted on import along with a blank cell. */
export const ALL_SERVICES_MARK = '*';

/**
 * A spreadsheet runs a cell that starts with one of these as a formula (`=HYPERLINK(…)`, `@SUM(…)`, and a
 * leading tab or carriage return that some programs strip first). Such a cell gets a leading apostrophe, the
 * OWASP recommendation: spreadsheets show the text as typed, and `restoreCell` removes it again on import.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

/**
 * Apostrophes already in front count too (`'+x@…` is a valid address), so that the prefix is always added
 * and always removed exactly once: `restoreCell(neutralizeCell(v)) === v` for every value.
 */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The inverse of `neutralizeCell`, so an exported file imports back to the same values. */
export function restoreCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

/** One CSV text chunk (RFC 4180: CRLF line ends, quotes only where needed), every cell neutralised. */
export function csvChunk(rows: readonly (readonly string[])[]): string {
  return stringify(rows.map((r) => r.map(neutralizeCell)), { record_delimiter: '\r\n' });
}

/** What the import needs from each data row, with its line number in the file for the report. */
export type CsvSubscriberRow = { line: number; email: string; language: string; services: string };

export type ParsedCsv = { delimiter: ',' | ';'; rows: CsvSubscriberRow[] };

/** Header names accepted for each column (lower-cased, spaces and dashes ignored). */
const COLUMN_ALIASES: Record<keyof Omit<CsvSubscriberRow, 'line'>, string[]> = {
  email: ['email', 'e-mail', 'mail', 'address', 'indirizzo', 'emailaddress'],
  language: ['language', 'lang', 'locale', 'lingua'],
  services: ['services', 'service', 'servizi', 'servizio'],
};

/** Why a file cannot be read at all (as opposed to a row with a bad value, which the import reports per row). */
export class CsvFileError extends Error {
  readonly reason: 'empty' | 'no_email_column' | 'malformed' | 'too_many_rows';
  readonly line: number | null;
  constructor(reason: CsvFileError['reason'], message: string, line: number | null = null) {
    super(message);
    this.name = 'CsvFileError';
    this.reason = reason;
    this.line = line;
  }
}

const normalizeHeader = (h: string) => h.trim().toLowerCase().replace(/[\s_-]+/g, '');

/**
 * Spreadsheets set to Italian write `;` between cells; the first line (the header) tells which one this file
 * uses. A header naming only one column has neither, and then either reading is the same.
 */
function detectDelimiter(text: string): ',' | ';' {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const commas = firstLine.split(',').length;
  const semicolons = firstLine.split(';').length;
  return semicolons > commas ? ';' : ',';
}

/**
 * Reads an import file: a header row naming the columns (`email` required; `language` and `services`
 * optional, in any order, other columns ignored) then one subscriber per row. Values are returned as written
 * (trimmed, formula apostrophe removed): judging them is the import's job, row by row.
 */
export function parseSubscriberCsv(text: string, maxRows: number): ParsedCsv {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new CsvFileError('empty', 'The file is empty.');
  const delimiter = detectDelimiter(body);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(body, {
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
      // One bad file must not hold the server: a quote left open would otherwise swallow the rest as one field.
      max_record_size: 64 * 1024,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    if (error instanceof CsvError) {
      const line = typeof (error as { lines?: unknown }).lines === 'number' ? (error as unknown as { lines: number }).lines : null;
      throw new CsvFileError('malformed', `The file is not valid CSV${line ? ` (line ${line})` : ''}: ${error.message}`, line);
    }
    throw error;
  }
  const [header, ...data] = records;
  if (!header) throw new CsvFileError('empty', 'The file is empty.');
  const names = header.record.map(normalizeHeader);
  const indexOf = (col: keyof typeof COLUMN_ALIASES) => names.findIndex((n) => COLUMN_ALIASES[col].includes(n));
  const emailAt = indexOf('email');
  if (emailAt === -1) {
    throw new CsvFileError('no_email_column', 'The first row must name the columns, and one of them must be "email".', header.info.lines);
  }
  if (data.length > maxRows) {
    throw new CsvFileError('too_many_rows', `The file has more than ${maxRows} rows: split it into smaller files.`);
  }
  const languageAt = indexOf('language');
  const servicesAt = indexOf('services');
  const cell = (r: string[], at: number) => (at === -1 ? '' : restoreCell((r[at] ?? '').trim()));
  return {
    delimiter,
    rows: data.map(({ record, info }) => ({
      line: info.lines,
      email: cell(record, emailAt),
      language: cell(record, languageAt),
      services: cell(record, servicesAt),
    })),
  };
}
