/**
 * `<root>/audit.log`: one JSON audit record per line, appended and fsynced
 * before a change is acknowledged. A line torn by a crash (no trailing newline)
 * was never acknowledged; it is cut off when the log is opened.
 */
import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../runtime/log.js';
import { syncDirectory } from './durable-fs.js';
import { dirname } from 'node:path';
import type { AuditRecord } from './model-record.js';

export const AUDIT_FILE = 'audit.log';
export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1000;

export interface AuditQuery {
  /** Records with seq greater than this, oldest first; without it, the newest `limit` records. */
  since?: number;
  limit?: number;
  model?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass as `since` to read on. */
  next_since: number;
}

export class AuditLog {
  private constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
    private last: number,
  ) {}

  static async open(path: string, log: Logger): Promise<AuditLog> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      log.warn('audit log ends in a torn record (crash during append); cutting it off', { path, bytes: Buffer.byteLength(text.slice(end)) });
      await truncate(path, Buffer.byteLength(text.slice(0, end)));
    }
    let last = 0;
    for (const record of parseLines(text.slice(0, end), path, log)) last = Math.max(last, record.seq);
    const handle = await open(path, 'a');
    await handle.sync();
    await syncDirectory(dirname(path));
    return new AuditLog(path, handle, last);
  }

  /** The highest seq in the log. */
  get lastSeq(): number {
    return this.last;
  }

  /** Durable once resolved. Callers serialise appends. */
  async append(record: AuditRecord): Promise<void> {
    await this.handle.appendFile(`${JSON.stringify(record)}\n`);
    await this.handle.sync();
    this.last = Math.max(this.last, record.seq);
  }

  async read(query: AuditQuery = {}): Promise<AuditPage> {
    const limit = Math.min(query.limit ?? AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX);
    const text = await readFile(this.path, 'utf8');
    let records = parseLines(text.slice(0, text.lastIndexOf('\n') + 1), this.path);
    if (query.model !== undefined) records = records.filter((r) => r.model === query.model);
    if (query.since !== undefined) {
      const since = query.since;
      records = records.filter((r) => r.seq > since).slice(0, limit);
    } else {
      records = records.slice(Math.max(0, records.length - limit));
    }
    const next = records.length > 0 ? records[records.length - 1]!.seq : (query.since ?? this.last);
    return { records, next_since: next };
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

function parseLines(text: string, path: string, log?: Logger): AuditRecord[] {
  const records: AuditRecord[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line === '') continue;
    try {
      const record = JSON.parse(line) as AuditRecord;
      if (Number.isInteger(record.seq)) records.push(record);
      else throw new Error('no "seq"');
    } catch (err) {
      log?.error('audit log line is not a record; skipped', { path, line: lineNo, error: (err as Error).message });
    }
  }
  return records;
}
