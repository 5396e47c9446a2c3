/**
 * What a load test sends: one FP32 input tensor for one model, encoded once
 * per wire format (Open Inference Protocol v2 REST JSON, REST binary tensor
 * extension, gRPC raw_input_contents) so the hot path only writes bytes.
 */

export interface TensorPayload {
  model: string;
  input: string;
  output: string;
  /** Full shape, e.g. [1, 256]. */
  shape: number[];
  data: Float32Array;
}

/** Deterministic values in [-1, 1) (mulberry32), so every run sends the same rows. */
export function seededRows(rows: number, width: number, seed = 7): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(rows * width);
  for (let i = 0; i < out.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** A payload described in a few plain fields, so it can be rebuilt identically in another process. */
export interface PayloadSpec {
  model: string;
  input: string;
  output: string;
  rows: number;
  width: number;
  seed: number;
}

export function buildPayload(spec: PayloadSpec): TensorPayload {
  return { model: spec.model, input: spec.input, output: spec.output, shape: [spec.rows, spec.width], data: seededRows(spec.rows, spec.width, spec.seed) };
}

export function inferPath(payload: TensorPayload): string {
  return `/v2/models/${encodeURIComponent(payload.model)}/infer`;
}

export interface HttpBody {
  body: Buffer;
  headers: Record<string, string>;
}

/** Binary tensor extension: JSON header, then the raw little-endian tensor; the output asked back as binary too. */
export function httpBinaryBody(payload: TensorPayload): HttpBody {
  const raw = Buffer.from(payload.data.buffer, payload.data.byteOffset, payload.data.byteLength);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: payload.input, shape: payload.shape, datatype: 'FP32', parameters: { binary_data_size: raw.byteLength } }],
      outputs: [{ name: payload.output, parameters: { binary_data: true } }],
      parameters: { binary_data_output: true },
    }),
  );
  return {
    body: Buffer.concat([header, raw]),
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.byteLength) },
  };
}

/** Plain JSON in and out (flat `data`). */
export function httpJsonBody(payload: TensorPayload): HttpBody {
  const body = Buffer.from(
    JSON.stringify({
      inputs: [{ name: payload.input, shape: payload.shape, datatype: 'FP32', data: Array.from(payload.data) }],
      outputs: [{ name: payload.output }],
    }),
  );
  return { body, headers: { 'Content-Type': 'application/json' } };
}

/** The named output of an HTTP answer, JSON or binary, as float32 (for the probe). */
export function decodeHttpOutput(body: Buffer, headerLength: number | undefined, output: string): Float32Array {
  const jsonEnd = headerLength ?? body.byteLength;
  const json = JSON.parse(body.subarray(0, jsonEnd).toString('utf8')) as {
    outputs: Array<{ name: string; data?: number[]; parameters?: { binary_data_size?: number } }>;
  };
  let at = jsonEnd;
  for (const o of json.outputs) {
    const size = o.parameters?.binary_data_size;
    if (o.name === output) {
      if (size === undefined) return Float32Array.from(o.data ?? []);
      return new Float32Array(body.buffer.slice(body.byteOffset + at, body.byteOffset + at + size));
    }
    if (size !== undefined) at += size;
  }
  throw new Error(`answer has no output '${output}': ${body.subarray(0, Math.min(jsonEnd, 300)).toString()}`);
}
