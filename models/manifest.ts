/**
 * The manifest beside every model version's ONNX file: what the gateway serves
 * (tensor specs, batching, execution providers), how the file is verified
 * (sha256) and where the version came from (lineage, reference profile).
 * Validated once on load; everything downstream trusts the frozen result.
 */
import { isDatatype, SUPPORTED_DATATYPES, type Datatype } from '../gateway/inference/tensor.js';

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FILE = 'model.onnx';

export interface TensorSpec {
  name: string;
  datatype: Datatype;
  /** Full shape; -1 marks a variable dimension. With batching, dim 0 is the batch dimension (-1). */
  shape: number[];
}

export interface BatchingSpec {
  /** Largest batch a single ONNX run may take; 0 disables batching (requests run alone). */
  max_batch_size: number;
  /** How long the first queued request may wait for others, in microseconds. */
  max_queue_delay_us: number;
  /** Batch sizes to flush at as soon as they are reached (Triton's preferred_batch_size). */
  preferred_batch_sizes: number[];
  /** Queued requests beyond this are refused at once (429 / RESOURCE_EXHAUSTED). */
  max_queue_size: number;
}

/** Where a version's batches run: see gateway/control/execution-mode.ts. */
export type RequestedMode = 'auto' | 'inline' | 'pool';

export const EXECUTION_MODES: readonly RequestedMode[] = ['auto', 'inline', 'pool'];

export interface ExecutionSpec {
  /** `inline` on every shard's own loop, `pool` on shared session workers, `auto` (default): inline when a run at max_batch_size is short on CPU. */
  mode: RequestedMode;
  /** Session worker threads of a `pool` version (Triton's instance_group count); an inline version has one session per shard. */
  instances: number;
  /** ONNX Runtime intra-op threads per session. */
  intra_op_threads: number;
  /** Tried in order; a provider that cannot load is dropped and the next one used. */
  providers: string[];
}

export interface Lineage {
  parent_version?: string;
  data_hash?: string;
  parameters?: Record<string, unknown>;
  metrics?: Record<string, number>;
  trigger_id?: string;
  created_at?: string;
}

export interface ModelManifest {
  name: string;
  version: string;
  platform: 'onnxruntime_onnx';
  file: string;
  sha256: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  batching: BatchingSpec;
  execution: ExecutionSpec;
  lineage: Lineage;
  /** Filled in by the monitor issue: reference distribution of training data. */
  reference_profile: unknown;
}

export const DEFAULT_BATCHING: BatchingSpec = Object.freeze({
  max_batch_size: 64,
  max_queue_delay_us: 0,
  preferred_batch_sizes: [],
  max_queue_size: 4096,
});

export const DEFAULT_EXECUTION: ExecutionSpec = Object.freeze({ mode: 'auto', instances: 1, intra_op_threads: 1, providers: ['cpu'] });

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const VERSION_RULE = /^[1-9][0-9]{0,8}$/;

/** Returns the broken rule, or undefined when the name is acceptable. */
export function modelNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !NAME_RULE.test(name) || name.includes('..')) {
    return 'a model name is 1-128 characters of letters, digits, "_", "-" and ".", starting with a letter or digit, without ".."';
  }
  return undefined;
}

export function versionProblem(version: unknown): string | undefined {
  if (typeof version !== 'string' || !VERSION_RULE.test(version)) {
    return 'a version is a positive integer without leading zeros (e.g. "3")';
  }
  return undefined;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Validates a parsed manifest, fills defaults and returns a deep-frozen copy. */
export function parseManifest(raw: unknown, where: string): ModelManifest {
  const fail = (what: string): never => {
    throw new ManifestError(`${where}: ${what}`);
  };
  if (!isObject(raw)) fail('manifest must be a JSON object');
  const m = raw as Record<string, unknown>;
  const nameProblem = modelNameProblem(m.name);
  if (nameProblem) fail(`"name" ${JSON.stringify(m.name)} is invalid: ${nameProblem}`);
  const version = typeof m.version === 'number' ? String(m.version) : m.version;
  const vProblem = versionProblem(version);
  if (vProblem) fail(`"version" ${JSON.stringify(m.version)} is invalid: ${vProblem}`);
  if (m.platform !== undefined && m.platform !== 'onnxruntime_onnx') fail(`"platform" must be "onnxruntime_onnx", got ${JSON.stringify(m.platform)}`);
  const file = m.file ?? MODEL_FILE;
  if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || file.startsWith('.')) fail('"file" must be a plain file name in the version directory');
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) fail('"sha256" must be 64 lowercase hex characters');

  const batching: BatchingSpec = { ...DEFAULT_BATCHING, ...(isObject(m.batching) ? m.batching : {}) };
  if (!isCount(batching.max_batch_size, 0)) fail('"batching.max_batch_size" must be an integer >= 0');
  if (!isCount(batching.max_queue_delay_us, 0)) fail('"batching.max_queue_delay_us" must be an integer >= 0');
  if (!isCount(batching.max_queue_size, 1)) fail('"batching.max_queue_size" must be an integer >= 1');
  if (!Array.isArray(batching.preferred_batch_sizes) || !batching.preferred_batch_sizes.every((s) => isCount(s, 1) && s <= Math.max(1, batching.max_batch_size))) {
    fail('"batching.preferred_batch_sizes" must be integers between 1 and max_batch_size');
  }

  const execution: ExecutionSpec = { ...DEFAULT_EXECUTION, ...(isObject(m.execution) ? m.execution : {}) };
  if (!EXECUTION_MODES.includes(execution.mode)) fail(`"execution.mode" must be one of ${EXECUTION_MODES.join(', ')}, got ${JSON.stringify(execution.mode)}`);
  if (!isCount(execution.instances, 1)) fail('"execution.instances" must be an integer >= 1');
  if (!isCount(execution.intra_op_threads, 1)) fail('"execution.intra_op_threads" must be an integer >= 1');
  if (!Array.isArray(execution.providers) || execution.providers.length === 0 || !execution.providers.every((p) => typeof p === 'string' && p !== '')) {
    fail('"execution.providers" must be a non-empty list of provider names, e.g. ["cuda", "cpu"]');
  }

  const inputs = parseSpecs(m.inputs, 'inputs', batching.max_batch_size, fail);
  const outputs = parseSpecs(m.outputs, 'outputs', batching.max_batch_size, fail);

  return deepFreeze({
    name: m.name as string,
    version: version as string,
    platform: 'onnxruntime_onnx',
    file: file as string,
    sha256: m.sha256 as string,
    inputs,
    outputs,
    batching: { ...batching, preferred_batch_sizes: [...batching.preferred_batch_sizes].sort((a, b) => a - b) },
    execution,
    lineage: isObject(m.lineage) ? (m.lineage as Lineage) : {},
    reference_profile: m.reference_profile ?? null,
  });
}

function parseSpecs(raw: unknown, field: string, maxBatch: number, fail: (what: string) => never): TensorSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) fail(`"${field}" must be a non-empty list of tensor specs`);
  const seen = new Set<string>();
  return (raw as unknown[]).map((spec, i) => {
    const at = `"${field}[${i}]"`;
    if (!isObject(spec)) fail(`${at} must be an object with name, datatype and shape`);
    const s = spec as Record<string, unknown>;
    if (typeof s.name !== 'string' || s.name === '') fail(`${at}.name must be a non-empty string`);
    if (seen.has(s.name as string)) fail(`${at}.name "${s.name}" is used twice`);
    seen.add(s.name as string);
    if (!isDatatype(s.datatype)) fail(`${at}.datatype must be one of ${SUPPORTED_DATATYPES.join(', ')}, got ${JSON.stringify(s.datatype)}`);
    if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= -1)) fail(`${at}.shape must be a list of integers (-1 for a variable dimension)`);
    const shape = s.shape as number[];
    if (maxBatch > 0 && shape[0] !== -1) fail(`${at}.shape must start with -1 (the batch dimension) when batching.max_batch_size > 0`);
    return { name: s.name as string, datatype: s.datatype as Datatype, shape: [...shape] };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown, min: number): v is number {
  return Number.isInteger(v) && (v as number) >= min;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
