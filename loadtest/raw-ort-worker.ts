/**
 * One raw ONNX Runtime session in a worker thread, as the gateway's session
 * worker holds it (gateway/execution/session-worker.ts: same bytes, same
 * session options), driven directly: no batcher, no transport, no copy
 * across threads on the timed path. The parent tells it what to time.
 */
import ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { encodeHistogram, latencyHistogram, recordMs } from './hdr.js';
import { seededRows } from './payload.js';

export interface RawWorkerData {
  model: Uint8Array;
  intraOpThreads: number;
  input: string;
  output: string;
  width: number;
}

export type RawWorkerRequest =
  | { kind: 'prepare'; batch: number; warmupMs: number }
  | { kind: 'measure'; durationMs: number }
  | { kind: 'latency'; durationMs: number }
  | { kind: 'output'; rows: number; width: number; seed: number };

export type RawWorkerReply =
  | { kind: 'ready' }
  | { kind: 'prepared' }
  | { kind: 'measured'; runs: number; seconds: number }
  | { kind: 'latency'; histogram: string }
  | { kind: 'output'; values: number[] }
  | { kind: 'error'; message: string };

/**
 * A copy of the gateway worker's session options (session-worker.ts keeps
 * them inline). If they change there, change them here, or the ratio lies.
 */
export function gatewaySessionOptions(intraOpThreads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

const data = workerData as RawWorkerData;
const port = parentPort!;
const session = await ort.InferenceSession.create(data.model, gatewaySessionOptions(data.intraOpThreads));
let feeds: Record<string, ort.Tensor> = {};

function tensor(rows: number, seed = 7): ort.Tensor {
  return new ort.Tensor('float32', seededRows(rows, data.width, seed), [rows, data.width]);
}

async function runFor(ms: number, each?: (ms: number) => void): Promise<{ runs: number; seconds: number }> {
  const start = performance.now();
  const end = start + ms;
  let runs = 0;
  let now = start;
  while (now < end) {
    await session.run(feeds);
    const after = performance.now();
    each?.(after - now);
    now = after;
    runs++;
  }
  return { runs, seconds: (now - start) / 1000 };
}

async function handle(request: RawWorkerRequest): Promise<RawWorkerReply> {
  switch (request.kind) {
    case 'prepare':
      feeds = { [data.input]: tensor(request.batch) };
      await runFor(request.warmupMs);
      return { kind: 'prepared' };
    case 'measure':
      return { kind: 'measured', ...(await runFor(request.durationMs)) };
    case 'latency': {
      feeds = { [data.input]: tensor(1) };
      const histogram = latencyHistogram();
      await runFor(request.durationMs, (ms) => recordMs(histogram, ms));
      return { kind: 'latency', histogram: encodeHistogram(histogram) };
    }
    case 'output': {
      const out = await session.run({ [data.input]: new ort.Tensor('float32', seededRows(request.rows, request.width, request.seed), [request.rows, request.width]) });
      return { kind: 'output', values: Array.from(out[data.output]!.data as Float32Array) };
    }
  }
}

port.on('message', (request: RawWorkerRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
port.postMessage({ kind: 'ready' } satisfies RawWorkerReply);
