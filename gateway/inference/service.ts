/**
 * The inference service behind both transports: resolves the model version,
 * validates the request against its manifest, queues it on the version's
 * batcher and shapes the answer. Reports every request's outcome once.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { asSwitchyardError, SwitchyardError } from '../../runtime/errors.js';
import type { GatewayEvents } from '../events.js';
import type { ModelCatalog } from './model-catalog.js';
import { selectOutputs, validateInputs } from './validate.js';
import type { InferenceService, InferRequest, Protocol, InferResponse, ModelMetadata, RepositoryEntry, ServerMetadata } from './types.js';

export const SERVER_EXTENSIONS = ['binary_tensor_data', 'model_repository', 'parameters'];

export class GatewayService implements InferenceService {
  private accepting = false;
  private readonly metadata: ServerMetadata;

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly events: GatewayEvents,
    serverVersion: string,
  ) {
    this.metadata = Object.freeze({ name: 'switchyard', version: serverVersion, extensions: SERVER_EXTENSIONS });
  }

  /** Called once the startup models are loaded. */
  open(): void {
    this.accepting = true;
  }

  /** Readiness goes false and new requests are refused; queued ones still complete. */
  beginShutdown(): void {
    this.accepting = false;
  }

  isLive(): boolean {
    return true;
  }

  isReady(): boolean {
    return this.accepting;
  }

  serverMetadata(): ServerMetadata {
    return this.metadata;
  }

  modelMetadata(model: string, version?: string): ModelMetadata {
    const mv = this.catalog.resolve(model, version);
    return {
      name: model,
      versions: version ? [mv.manifest.version] : this.catalog.versions(model),
      platform: mv.manifest.platform,
      inputs: mv.manifest.inputs,
      outputs: mv.manifest.outputs,
    };
  }

  isModelReady(model: string, version?: string): boolean {
    try {
      return this.accepting && this.catalog.resolve(model, version).isReady;
    } catch (err) {
      if (err instanceof SwitchyardError && err.code === 'SY_ERR_MODEL_NOT_READY') return false;
      throw err;
    }
  }

  repositoryIndex(): RepositoryEntry[] {
    return this.catalog.entries();
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    const started = performance.now();
    const id = request.id || randomUUID();
    let version = request.version ?? '';
    try {
      if (!this.accepting) throw new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'server is shutting down and takes no new requests; retry on another replica');
      const mv = this.catalog.resolve(request.model, request.version);
      version = mv.manifest.version;
      const inputs = validateInputs(mv.manifest, request.inputs);
      const selected = selectOutputs(mv.manifest, request.outputs);
      if (request.deadline !== undefined && request.deadline <= started) {
        throw new SwitchyardError('SY_ERR_DEADLINE_EXCEEDED', 'request deadline had already passed when it arrived');
      }
      const outputs = await mv.infer(inputs, request.deadline);
      this.events.requestFinished(request.protocol, request.model, version, 'OK', (performance.now() - started) / 1000);
      return { id, model_name: request.model, model_version: version, outputs: selected.map((i) => outputs[i]!) };
    } catch (err) {
      const error = asSwitchyardError(err);
      this.events.requestFinished(request.protocol, this.knownModel(request.model), version, error.code, (performance.now() - started) / 1000);
      throw error;
    }
  }

  recordRefused(protocol: Protocol, model: string, error: SwitchyardError, seconds: number): void {
    this.events.requestFinished(protocol, this.knownModel(model), '', error.code, seconds);
  }

  /** Unknown names stay out of metric labels, or any client could grow the series without bound. */
  private knownModel(name: string): string {
    return this.catalog.versions(name).length > 0 ? name : '';
  }
}
