/**
 * The transport-neutral contract between the adapters (HTTP, gRPC) and the
 * inference service. Adapters decode into these shapes and encode from them;
 * nothing below the service knows which transport a request came in on.
 */
import type { Datatype, TypedArray } from './tensor.js';
import type { TensorSpec } from '../../models/manifest.js';
import type { SwitchyardError } from '../../runtime/errors.js';

export type ParameterValue = boolean | number | string;
export type Parameters = Record<string, ParameterValue>;

export interface InputTensor {
  name: string;
  datatype: string;
  shape: number[];
  /** Decoded row-major values. Validated against the model's spec by the service. */
  data: TypedArray;
  parameters?: Parameters;
}

export interface RequestedOutput {
  name: string;
  parameters?: Parameters;
}

export type Protocol = 'http' | 'grpc';

export interface InferRequest {
  /** Echoed in the response; the service generates one when empty. */
  id: string;
  model: string;
  /** A pinned version (from the URL or `x-switchyard-version`); absent: the traffic policy chooses. */
  version?: string;
  /** The value of the model's sticky header: the same key keeps its variant while weights are unchanged. */
  stickyKey?: string;
  inputs: InputTensor[];
  /** Absent or empty: every output of the model. */
  outputs?: RequestedOutput[];
  parameters?: Parameters;
  /** performance.now() time after which the request must not start computing. */
  deadline?: number;
  protocol: Protocol;
}

export interface OutputTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TypedArray;
}

export type Role = 'stable' | 'canary' | 'shadow';

export interface InferResponse {
  id: string;
  model_name: string;
  model_version: string;
  /** The answering version's role in the model's traffic policy. */
  role: Role;
  outputs: OutputTensor[];
}

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface RepositoryEntry {
  name: string;
  version: string;
  state: 'READY' | 'LOADING' | 'UNAVAILABLE' | 'UNLOADING';
  reason: string;
}

/** What a transport adapter needs. Errors are thrown as SwitchyardError. */
export interface InferenceService {
  isLive(): boolean;
  isReady(): boolean;
  serverMetadata(): ServerMetadata;
  modelMetadata(model: string, version?: string): ModelMetadata;
  isModelReady(model: string, version?: string): boolean;
  repositoryIndex(): RepositoryEntry[];
  infer(request: InferRequest): Promise<InferResponse>;
  /** The header (HTTP) or metadata key (gRPC) whose value is the model's sticky key. */
  stickyHeader(model: string): string;
  /** Forwards ground-truth labels, joined to predictions by request id, to the monitor. */
  feedback(model: string, items: ReadonlyArray<{ id: string; labels: number[] }>): void;
  /** Counts a request the transport refused before it reached `infer` (e.g. undecodable). */
  recordRefused(protocol: Protocol, model: string, error: SwitchyardError, seconds: number): void;
}
