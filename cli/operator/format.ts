/** Plain-text rendering for the operator verbs: aligned tables and one-line summaries of policies and changes. */
import type { ModelSnapshot } from '../../models/registry/model-record.js';
import type { TrafficPolicy } from '../../models/registry/traffic-policy.js';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function trafficSummary(policy: Pick<TrafficPolicy, 'variants' | 'shadow'> | null, aliases: Record<string, string> = {}): string {
  if (!policy) return '-';
  const target = (t: string): string => (aliases[t] ? `${t}(v${aliases[t]})` : /^[0-9]+$/.test(t) ? `v${t}` : t);
  const live = policy.variants.map((v) => `${target(v.target)}=${v.weight}`).join(' ');
  const shadow = policy.shadow.map((s) => `${target(s.target)}:${s.percent}%`).join(' ');
  return shadow ? `${live} | shadow ${shadow}` : live;
}

export function aliasSummary(aliases: Record<string, string>): string {
  const entries = Object.entries(aliases).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([a, v]) => `${a}→v${v}`).join(' ') : '-';
}

/** What an audit record changed, in one line: "+v3", "alias canary v2→v3", "traffic v1=100 → v1=90 v2=10". */
export function changeSummary(before: ModelSnapshot | null, after: ModelSnapshot, note?: string): string {
  const parts: string[] = [];
  const added = after.versions.filter((v) => !before?.versions.includes(v));
  if (added.length) parts.push(`+${added.map((v) => `v${v}`).join(' +')}`);
  const archived = after.archived.filter((v) => !before?.archived.includes(v));
  if (archived.length) parts.push(`archived ${archived.map((v) => `v${v}`).join(' ')}`);
  const names = new Set([...Object.keys(before?.aliases ?? {}), ...Object.keys(after.aliases)]);
  for (const alias of [...names].sort()) {
    const from = before?.aliases[alias];
    const to = after.aliases[alias];
    if (from !== to) parts.push(`alias ${alias} ${from ? `v${from}` : '(none)'}→${to ? `v${to}` : '(deleted)'}`);
  }
  const fromTraffic = before ? trafficSummary(before.traffic) : '(none)';
  const toTraffic = trafficSummary(after.traffic);
  if (fromTraffic !== toTraffic || before?.traffic.sticky_header !== after.traffic.sticky_header) parts.push(`traffic ${fromTraffic} → ${toTraffic}`);
  if (note) parts.push(note);
  return parts.join('; ') || '(no change)';
}
