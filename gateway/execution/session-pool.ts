/**
 * A piscina pool of worker threads, each holding one ONNX Runtime session of
 * one model version (Triton's instance group). Tasks are pipelined: up to
 * `pipelineDepth` batches wait in each worker's port, so a busy worker picks
 * up its next batch without a thread wake-up.
 */
import { Piscina } from 'piscina';
import type { Worker } from 'node:worker_threads';
import { SwitchyardError } from '../../runtime/errors.js';
import type { DescribeResult, RunResult, RunTask, SessionDescription, SessionWorkerData } from './batch-task.js';

export interface SessionPoolOptions {
  model: Uint8Array;
  providers: readonly string[];
  instances: number;
  intraOpThreads: number;
  pipelineDepth: number;
  lowPriority: boolean;
}

const WORKER_FILE = new URL('./session-worker.js', import.meta.url).href;

export class SessionPool {
  readonly capacity: number;
  private readonly pool: Piscina;
  private closed = false;

  constructor(options: SessionPoolOptions) {
    const workerData: SessionWorkerData = {
      model: options.model,
      providers: [...options.providers],
      intraOpThreads: options.intraOpThreads,
      lowPriority: options.lowPriority,
    };
    this.capacity = options.instances * options.pipelineDepth;
    this.pool = new Piscina({
      filename: WORKER_FILE,
      workerData,
      minThreads: options.instances,
      maxThreads: options.instances,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: options.pipelineDepth,
    });
  }

  /** Waits for a session to load and says which provider it runs on; throws when the model cannot load. */
  async describe(): Promise<SessionDescription> {
    const result = (await this.pool.run({ kind: 'describe' })) as DescribeResult;
    if (!result.ok) throw SwitchyardError.fromData(result.error);
    return result.description;
  }

  /** Runs one packed batch. A worker that dies mid-batch fails the batch as UNAVAILABLE; piscina replaces it. */
  async run(task: RunTask): Promise<RunResult> {
    if (this.closed) throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', 'model version is being unloaded');
    try {
      return (await this.pool.run(task, { transferList: [task.buffer] })) as RunResult;
    } catch (err) {
      throw new SwitchyardError('SY_ERR_WORKER_CRASHED', `worker thread failed while running the batch (${err instanceof Error ? err.message : String(err)}); retry the request`);
    }
  }

  /** The live worker threads, for operators' tooling and crash tests. */
  get threads(): readonly Worker[] {
    return this.pool.threads;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}
