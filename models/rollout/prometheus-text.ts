/**
 * A small strict parser of the Prometheus text exposition format (0.0.4), for
 * the samples the rollout controller reads off the gateways. Comments (HELP,
 * TYPE) are skipped; a malformed sample line is an error naming its line.
 * Written here rather than taken from npm: the packages found there are
 * unmaintained, and the format needs ~50 lines.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Samples whose metric name passes `keep` (all without it). */
export function parseExposition(text: string, keep: (name: string) => boolean = () => true): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (what: string): never => {
      throw new Error(`metrics line ${n + 1}: ${what}: ${JSON.stringify(line.slice(0, 200))}`);
    };
    const name = NAME.exec(line)?.[0] ?? fail('expected a metric name');
    if (!keep(name)) continue;
    let at = name.length;
    const labels: Record<string, string> = {};
    if (line[at] === '{') {
      at++;
      for (;;) {
        while (line[at] === ' ') at++;
        if (line[at] === '}') break;
        const label = LABEL_NAME.exec(line.slice(at))?.[0] ?? fail('expected a label name');
        at += label.length;
        if (line[at] !== '=' || line[at + 1] !== '"') fail(`expected ="..." after label ${label}`);
        at += 2;
        let value = '';
        for (;;) {
          const c = line[at];
          if (c === undefined) fail('unterminated label value');
          at++;
          if (c === '"') break;
          if (c === '\\') {
            const e = line[at++];
            value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : fail(`bad escape \\${e}`);
          } else value += c;
        }
        labels[label] = value;
        while (line[at] === ' ') at++;
        if (line[at] === ',') at++;
        else if (line[at] !== '}') fail('expected "," or "}" after a label');
      }
      at++;
    }
    const rest = line.slice(at).trim().split(/\s+/);
    if (rest.length < 1 || rest.length > 2 || rest[0] === '') fail('expected a value (and optionally a timestamp)');
    samples.push({ name, labels, value: parseValue(rest[0]!, fail) });
  }
  return samples;
}

function parseValue(raw: string, fail: (what: string) => never): number {
  if (raw === '+Inf' || raw === 'Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  const value = Number(raw);
  if (Number.isNaN(value)) fail(`value ${JSON.stringify(raw)} is not a number`);
  return value;
}
