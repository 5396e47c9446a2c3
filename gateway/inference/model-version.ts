/**
 * One served model version on a shard: its manifest, its dynamic batcher and
 * the executor its batches run on (inline on this shard's loop, or a shared
 * session pool). Life cycle: built with a loaded executor, `start` (takes
 * traffic), `infer`, `close` (drain the queue, then release the executor).
 */
import { performance } from 'node:perf_hooks';
import type { ModelManifest } from '../../models/manifest.js';
import { SwitchyardError } from '../../runtime/errors.js';
import type { GatewayEvents } from '../events.js';
import type { BatchExecutor } from '../execution/batch-task.js';
import { DynamicBatcher, type BatchRequest } from './batcher.js';
import { packBatch, splitOutputs, type SplitOutputs } from './batch-packing.js';
import type { OutputTensor } from './types.js';
import type { ValidatedInputs } from './validate.js';
import type { PredictionRecorder, RecordedRequest } from '../publishing/prediction-recorder.js';

export type ExecutionMode = 'inline' | 'pool';

export interface ModelVersionOptions {
  manifest: ModelManifest;
  /** Identifies this load of the version: the control plane reuses a version whose key it already sent. */
  key: string;
  mode: ExecutionMode;
  /** The provider the sessions run on. */
  provider: string;
  executor: BatchExecutor;
  /** Shadow-only versions run on low-priority threads. */
  lowPriority: boolean;
  events: GatewayEvents;
  /** Where answered requests that carry a RecordedRequest are recorded, a batch at a time. */
  recorder?: Pick<PredictionRecorder, 'servedGroup' | 'served'>;
}

interface Pending {
  inputs: ValidatedInputs;
  record: RecordedRequest | undefined;
}

type Request = BatchRequest<Pending, OutputTensor[]>;

export class ModelVersion {
  readonly manifest: ModelManifest;
  readonly key: string;
  readonly mode: ExecutionMode;
  readonly provider: string;
  readonly lowPriority: boolean;
  readonly executor: BatchExecutor;
  private readonly batcher: DynamicBatcher<Pending, OutputTensor[]>;
  private readonly events: GatewayEvents;
  private readonly recorder: ModelVersionOptions['recorder'];
  private readonly outputNames: string[];
  private ready = false;

  constructor(options: ModelVersionOptions) {
    const { manifest, events } = options;
    this.manifest = manifest;
    this.key = options.key;
    this.mode = options.mode;
    this.provider = options.provider;
    this.lowPriority = options.lowPriority;
    this.executor = options.executor;
    this.events = events;
    this.recorder = options.recorder;
    this.outputNames = manifest.outputs.map((s) => s.name);
    const { name, version } = manifest;
    this.batcher = new DynamicBatcher(
      {
        maxBatchSize: manifest.batching.max_batch_size,
        maxQueueDelayUs: manifest.batching.max_queue_delay_us,
        preferredBatchSizes: manifest.batching.preferred_batch_sizes,
        maxQueueSize: manifest.batching.max_queue_size,
        capacity: this.executor.capacity,
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

  /** Takes traffic from now on. */
  start(): void {
    this.ready = true;
  }

  /** `record`: the answer is recorded with its batch (a failure is the caller's to record). */
  infer(inputs: ValidatedInputs, deadline?: number, record?: RecordedRequest): Promise<OutputTensor[]> {
    if (!this.ready) return Promise.reject(new SwitchyardError('SY_ERR_MODEL_NOT_READY', `model '${this.manifest.name}' version ${this.manifest.version} is not ready`));
    return this.batcher.enqueue({ inputs, record }, inputs.rows, deadline, inputs.shapeKey);
  }

  /** Answers everything queued and in flight, then releases the executor. */
  async close(): Promise<void> {
    this.ready = false;
    await this.batcher.stop();
    this.executor.close();
  }

  private readonly allocateInputs = (bytes: number): ArrayBuffer => this.executor.inputBuffer(bytes);

  private readonly runBatch = async (batch: Request[]): Promise<void> => {
    const started = performance.now();
    const { outputs, computeSeconds } = await this.execute(batch.map((r) => r.payload.inputs));
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(outputs.perRequest[i]!);
    this.record(batch, outputs.whole, outputs.perRequest);
    const queueSeconds = batch.map((r) => (started - r.enqueuedAt) / 1000);
    this.events.batchExecuted(this.manifest.name, this.manifest.version, this.provider, outputs.rows, queueSeconds, computeSeconds);
  };

  /** A batch of recorded requests goes as one group; one mixed with unrecorded ones (shadow copies), request by request. */
  private record(batch: Request[], whole: OutputTensor[], perRequest: OutputTensor[][]): void {
    if (!this.recorder) return;
    const { name, version } = this.manifest;
    const records = batch.map((r) => r.payload.record);
    if (records.every((r) => r !== undefined)) return this.recorder.servedGroup(name, version, records as RecordedRequest[], whole);
    const now = performance.now();
    records.forEach((r, i) => r && this.recorder!.served(r.id, name, version, r.role, r.inputs, perRequest[i]!, (now - r.started) / 1000, 'OK'));
  }

  /** Packs the requests, runs them as one ONNX run, splits the outputs back. */
  private async execute(requests: ValidatedInputs[]): Promise<{ outputs: { rows: number } & SplitOutputs; computeSeconds: number }> {
    const packed = packBatch(this.manifest.inputs, requests, this.allocateInputs);
    const result = await this.executor.run({ buffer: packed.buffer, inputs: packed.tensors, outputs: this.outputNames });
    if (!result.ok) throw SwitchyardError.fromData(result.error);
    const split = splitOutputs(result.outputs, requests.map((r) => r.rows), this.manifest.batching.max_batch_size > 0);
    return { outputs: { rows: packed.rows, ...split }, computeSeconds: result.computeSeconds };
  }
}
