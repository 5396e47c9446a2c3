/**
 * `node dist/loadtest/core-sweep.js`: tunes the gateway's flags on the heavy
 * MLP. For every combination of the listed flag values it starts a fresh
 * gateway, runs one target at the listed concurrencies (same client, same
 * placement as bench:core) and prints one markdown row per step, so
 * configurations are compared under identical load. No raw ORT run: compare
 * rows/s with bench:core's raw figure at the same instances × threads.
 *
 *   node dist/loadtest/core-sweep.js --pipeline-depth 1,2,4 --max-queue-delay-us 0,500 --concurrency 64,128
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MLP_WIDTHS, writeExampleRepository } from '../models/examples.js';
import { ClientProcess } from './client-process.js';
import { GatewayProcess, type GatewayFlags } from './gateway-process.js';
import type { PayloadSpec } from './payload.js';
import { waitForQuiet } from './quiet.js';
import { isTargetName } from './targets.js';

const PAYLOAD: PayloadSpec = { model: 'mlp', input: 'features', output: 'probabilities', rows: 1, width: MLP_WIDTHS[0]!, seed: 7 };
const FLAGS: Record<string, keyof GatewayFlags> = {
  instances: 'instances',
  'intra-op-threads': 'intraOpThreads',
  'pipeline-depth': 'pipelineDepth',
  'max-batch-size': 'maxBatchSize',
  'max-queue-delay-us': 'maxQueueDelayUs',
};

function combinations(axes: Array<[keyof GatewayFlags, number[]]>): GatewayFlags[] {
  return axes.reduce<GatewayFlags[]>((acc, [key, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [key]: v }))), [{}]);
}

async function main(): Promise<void> {
  const options = Object.fromEntries(['target', 'concurrency', 'warmup-ms', 'duration-ms', 'server-cpus', 'client-cpus', ...Object.keys(FLAGS)].map((n) => [n, { type: 'string' as const }]));
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options });
  const target = values.target ?? 'http-binary';
  if (!isTargetName(target)) throw new Error(`unknown --target '${target}'`);
  const list = (raw: string | undefined, fallback: number[]): number[] => (raw === undefined ? fallback : raw.split(',').map(Number));
  const axes = Object.entries(FLAGS).filter(([name]) => values[name] !== undefined).map(([name, key]) => [key, list(values[name], [])] as [keyof GatewayFlags, number[]]);
  const concurrency = list(values.concurrency, [1, 64]);
  const warmupMs = Number(values['warmup-ms'] ?? 1000);
  const durationMs = Number(values['duration-ms'] ?? 3000);

  const temp = await mkdtemp(join(tmpdir(), 'switchyard-sweep-'));
  const repository = join(temp, 'models');
  await writeExampleRepository(repository);
  const client = ClientProcess.start(values['client-cpus']);
  process.stdout.write(
    `target ${target}, ${warmupMs} ms warm-up + ${durationMs} ms per step, server CPUs ${values['server-cpus'] ?? 'all'}, client CPUs ${values['client-cpus'] ?? 'all'}\n\n` +
      '| flags | conc | rows/s | p50 µs | p99 µs | errors | mean batch | ORT busy | gw main | gw main µs/req | client µs/req | other procs |\n' +
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n',
  );
  try {
    for (const flags of combinations(axes)) {
      const label = Object.entries(flags).map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults';
      const gateway = await GatewayProcess.start({ repository, flags, cpus: values['server-cpus'] });
      try {
        const endpoints = { host: '127.0.0.1', httpPort: gateway.ports.http, grpcPort: gateway.ports.grpc };
        for (const c of concurrency) {
          await waitForQuiet({ maxWaitMs: 5_000, thresholdCores: 0.1, ownPids: [gateway.pid, client.pid ?? 0] });
          const s = await client.run({ target, endpoints, payload: PAYLOAD, concurrency: c, warmupMs, durationMs, server: { pid: gateway.pid, metricsUrl: gateway.metricsUrl, model: 'mlp' } });
          const errors = Object.values(s.errors).reduce((a, b) => a + b, 0);
          process.stdout.write(
            `| ${label} | ${c} | ${Math.round(s.rowsPerSecond)} | ${s.latency.p50Us} | ${s.latency.p99Us} | ${errors} | ${s.batch?.meanBatchRows.toFixed(1) ?? '–'} | ` +
              `${s.batch ? (s.batch.workerBusy * 100).toFixed(0) + ' %' : '–'} | ${s.serverCpu ? (s.serverCpu.main * 100).toFixed(0) + ' %' : '–'} | ${s.serverMainUsPerRequest ?? '–'} | ` +
              `${s.clientCpuUsPerRequest} | ${s.backgroundCores?.toFixed(2) ?? '–'} |\n`,
          );
        }
      } finally {
        await gateway.stop();
      }
    }
  } finally {
    await client.stop();
    await rm(temp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`core-sweep failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
