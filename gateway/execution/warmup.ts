/** A batch of zeros shaped for a model version (variable dimensions 1, the batch dimension `rows`), to load and time a session before it takes traffic. */
import type { ModelManifest } from '../../models/manifest.js';
import { packBatch } from '../inference/batch-packing.js';
import { allocate, elementCount } from '../inference/tensor.js';
import type { RunTask } from './batch-task.js';

export function warmupTask(manifest: ModelManifest, rows: number): RunTask {
  const batching = manifest.batching.max_batch_size > 0;
  const shapes = manifest.inputs.map((s) => s.shape.map((d, k) => (d !== -1 ? d : batching && k === 0 ? rows : 1)));
  const tensors = manifest.inputs.map((s, i) => allocate(s.datatype, elementCount(shapes[i]!)));
  const packed = packBatch(manifest.inputs, [{ tensors, shapes, rows: batching ? rows : 1, shapeKey: '' }]);
  return { buffer: packed.buffer, inputs: packed.tensors, outputs: manifest.outputs.map((s) => s.name) };
}
