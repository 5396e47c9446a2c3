/** `switchyard audit [--model M] [--since SEQ] [--limit N]`: who changed what, before → after. */
import { parseArgs } from 'node:util';
import type { AuditRecord } from '../../models/registry/model-record.js';
import { changeSummary, table } from './format.js';
import { COMMON_HELP, COMMON_OPTIONS, printJson, usageError } from './options.js';
import { processIo, RegistryClient, type OperatorIo } from './registry-client.js';

export const AUDIT_HELP = `usage: switchyard audit [--model MODEL] [--since SEQ] [--limit N]

  Without --since: the newest N changes (default 100). With --since: the changes after SEQ, oldest first.

${COMMON_HELP}`;

export async function auditCommand(argv: string[], io: OperatorIo = processIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, model: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } }, allowPositionals: true, strict: true });
  if (values.help) {
    io.stdout(AUDIT_HELP);
    return;
  }
  if (positionals.length) throw usageError(AUDIT_HELP, `unexpected argument '${positionals[0]}'`);
  const query = new URLSearchParams();
  for (const key of ['model', 'since', 'limit'] as const) if (values[key] !== undefined) query.set(key, values[key]!);
  const client = RegistryClient.from(values, io.env);
  const page = await client.get<{ records: AuditRecord[]; next_since: number }>(`/api/v1/audit${query.size ? `?${query}` : ''}`);
  if (values.json) return printJson(io.stdout, page);
  if (page.records.length === 0) {
    io.stdout('no audit records\n');
    return;
  }
  const rows = page.records.map((r) => [String(r.seq), r.time, r.actor, r.action, r.model, changeSummary(r.before, r.after, r.note)]);
  io.stdout(table(['SEQ', 'TIME', 'ACTOR', 'ACTION', 'MODEL', 'CHANGE'], rows));
}
