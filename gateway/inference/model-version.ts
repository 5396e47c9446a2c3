/**
 * One served model version: its manifest, its pool of session workers and its
 * dynamic batcher. Life cycle: `start` (load sessions, warm up), `infer`,
 * `close` (drain the queue, then release the sessions).
 */
import { performance } from 'node:perf_hooks';
import type { ModelManifest } from '../../models/manifest.js';
import { SwitchyardError } from '../../runtime/errors.js';
import type { GatewayEvents } from '../events.js';
import { SessionPool } from '../execution/session-pool.js';
import type { Logger } from '../../runtime/log.js';
import { DynamicBatcher, type BatchRequest } from './batcher.js';
import { packBatch, splitOutputs, type SplitOutputs } from './batch-packing.js';
import { allocate, elementCount } from './tensor.js';
import type { OutputTensor } from './types.js';
import type { ValidatedInputs } from './validate.js';
import type { PredictionRecorder, RecordedRequest } from '../publishing/prediction-recorder.js';

export interface ModelVersionOptions {
  manifest: ModelManifest;
  /** The verified ONNX bytes. */
  model: Uint8Array;
  pipelineDepth: number;
  /** Shadow-only versions run on low-priority threads. */
  lowPriority: boolean;
  events: GatewayEvents;
  /** Where answered requests that carry a RecordedRequest are recorded, a batch at a time. */
  recorder?: Pick<PredictionRecorder, 'servedGroup' | 'served'>;
  log: Logger;
}

interface Pending {
  inputs: ValidatedInputs;
  record: RecordedRequest | undefined;
}

type Request = BatchRequest<Pending, OutputTensor[]>;

export class ModelVersion {
  readonly manifest: ModelManifest;
  readonly pool: SessionPool;
  readonly lowPriority: boolean;
  private readonly batcher: DynamicBatcher<Pending, OutputTensor[]>;
  private readonly events: GatewayEvents;
  private readonly recorder: ModelVersionOptions['recorder'];
  private readonly log: Logger;
  private provider = 'unknown';
  private ready = false;

  constructor(options: ModelVersionOptions) {
    const { manifest, events } = options;
    this.manifest = manifest;
    this.events = events;
    this.recorder = options.recorder;
    this.log = options.log.child({ model: manifest.name, version: manifest.version });
    this.pool = new SessionPool({
      model: options.model,
      providers: manifest.execution.providers,
      instances: manifest.execution.instances,
      intraOpThreads: manifest.execution.intra_op_threads,
      pipelineDepth: options.pipelineDepth,
      lowPriority: options.lowPriority,
    });
    this.lowPriority = options.lowPriority;
    const { name, version } = manifest;
    this.batcher = new DynamicBatcher(
      {
        maxBatchSize: manifest.batching.max_batch_size,
        maxQueueDelayUs: manifest.batching.max_queue_delay_us,
        preferredBatchSizes: manifest.batching.preferred_batch_sizes,
        maxQueueSize: manifest.batching.max_queue_size,
        capacity: this.pool.capacity,
      },
      this.runBatch,
      {
        queueDepth: (n) => events.queueDepthChanged(name, version, n),
        inflight: (n) => events.inflightChanged(name, version, n),
      },
    );
  }

  get isReady(): boolean {
    return this.ready;
  }

  get queued(): number {
    return this.batcher.queued;
  }

  /** Loads the sessions and runs one warm-up batch per instance before taking traffic. */
  async start(): Promise<void> {
    const description = await this.pool.describe();
    for (const { provider, reason } of description.dropped) {
      this.log.warn('execution provider unavailable, falling back', { provider, fallback: description.provider, reason });
    }
    this.checkNames('input', this.manifest.inputs.map((s) => s.name), description.inputNames);
    this.checkNames('output', this.manifest.outputs.map((s) => s.name), description.outputNames);
    this.provider = description.provider;
    await Promise.all(Array.from({ length: this.manifest.execution.instances }, () => this.execute([this.zeroRequest()])));
    this.ready = true;
    this.events.sessionLoaded(this.manifest.name, this.manifest.version, this.provider, this.manifest.execution.instances);
    this.log.info('model version ready', { provider: this.provider, instances: this.manifest.execution.instances });
  }

  /** `record`: the answer is recorded with its batch (a failure is the caller's to record). */
  infer(inputs: ValidatedInputs, deadline?: number, record?: RecordedRequest): Promise<OutputTensor[]> {
    if (!this.ready) return Promise.reject(new SwitchyardError('SY_ERR_MODEL_NOT_READY', `model '${this.manifest.name}' version ${this.manifest.version} is not ready`));
    return this.batcher.enqueue({ inputs, record }, inputs.rows, deadline, inputs.shapeKey);
  }

  /** Answers everything queued and in flight, then releases the sessions. */
  async close(): Promise<void> {
    const wasLoaded = this.ready;
    this.ready = false;
    await this.batcher.stop();
    await this.pool.close();
    if (wasLoaded) this.events.sessionUnloaded(this.manifest.name, this.manifest.version, this.provider, this.manifest.execution.instances);
  }

  private readonly runBatch = async (batch: Request[]): Promise<void> => {
    const started = performance.now();
    const { outputs, computeSeconds } = await this.execute(batch.map((r) => r.payload.inputs));
    outputs.perRequest.forEach((out, i) => batch[i]!.resolve(out));
    this.record(batch, outputs.whole, outputs.perRequest);
    const queueSeconds = batch.map((r) => (started - r.enqueuedAt) / 1000);
    this.events.batchExecuted(this.manifest.name, this.manifest.version, this.provider, outputs.rows, queueSeconds, computeSeconds);
  };

  /** A batch of recorded requests goes as one group; one mixed with unrecorded ones (warm-up, shadow copies), request by request. */
  private record(batch: Request[], whole: OutputTensor[], perRequest: OutputTensor[][]): void {
    if (!this.recorder) return;
    const { name, version } = this.manifest;
    const records = batch.map((r) => r.payload.record);
    if (records.every((r) => r !== undefined)) return this.recorder.servedGroup(name, version, records as RecordedRequest[], whole);
    const now = performance.now();
    records.forEach((r, i) => r && this.recorder!.served(r.id, name, version, r.role, r.inputs, perRequest[i]!, (now - r.started) / 1000, 'OK'));
  }

  /** Packs the requests, runs them as one ONNX run in a worker, splits the outputs back. */
  private async execute(requests: ValidatedInputs[]): Promise<{ outputs: { rows: number } & SplitOutputs; computeSeconds: number }> {
    const packed = packBatch(this.manifest.inputs, requests);
    let result;
    try {
      result = await this.pool.run({ kind: 'run', buffer: packed.buffer, inputs: packed.tensors, outputs: this.manifest.outputs.map((s) => s.name) });
    } catch (err) {
      if (err instanceof SwitchyardError && err.code === 'SY_ERR_WORKER_CRASHED') {
        this.events.workerCrashed(this.manifest.name, this.manifest.version);
        this.log.error('worker thread crashed; batch failed, worker replaced', { requests: requests.length, error: err.message });
      }
      throw err;
    }
    if (!result.ok) throw SwitchyardError.fromData(result.error);
    const split = splitOutputs(result.outputs, requests.map((r) => r.rows), this.manifest.batching.max_batch_size > 0);
    return { outputs: { rows: packed.rows, ...split }, computeSeconds: result.computeSeconds };
  }

  /** One row of zeros (variable dimensions as 1), for warm-up. */
  private zeroRequest(): ValidatedInputs {
    const shapes = this.manifest.inputs.map((s) => s.shape.map((d) => (d === -1 ? 1 : d)));
    const tensors = this.manifest.inputs.map((s, i) => allocate(s.datatype, elementCount(shapes[i]!)));
    return { tensors, shapes, rows: 1, shapeKey: '' };
  }

  private checkNames(kind: string, declared: string[], actual: string[]): void {
    const missing = declared.filter((n) => !actual.includes(n));
    if (missing.length > 0) {
      throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', `manifest declares ${kind} ${missing.map((n) => `'${n}'`).join(', ')} but the ONNX graph's ${kind}s are ${actual.map((n) => `'${n}'`).join(', ')}`);
    }
  }
}
