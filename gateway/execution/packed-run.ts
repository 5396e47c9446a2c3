/** One packed batch through an ORT session, on the calling thread. */
import ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { ortType, view } from '../inference/tensor.js';
import type { ReturnedTensor, RunResult, RunTask } from './batch-task.js';
import type { OrtSession } from './ort-session.js';

export function runPacked(session: OrtSession, task: RunTask): RunResult {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of task.inputs) {
    const data = view(input.datatype, task.buffer, input.byteOffset, input.length);
    feeds[input.name] = new ort.Tensor(ortType(input.datatype) as ort.Tensor.Type, data as ort.Tensor.DataType, input.dims);
  }
  const fetches: Record<string, null> = {};
  for (const name of task.outputs) fetches[name] = null;
  const started = performance.now();
  let results: Record<string, ort.Tensor>;
  try {
    results = session.run(feeds, fetches);
  } catch (err) {
    return { ok: false, error: { code: 'SY_ERR_MODEL_EXECUTION', message: err instanceof Error ? err.message : String(err) } };
  }
  const computeSeconds = (performance.now() - started) / 1000;
  const outputs: ReturnedTensor[] = task.outputs.map((name) => {
    const t = results[name]!;
    const data = t.data as ArrayBufferView & { length: number };
    return { name, type: t.type, dims: [...t.dims], buffer: data.buffer as ArrayBuffer, byteOffset: data.byteOffset, length: data.length };
  });
  return { ok: true, outputs, computeSeconds };
}
