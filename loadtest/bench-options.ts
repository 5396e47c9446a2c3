/** `npm run bench` options, checked once: the shard count (gateway and echo alike), the windows, the client. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Gateway shards (passed as --shards when its --help lists it) and echo-http threads. */
  shards: number;
  /** Unmeasured load before each measured window, whole seconds (wrk's unit). */
  warmupS: number;
  /** Each measured window, whole seconds. */
  durationS: number;
  /** Drive every target with the Node client even where wrk and h2load are installed. */
  nodeClient: boolean;
}

export const BENCH_HELP = `usage: npm run bench -- [options]   (node dist/loadtest/bench.js [options])

Transport limits (bare uWS, bare node:http2), raw ONNX Runtime, the naive node:http server
and the gateway over HTTP JSON, HTTP binary and gRPC, on both bundled models; prints the
results table and the targets table, writes loadtest/results/latest.json and latest.md.

options:
  --shards N        gateway shards (--shards, when its --help lists it) and echo-http threads
                    (default: os.availableParallelism(), here ${availableParallelism()})
  --warmup-s N      warm-up before each measured window, seconds (default 1)
  --duration-s N    each measured window, seconds (default 3)
  --node-client     use the Node load client even where wrk / h2load are installed
  -h, --help        this text
`;

function positiveInteger(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be a whole number from 1 to ${max}, got '${value}'`);
  return n;
}

/** undefined: help was asked for. */
export function parseBenchOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      shards: { type: 'string' },
      'warmup-s': { type: 'string' },
      'duration-s': { type: 'string' },
      'node-client': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  return Object.freeze({
    shards: positiveInteger('shards', values.shards, availableParallelism(), 256),
    warmupS: positiveInteger('warmup-s', values['warmup-s'], 1, 30),
    durationS: positiveInteger('duration-s', values['duration-s'], 3, 30),
    nodeClient: values['node-client'],
  });
}
