/**
 * Model versions for the traffic tests, all with the `tabular` example's
 * input/output spec ([-1, 8] FP32 `features` → [-1, 2] FP32 `probabilities`),
 * so any of them can stand beside the tabular model as canary or shadow:
 * - the tabular example itself;
 * - a deliberately slow network (one 1024×1024 ReLU layer applied 64 times): ms per run;
 * - a model that loads and passes the gateway's warm-up (one row of zeros) but
 *   fails every real request at run time.
 */
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { generateTabularDataset, mulberry32, normalSampler, tabularExample, TABULAR_FEATURES, type ExampleModel } from '../../models/examples.js';
import { BATCH_DIM, IR_VERSION, OnnxGraphBuilder, OPSET_VERSION } from '../../models/onnx/writer.js';
import { sha256Hex } from '../../models/repository-writer.js';

export const TABULAR_SPEC = {
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, TABULAR_FEATURES] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
};

/** A registry manifest for `onnx` with the tabular spec; `extra` may set batching, execution, lineage. */
export function tabularManifest(onnx: Uint8Array, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sha256: sha256Hex(onnx), ...TABULAR_SPEC, batching: { max_batch_size: 64, max_queue_delay_us: 0, max_queue_size: 4096 }, ...extra };
}

let tabular: ExampleModel | undefined;

/** The tabular example's ONNX bytes (it trains for a moment, so once per process). */
export function tabularOnnx(): Uint8Array {
  return (tabular ??= tabularExample()).onnx;
}

/**
 * A deliberately slow model: 8 → `width`, then the same `width`×`width` ReLU
 * layer applied `repeats` times (one shared initializer, so the file stays
 * small while each row costs repeats × width² multiply-adds), then a softmax
 * head to 2 classes. With the defaults, ~67 M multiply-adds per row: several
 * ms per run on one thread.
 */
export function heavyOnnx(width = 1024, repeats = 64): Uint8Array {
  const normal = normalSampler(mulberry32(777));
  const matrix = (rows: number, cols: number, std: number): Float32Array => Float32Array.from({ length: rows * cols }, () => std * normal());
  const graph = new OnnxGraphBuilder('heavy');
  let value = graph.addInput('features', [TABULAR_FEATURES]);
  // Raw tabular features reach ~1000: the first layer is scaled down so activations stay moderate.
  graph.addInitializer('in.weight', matrix(TABULAR_FEATURES, width, 1e-3 * Math.sqrt(2 / TABULAR_FEATURES)), [TABULAR_FEATURES, width]);
  graph.addInitializer('hidden.weight', matrix(width, width, Math.sqrt(2 / width)), [width, width]);
  graph.addInitializer('hidden.bias', new Float32Array(width), [width]);
  graph.addInitializer('head.weight', matrix(width, 2, Math.sqrt(2 / (width + 2))), [width, 2]);
  graph.addInitializer('head.bias', new Float32Array(2), [2]);
  value = graph.relu(graph.gemm(value, 'in.weight', 'hidden.bias', 'in.linear'), 'in.relu');
  for (let i = 0; i < repeats; i++) value = graph.relu(graph.gemm(value, 'hidden.weight', 'hidden.bias', `h${i}.linear`), `h${i}.relu`);
  value = graph.softmax(graph.gemm(value, 'head.weight', 'head.bias', 'head.linear'), 'probabilities');
  graph.addOutput(value, [2]);
  return graph.encode();
}

/**
 * probabilities = Gather(table[1, 2], Cast<int64>(ReduceMax(features, axis 1))).
 * A row of zeros (the gateway's warm-up) gathers index 0 and succeeds; a real
 * tabular row (its 5th feature is ~1000) gathers an index far outside the
 * one-row table, and ONNX Runtime's Gather refuses it at run time. Shapes are
 * all dynamic in the batch dimension, so nothing can fail at load time.
 */
export function failingOnnx(): Uint8Array {
  const root = new protobuf.Root().loadSync(fileURLToPath(new URL('../../../proto/onnx.proto', import.meta.url)), { keepCase: true });
  const ModelProto = root.lookupType('onnx.ModelProto');
  const FLOAT = 1;
  const INT64 = 7;
  const table = new Uint8Array(new Float32Array([0.25, 0.75]).buffer);
  const valueInfo = (name: string, dims: object[]) => ({ name, type: { tensor_type: { elem_type: FLOAT, shape: { dim: dims } } } });
  const model = ModelProto.fromObject({
    ir_version: IR_VERSION,
    producer_name: 'switchyard-test',
    opset_import: [{ domain: '', version: OPSET_VERSION }],
    graph: {
      name: 'fails_on_real_rows',
      node: [
        // ReduceMax takes `axes` as an attribute up to opset 17 (an input from 18).
        { name: 'max', op_type: 'ReduceMax', input: ['features'], output: ['row_max'], attribute: [{ name: 'axes', type: 7, ints: [1] }, { name: 'keepdims', type: 2, i: 0 }] },
        { name: 'cast', op_type: 'Cast', input: ['row_max'], output: ['index'], attribute: [{ name: 'to', type: 2, i: INT64 }] },
        { name: 'gather', op_type: 'Gather', input: ['table', 'index'], output: ['probabilities'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
      ],
      initializer: [{ name: 'table', data_type: FLOAT, dims: [1, 2], raw_data: table }],
      input: [valueInfo('features', [{ dim_param: BATCH_DIM }, { dim_value: TABULAR_FEATURES }])],
      output: [valueInfo('probabilities', [{ dim_param: BATCH_DIM }, { dim_value: 2 }])],
    },
  });
  return ModelProto.encode(model).finish();
}

/** Rows of the tabular training table (raw feature scales), `count` of them from `offset`. */
export function tabularRows(count: number, offset = 0): Float32Array[] {
  const data = generateTabularDataset(offset + count);
  return Array.from({ length: count }, (_, i) => data.features.slice((offset + i) * TABULAR_FEATURES, (offset + i + 1) * TABULAR_FEATURES));
}

/** The JSON body of a one-row infer request. */
export function inferBody(row: Float32Array): string {
  return JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, row.length], data: Array.from(row) }] });
}
