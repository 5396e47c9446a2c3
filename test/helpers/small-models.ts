/** Tiny ONNX models written into a test repository, for what the example models cannot show. */
import type { ModelManifest } from '../../models/manifest.js';
import { OnnxGraphBuilder } from '../../models/onnx/writer.js';
import { writeModelVersion } from '../../models/repository-writer.js';

/** Version 1 of `name`: FP32 `x` [-1, inputWidth] → FP32 `y` [-1, outputWidth], the nodes between added by `build`. */
export async function writeSmallModel(repository: string, name: string, inputWidth: number, outputWidth: number, build: (graph: OnnxGraphBuilder) => void): Promise<ModelManifest> {
  const graph = new OnnxGraphBuilder(name);
  graph.addInput('x', [inputWidth]);
  build(graph);
  graph.addOutput('y', [outputWidth]);
  return writeModelVersion(
    repository,
    {
      name,
      version: '1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, inputWidth] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, outputWidth] }],
      batching: { max_batch_size: 8, max_queue_delay_us: 0, max_queue_size: 64 },
      execution: { instances: 1, intra_op_threads: 1, providers: ['cpu'] },
    },
    graph.encode(),
  );
}
