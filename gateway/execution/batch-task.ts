/**
 * A batch as it is run: every input packed into one buffer (the only thing
 * that crosses to a session worker, transferred — ONNX Runtime refuses
 * tensors on shared memory), and the outputs as they come back. Plain data
 * only: errors travel as `{code, message}`.
 */
import type { ErrorData } from '../../runtime/errors.js';
import type { Datatype } from '../inference/tensor.js';

/** Where one input tensor sits inside the batch's packed buffer. */
export interface PackedTensor {
  name: string;
  datatype: Datatype;
  dims: number[];
  byteOffset: number;
  length: number;
}

export interface RunTask {
  /** Every input of the batch, packed into one buffer. */
  buffer: ArrayBuffer;
  inputs: PackedTensor[];
  outputs: string[];
}

export interface ReturnedTensor {
  name: string;
  /** ONNX Runtime type string ('float32', 'int64', 'bool', ...). */
  type: string;
  dims: number[];
  buffer: ArrayBuffer;
  byteOffset: number;
  length: number;
}

export type RunResult = { ok: true; outputs: ReturnedTensor[]; computeSeconds: number } | { ok: false; error: ErrorData };

/** Runs one packed batch: inline on a shard's loop, or on a session worker. */
export interface BatchExecutor {
  /** Batches that may be in flight at once. */
  readonly capacity: number;
  /** Memory of at least `bytes` to pack the next batch's inputs into. */
  inputBuffer(bytes: number): ArrayBuffer;
  run(task: RunTask): Promise<RunResult>;
  close(): void;
}
