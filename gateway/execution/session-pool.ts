/**
 * Session workers for one model version (Triton's instance group): threads
 * each holding an ORT session, owned by the gateway's main thread and shared
 * by every shard — a shard reaches each worker over a port of its own
 * (`connect`), so a batch crosses one thread boundary each way, as it would
 * to a pool on its own loop. For runs too long to block a shard's loop, for
 * GPU providers (one session per GPU, not per shard) and for shadow versions
 * (low-priority threads).
 *
 * A worker that dies is counted and replaced; once the replacement has
 * loaded, `replaced(slot)` tells the owner to connect the shards to it.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { SwitchyardError } from '../../runtime/errors.js';
import type { RunTask } from './batch-task.js';
import type { DroppedProvider } from './ort-session.js';

export interface SessionPoolOptions {
  /** Verified ONNX bytes. */
  model: Uint8Array;
  providers: readonly string[];
  intraOpThreads: number;
  /** Shadow-only versions run at nice 19, so they only take CPU the live traffic leaves. */
  lowPriority: boolean;
  /** A batch at the version's largest size, run to warm each session up and time it. */
  warmup: RunTask;
}

export type SessionWorkerData = Omit<SessionPoolOptions, 'providers'> & { providers: string[] };

export interface SessionDescription {
  /** The provider in use after any fallback. */
  provider: string;
  /** Providers asked for first that could not load, with the reason. */
  dropped: DroppedProvider[];
  inputNames: string[];
  outputNames: string[];
  /** Median time of a warm-up run at the largest batch, in ms. */
  runMs: number;
}

/** Worker → pool, once: the session is up, or why it is not. */
export type WorkerLoaded = ({ kind: 'loaded' } & SessionDescription) | { kind: 'failed'; error: string };

/** Pool → worker: a shard's port to take batches on; or fault injection (see `crashOnNextBatch`). */
export type ToSessionWorker = { kind: 'connect'; port: MessagePort } | { kind: 'crash-on-next-batch' };

export interface SessionPoolObserver {
  /** A worker died; its batches failed. */
  workerCrashed(): void;
  /** The worker of `slot` was replaced and has loaded: connect the shards to it. */
  replaced(slot: number): void;
}

const WORKER_FILE = new URL('./session-worker.js', import.meta.url);
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5_000;

export class SessionPool {
  /** By slot, from the moment a worker starts (loading or loaded). */
  private readonly workers: Worker[] = [];
  private closed = false;

  private constructor(
    private readonly options: SessionPoolOptions,
    /** The first worker's: later workers use its provider directly. */
    readonly description: SessionDescription,
    private readonly observer: SessionPoolObserver,
  ) {}

  /** One worker, loaded and timed; throws with ORT's reason when the version cannot load. */
  static async open(options: SessionPoolOptions, observer: SessionPoolObserver): Promise<SessionPool> {
    const worker = spawn({ ...options, providers: [...options.providers] });
    const description = await loaded(worker);
    const pool = new SessionPool(options, description, observer);
    pool.adopt(0, worker);
    return pool;
  }

  /** Starts workers until there are `instances`, and waits for them to load. */
  async grow(instances: number): Promise<void> {
    const added: Promise<SessionDescription>[] = [];
    for (let slot = this.workers.length; slot < instances; slot++) added.push(loaded(this.adopt(slot, spawn(this.workerData()))));
    await Promise.all(added);
  }

  get instances(): number {
    return this.workers.length;
  }

  /** The threads by slot, loading or loaded: for operators' tooling and crash tests. */
  get threads(): readonly Worker[] {
    return this.workers;
  }

  /** A shard's ports, one per worker, in slot order. */
  connect(): MessagePort[] {
    return this.workers.map((_, slot) => this.connectSlot(slot));
  }

  connectSlot(slot: number): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.workers[slot]!.postMessage({ kind: 'connect', port: port1 } satisfies ToSessionWorker, [port1]);
    return port2;
  }

  /** Fault injection for tests and drills: the worker of `slot` ends its thread when its next batch arrives, before running it. */
  crashOnNextBatch(slot: number): void {
    this.workers[slot]!.postMessage({ kind: 'crash-on-next-batch' } satisfies ToSessionWorker);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private workerData(): SessionWorkerData {
    return { ...this.options, providers: [this.description.provider] };
  }

  /** `worker` holds `slot` from now on; if it ends, unasked, it is counted and replaced. */
  private adopt(slot: number, worker: Worker): Worker {
    this.workers[slot] = worker;
    worker.once('exit', () => {
      if (this.closed || this.workers[slot] !== worker) return;
      this.observer.workerCrashed();
      void this.replace(slot, RESTART_MIN_MS);
    });
    return worker;
  }

  private async replace(slot: number, delayMs: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.closed) return;
    const worker = spawn(this.workerData());
    this.workers[slot] = worker;
    try {
      await loaded(worker);
    } catch {
      if (!this.closed) void this.replace(slot, Math.min(delayMs * 2, RESTART_MAX_MS));
      return;
    }
    if (this.closed) return;
    this.adopt(slot, worker);
    this.observer.replaced(slot);
  }
}

function spawn(data: SessionWorkerData): Worker {
  const worker = new Worker(WORKER_FILE, { workerData: data });
  // an uncaught error ends the thread: its exit is what is acted on
  worker.on('error', () => {});
  return worker;
}

/** Resolves once the worker has loaded its session; rejects (and ends the worker) with why it could not. */
async function loaded(worker: Worker): Promise<SessionDescription> {
  const reply = await new Promise<WorkerLoaded>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (err) => resolve({ kind: 'failed', error: err.message }));
    worker.once('exit', (code) => resolve({ kind: 'failed', error: `session worker exited with code ${code} while loading` }));
  });
  if (reply.kind === 'failed') {
    await worker.terminate();
    throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', reply.error);
  }
  const { provider, dropped, inputNames, outputNames, runMs } = reply;
  return { provider, dropped, inputNames, outputNames, runMs };
}
