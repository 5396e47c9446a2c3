/**
 * Inputs with known answers and small HTTP helpers for the gateway's
 * end-to-end tests: seeded inputs for the example models, their expected
 * outputs from the TypeScript forward pass (compared with ./assert-close.js).
 */
import assert from 'node:assert/strict';
import { mlpExample, mulberry32, tabularExample, type ExampleModel } from '../../models/examples.js';
import { mlpForward } from '../../models/onnx/forward.js';
import { until } from './poll.js';

export { assertClose } from './assert-close.js';

let mlp: ExampleModel | undefined;
let tabular: ExampleModel | undefined;

/** The example models, built once per process (the mlp has 1.3 M weights, tabular trains for a moment). */
export function mlpModel(): ExampleModel {
  return (mlp ??= mlpExample());
}

export function tabularModel(): ExampleModel {
  return (tabular ??= tabularExample());
}

/** `rows` x `features` values in [-1, 1) from a seed, so every call site gets distinct, reproducible rows. */
export function seededRows(rows: number, features: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(rows * features);
  for (let i = 0; i < out.length; i++) out[i] = random() * 2 - 1;
  return out;
}

export function expectedMlp(input: Float32Array, rows: number): Float32Array {
  return mlpForward(mlpModel().layers, input, rows);
}

export function expectedTabular(input: Float32Array, rows: number): Float32Array {
  return mlpForward(tabularModel().layers, input, rows);
}

/** The JSON body of an infer request with one FP32 input named `features`. */
export function featuresBody(input: Float32Array, rows: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, input.length / rows], data: Array.from(input) }] });
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** POSTs to the gateway with fetch and reads the whole answer; never throws for an HTTP status. */
export async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<HttpAnswer> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'Content-Type': 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The `{"error": "..."}` body every refusal carries; fails when the answer is shaped otherwise. */
export function errorOf(answer: HttpAnswer): string {
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, `error answer (${answer.status}) is not JSON: ${answer.text}`);
  const body = JSON.parse(answer.text) as unknown;
  assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), `error body is not an object: ${answer.text}`);
  const { error } = body as { error?: unknown };
  assert.equal(typeof error, 'string', `error body has no "error" string: ${answer.text}`);
  assert.deepEqual(Object.keys(body), ['error'], `error body carries more than "error": ${answer.text}`);
  assert.ok((error as string).length > 0, 'error message is empty');
  return error as string;
}

/** The FP32 `probabilities` of a successful JSON answer. */
export function probabilitiesOf(answer: HttpAnswer): { shape: number[]; data: number[] } {
  assert.equal(answer.status, 200, `expected 200, got ${answer.status}: ${answer.text}`);
  const body = JSON.parse(answer.text) as { outputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }> };
  const output = body.outputs.find((o) => o.name === 'probabilities');
  assert.ok(output, `answer has no 'probabilities' output: ${answer.text.slice(0, 300)}`);
  assert.equal(output.datatype, 'FP32');
  return { shape: output.shape, data: output.data };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 1): Promise<void> {
  return until(what, condition, timeoutMs, everyMs);
}
