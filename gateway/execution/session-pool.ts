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

/** How long after a worker's death piscina gets to start a replacement by itself. */
const HEAL_AFTER_MS = 200;

export class SessionPool {
  readonly capacity: number;
  private readonly pool: Piscina;
  private closed = false;

  constructor(private readonly options: SessionPoolOptions) {
    this.capacity = options.instances * options.pipelineDepth;
    this.pool = this.createPool();
  }

  private createPool(): Piscina {
    const workerData: SessionWorkerData = {
      model: this.options.model,
      providers: [...this.options.providers],
      intraOpThreads: this.options.intraOpThreads,
      lowPriority: this.options.lowPriority,
    };
    const pool = new Piscina({
      filename: WORKER_FILE,
      workerData,
      minThreads: this.options.instances,
      maxThreads: this.options.instances,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: this.options.pipelineDepth,
      recordTiming: false,
    });
    // A worker that dies with no batch of its own surfaces here, not as a failed run.
    pool.on('error', () => this.healLater(pool));
    pool.on('workerDestroy', () => this.healLater(pool));
    return pool;
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

  /**
   * piscina replaces a worker that dies, except one that dies while starting:
   * then it only starts a worker for a task the live workers have no room
   * for, and batches queued for the missing worker would wait. Enough cheap
   * describe tasks to fill every slot make it start one. (A busy worker is
   * never terminated: ORT can abort the process when a thread dies inside
   * session.run.)
   */
  private healLater(pool: Piscina): void {
    setTimeout(() => {
      if (this.closed || pool.threads.length >= this.options.instances) return;
      for (let i = 0; i < this.capacity; i++) pool.run({ kind: 'describe' }).catch(() => {});
    }, HEAL_AFTER_MS).unref();
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
