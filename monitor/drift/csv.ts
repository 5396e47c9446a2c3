/**
 * A small RFC 4180 CSV reader for drift inputs: a header row, comma-separated fields, fields
 * optionally double-quoted (a quoted field may hold commas, newlines and "" for a quote), LF or
 * CRLF line ends, a UTF-8 BOM ignored, blank lines skipped. Errors name the file, the line and
 * the column.
 */
import { readFile } from 'node:fs/promises';

export interface CsvTable {
  readonly file: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** The 1-based line on which each row starts. */
  readonly lines: readonly number[];
}

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

export async function readCsv(file: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CsvError(`${file}: cannot read (${code === 'ENOENT' ? 'no such file' : (err as Error).message})`);
  }
  return parseCsv(text, file);
}

export function parseCsv(text: string, file: string): CsvTable {
  const records = splitRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file);
  if (records.length === 0) throw new CsvError(`${file}: empty file, expected a header row`);
  const [first, ...rest] = records;
  const header = first!.fields;
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name.trim() === '') throw new CsvError(`${file}:${first!.line}: column ${i + 1} has an empty name in the header`);
    const previous = seen.get(name);
    if (previous !== undefined) throw new CsvError(`${file}:${first!.line}: columns ${previous + 1} and ${i + 1} are both named '${name}'`);
    seen.set(name, i);
  });
  for (const record of rest) {
    if (record.fields.length !== header.length) {
      const n = record.fields.length;
      throw new CsvError(`${file}:${record.line}: ${n} field${n === 1 ? '' : 's'}, expected ${header.length} as in the header`);
    }
  }
  return { file, header, rows: rest.map((r) => r.fields), lines: rest.map((r) => r.line) };
}

interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

function splitRecords(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let atFieldStart = true;
  let line = 1;
  let recordLine = 1;
  const endRecord = (): void => {
    fields.push(field);
    // a blank line is no record (in a one-column file it could only be a missing value)
    if (fields.length > 1 || fields[0] !== '') records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && atFieldStart) {
      // quoted field: runs to the next lone quote
      const openLine = line;
      for (i++; ; i++) {
        if (i >= text.length) throw new CsvError(`${file}:${openLine}: column ${fields.length + 1}: quoted field is never closed`);
        const q = text[i]!;
        if (q === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (q === '"') {
          break;
        } else {
          if (q === '\n') line++;
          field += q;
        }
      }
      const after = text[i + 1];
      if (after !== undefined && after !== ',' && after !== '\n' && after !== '\r') {
        throw new CsvError(`${file}:${line}: column ${fields.length + 1}: unexpected '${after}' after a closing quote`);
      }
      atFieldStart = false;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (c === '\n' || c === '\r') {
      endRecord();
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      recordLine = line;
    } else {
      field += c;
      atFieldStart = false;
    }
    i++;
  }
  if (!atFieldStart || fields.length > 0) endRecord();
  return records;
}
