/**
 * A RecordSink whose protocol work — gRPC framing and HTTP/2 for the monitor,
 * or RESP for Redis — runs on a thread of its own (sink-thread-worker). The
 * event loop is what limits a gateway's throughput, and a send there cost
 * ~300 µs of it for a 60 KiB batch; here the event loop only posts the batch
 * and takes its answer. Batches are views onto the encoder's shared slabs, so
 * posting one copies nothing. A thread that dies fails its sends (the
 * publisher keeps those batches) and the next send starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { RecordSink } from './record-publisher.js';

/** The sink the thread runs: plain data, as it crosses to the thread. */
export type SinkSpec = { kind: 'grpc'; address: string } | { kind: 'redis'; url: string; maxLength: number };

/** Main thread → sink thread. */
export type SinkRequest = { kind: 'send'; id: number; batch: Uint8Array; records: number } | { kind: 'close' };
/** Sink thread → main thread: the outcome of send `id`. */
export interface SinkReply {
  id: number;
  error?: string;
}

const WORKER = new URL('./sink-thread-worker.js', import.meta.url);
/** A thread that has not closed its sink this long after being asked is stopped. */
const CLOSE_LIMIT_MS = 5_000;

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

export class SinkThread implements RecordSink {
  readonly name: string;
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly spec: SinkSpec) {
    this.name = spec.kind;
    // at once, so that the sink has connected by the time the first batch closes
    this.start();
  }

  send(batch: Uint8Array, records: number): Promise<void> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ kind: 'send', id, batch, records } satisfies SinkRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ kind: 'close' } satisfies SinkRequest);
    const limit = setTimeout(() => void worker.terminate(), CLOSE_LIMIT_MS);
    await exited;
    clearTimeout(limit);
  }

  private start(): Worker {
    const worker = new Worker(WORKER, { workerData: this.spec });
    // records must not keep the gateway alive
    worker.unref();
    worker.on('message', (reply: SinkReply) => {
      const sent = this.pending.get(reply.id);
      if (!sent) return;
      this.pending.delete(reply.id);
      if (reply.error === undefined) sent.resolve();
      else sent.reject(new Error(reply.error));
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`record sink thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** The thread is gone: its sends fail, the next one starts another thread. */
  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const sent of this.pending.values()) sent.reject(err);
    this.pending.clear();
  }
}
