/**
 * The inference service behind both transports: routes the request to a
 * version (pinned, sticky or weighted), validates it against that version's
 * manifest, queues it on the version's batcher and shapes the answer; then
 * mirrors it to any shadow versions. Reports every request's outcome once.
 */
import { performance } from 'node:perf_hooks';
import { asSwitchyardError, SwitchyardError } from '../../runtime/errors.js';
import { DEFAULT_STICKY_HEADER } from '../../models/registry/traffic-policy.js';
import type { GatewayEvents } from '../events.js';
import type { ShadowMirror } from '../routing/shadow-mirror.js';
import type { FeedbackItem, PredictionRecorder } from '../publishing/prediction-recorder.js';
import type { ModelCatalog } from './model-catalog.js';
import { selectOutputs, validateInputs } from './validate.js';
import type { InferenceService, InferRequest, InferResponse, ModelMetadata, Protocol, RepositoryEntry, Role, ServerMetadata } from './types.js';
import { newRequestId } from './request-id.js';

export const SERVER_EXTENSIONS = ['binary_tensor_data', 'model_repository', 'parameters'];

export class GatewayService implements InferenceService {
  private accepting = false;
  private readonly metadata: ServerMetadata;

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly shadows: ShadowMirror,
    private readonly events: GatewayEvents,
    serverVersion: string,
    /** Absent when no monitor is configured: nothing is recorded and feedback is refused. */
    private readonly recorder?: PredictionRecorder,
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

  stickyHeader(model: string): string {
    return this.catalog.stickyHeader(model) ?? DEFAULT_STICKY_HEADER;
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    const started = performance.now();
    const id = request.id || newRequestId();
    let version = request.version ?? '';
    let role: Role | '' = '';
    try {
      if (!this.accepting) throw new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'server is shutting down and takes no new requests; retry on another replica');
      const route = this.catalog.route(request.model, request.version, request.stickyKey);
      const mv = route.version;
      version = mv.manifest.version;
      role = route.role;
      const inputs = validateInputs(mv.manifest, request.inputs);
      const selected = selectOutputs(mv.manifest, request.outputs);
      if (request.deadline !== undefined && request.deadline <= started) {
        throw new SwitchyardError('SY_ERR_DEADLINE_EXCEEDED', 'request deadline had already passed when it arrived');
      }
      const record = this.recorder && { id, role, started, inputs: request.inputs, rows: inputs.rows };
      const outputs = await mv.infer(inputs, request.deadline, record);
      const seconds = (performance.now() - started) / 1000;
      this.events.requestFinished(request.protocol, request.model, version, role, 'OK', seconds);
      const shadows = this.catalog.shadowsOf(request.model);
      if (shadows.length > 0) this.shadows.mirror(mv, shadows, request.inputs, outputs);
      return { id, model_name: request.model, model_version: version, role, outputs: selected ? selected.map((i) => outputs[i]!) : outputs };
    } catch (err) {
      const error = asSwitchyardError(err);
      const seconds = (performance.now() - started) / 1000;
      this.events.requestFinished(request.protocol, this.knownModel(request.model), version, role, error.code, seconds);
      if (role !== '') this.recorder?.served(id, request.model, version, role, request.inputs, [], seconds, error.code);
      throw error;
    }
  }

  feedback(model: string, items: readonly FeedbackItem[]): void {
    if (!this.recorder) throw new SwitchyardError('SY_ERR_MONITOR_NOT_CONFIGURED', 'this gateway sends no records to a monitor (start it with --monitor or --records-redis), so feedback has nowhere to go');
    if (this.knownModel(model) === '') this.catalog.resolve(model);
    this.recorder.feedback(model, items);
  }

  recordRefused(protocol: Protocol, model: string, error: SwitchyardError, seconds: number): void {
    this.events.requestFinished(protocol, this.knownModel(model), '', '', error.code, seconds);
  }

  /** Unknown names stay out of metric labels, or any client could grow the series without bound. */
  private knownModel(name: string): string {
    return this.catalog.versions(name).length > 0 ? name : '';
  }
}
