/**
 * A piscina worker holding one ONNX Runtime session. `session.run()` is
 * synchronous on its calling thread, which is why it lives here and not on
 * the event loop. The session is created once, when the worker starts.
 */
import ort from 'onnxruntime-node';
import { Piscina } from 'piscina';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { ortType, view } from '../inference/tensor.js';
import type { DescribeResult, RunResult, RunTask, SessionDescription, SessionTask, SessionWorkerData } from './batch-task.js';

interface Loaded {
  session: ort.InferenceSession;
  description: SessionDescription;
}

/** Tries the providers in order; one that cannot load is dropped and the next tried (ORT itself throws instead). */
async function loadSession(data: SessionWorkerData): Promise<Loaded> {
  const dropped: SessionDescription['dropped'] = [];
  const providers = [...data.providers];
  for (;;) {
    try {
      const session = await ort.InferenceSession.create(data.model, {
        executionProviders: providers as ort.InferenceSession.ExecutionProviderConfig[],
        intraOpNumThreads: data.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // Run failures reach the caller as SY_ERR_MODEL_EXECUTION; ORT's own plain-text stderr lines would bypass the JSON logs.
        logSeverityLevel: 4,
        // Spinning intra-op threads fight the other workers for the same cores.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      const description = { provider: providers[0]!, dropped, inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
      return { session, description };
    } catch (err) {
      if (providers.length <= 1) throw err;
      dropped.push({ provider: providers.shift()!, reason: err instanceof Error ? err.message : String(err) });
    }
  }
}

const data = workerData as SessionWorkerData;
// ORT's own plain-text stderr lines (e.g. a provider library that cannot load) would bypass the JSON logs; failures still throw.
ort.env.logLevel = 'fatal';
// On Linux this lowers only this thread (and the ORT threads it starts), not the process.
if (data.lowPriority) setPriority(19);
const loading: Promise<Loaded> = loadSession(data);
// Kept as a rejected promise and reported per task, so a bad model fails requests, not the worker.
loading.catch(() => {});

function failure(err: unknown, code: string): { ok: false; error: { code: string; message: string } } {
  return { ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } };
}

async function run(task: RunTask): Promise<RunResult> {
  let loaded: Loaded;
  try {
    loaded = await loading;
  } catch (err) {
    return failure(err, 'SY_ERR_MODEL_NOT_READY');
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of task.inputs) {
    const data = view(input.datatype, task.buffer, input.byteOffset, input.length);
    feeds[input.name] = new ort.Tensor(ortType(input.datatype) as ort.Tensor.Type, data as ort.Tensor.DataType, input.dims);
  }
  const started = performance.now();
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await loaded.session.run(feeds, task.outputs);
  } catch (err) {
    return failure(err, 'SY_ERR_MODEL_EXECUTION');
  }
  const computeSeconds = (performance.now() - started) / 1000;
  const outputs = task.outputs.map((name) => {
    const t = results[name]!;
    const data = t.data as ArrayBufferView & { length: number };
    return { name, type: t.type, dims: [...t.dims], buffer: data.buffer as ArrayBuffer, byteOffset: data.byteOffset, length: data.length };
  });
  const transfer = [...new Set(outputs.map((o) => o.buffer))];
  const result: RunResult = { ok: true, outputs, computeSeconds };
  // Output buffers are handed over, not copied: piscina's transferable wrapper.
  const movable = { [Piscina.transferableSymbol]: transfer, [Piscina.valueSymbol]: result };
  return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]) as unknown as RunResult;
}

async function describe(): Promise<DescribeResult> {
  try {
    return { ok: true, description: (await loading).description };
  } catch (err) {
    return failure(err, 'SY_ERR_MODEL_NOT_READY');
  }
}

export default function handle(task: SessionTask): Promise<RunResult | DescribeResult> {
  return task.kind === 'run' ? run(task) : describe();
}
