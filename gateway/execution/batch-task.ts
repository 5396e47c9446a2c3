/**
 * The messages between the main thread and a session worker. Only plain data
 * and transferable ArrayBuffers cross the boundary; errors travel as
 * `{code, message}` because Error subclasses lose their fields on the way.
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
  kind: 'run';
  /** Every input of the batch, packed into one transferred buffer. */
  buffer: ArrayBuffer;
  inputs: PackedTensor[];
  outputs: string[];
}

export interface DescribeTask {
  kind: 'describe';
}

export type SessionTask = RunTask | DescribeTask;

export interface ReturnedTensor {
  name: string;
  /** ONNX Runtime type string ('float32', 'int64', 'bool', ...). */
  type: string;
  dims: number[];
  buffer: ArrayBuffer;
  byteOffset: number;
  length: number;
}

export type RunResult =
  | { ok: true; outputs: ReturnedTensor[]; computeSeconds: number }
  | { ok: false; error: ErrorData };

export interface SessionDescription {
  /** The provider the session runs on after any fallback. */
  provider: string;
  /** Providers that were configured but could not be loaded, with the reason. */
  dropped: Array<{ provider: string; reason: string }>;
  inputNames: string[];
  outputNames: string[];
}

export type DescribeResult = { ok: true; description: SessionDescription } | { ok: false; error: ErrorData };

export interface SessionWorkerData {
  /** Verified ONNX bytes (the main thread checked the sha256). */
  model: Uint8Array;
  providers: string[];
  intraOpThreads: number;
  /** Low-priority workers (shadow traffic) run at nice 19, so they only take CPU the live traffic leaves. */
  lowPriority: boolean;
}
