/**
 * `switchyard bench [compare|core|streaming|load] [options]`: the benchmarks of loadtest/, each a
 * process of its own (it spawns the servers and the load client and must own its exit), with the
 * terminal handed over — the same as `npm run bench`, `bench:core`, `bench:streaming`; and `load`,
 * the load generator for a gateway that is already running, in this process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS: Record<string, { file: string; summary: string }> = {
  compare: { file: 'bench.js', summary: 'both models: raw ORT, a naive node:http server, Switchyard JSON/binary/gRPC, open-loop overload (npm run bench)' },
  core: { file: 'core-bench.js', summary: 'heavy MLP: raw ORT at batch 1/8/32/128 vs the gateway at rising concurrency (npm run bench:core)' },
  streaming: { file: 'streaming-bench.js', summary: 'gateway throughput with record streaming off vs on (npm run bench:streaming)' },
};

const HELP = `usage: switchyard bench [${Object.keys(BENCHMARKS).join('|')}|load] [options]

${Object.entries(BENCHMARKS)
  .map(([name, b]) => `  ${name.padEnd(10)} ${b.summary}`)
  .join('\n')}
  load       load on a running gateway: your model, closed or open loop, HTTP JSON/binary or gRPC

Each prints a markdown table and writes its figures to loadtest/results/; 'switchyard bench core --help' and
'switchyard bench streaming --help', 'switchyard bench load --help' list their options (compare takes none).
`;

export async function benchCommand(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') return void process.stdout.write(HELP);
  const name = first === undefined || first.startsWith('-') ? 'compare' : first;
  if (name === 'load') return (await import('../loadtest/load.js')).loadCommand(rest);
  const benchmark = BENCHMARKS[name];
  if (!benchmark) throw new Error(`unknown benchmark '${name}': expected one of ${Object.keys(BENCHMARKS).join(', ')}`);
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const script = fileURLToPath(new URL(`../loadtest/${benchmark.file}`, import.meta.url));
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
  if (code !== 0) process.exitCode = code;
}
