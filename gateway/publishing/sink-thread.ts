/**
 * The record sink's thread, owned by the gateway's main thread: the protocol
 * work — gRPC framing and HTTP/2 to the monitor, or RESP to Redis — runs
 * there (sink-thread-worker), off every shard's loop. Each shard publishes
 * over a port of its own (`connect`, and a PortSink at the shard's end);
 * batches are views onto the shards' shared slabs, so posting one copies
 * nothing. A thread that dies fails the sends it held (the shards' publishers
 * keep those batches), is replaced, and `restarted` asks the owner to connect
 * the shards again.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Logger } from '../../runtime/log.js';
import { monitorAuthority } from './grpc-sink.js';

/** The sink the thread runs: plain data, as it crosses to the thread. */
export type SinkSpec = { kind: 'grpc'; address: string } | { kind: 'redis'; url: string; maxLength: number };

/** Main thread → sink thread. */
export type ToSinkThread = { kind: 'connect'; port: MessagePort } | { kind: 'close' };

/** One batch, over a shard's port: an encoded RecordBatch of `records` records. */
export interface SinkSend {
  batch: Uint8Array;
  records: number;
}

const WORKER = new URL('./sink-thread-worker.js', import.meta.url);
/** A thread that has not closed its sink this long after being asked is stopped. */
const CLOSE_LIMIT_MS = 5_000;
const RESTART_MIN_MS = 200;
const RESTART_MAX_MS = 5_000;
/** A thread that ran this long was healthy: its successor's back-off starts afresh. */
const HEALTHY_MS = 30_000;

export class SinkThread {
  readonly name: string;
  private worker: Worker;
  private closing = false;
  private restartMs = RESTART_MIN_MS;

  constructor(
    private readonly spec: SinkSpec,
    private readonly log: Logger,
    /** The thread was replaced: every publisher needs a new port. */
    private readonly restarted: () => void,
  ) {
    // a bad address would otherwise only show as a thread that keeps dying
    if (spec.kind === 'grpc') monitorAuthority(spec.address);
    this.name = spec.kind;
    this.worker = this.start();
  }

  /** The thread, for crash tests. */
  get thread(): Worker {
    return this.worker;
  }

  /** A port for one publisher (see PortSink). */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ kind: 'connect', port: port1 } satisfies ToSinkThread, [port1]);
    return port2;
  }

  /** Call after the publishers have flushed: the sink closes its connection and the thread ends. */
  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ kind: 'close' } satisfies ToSinkThread);
    const limit = setTimeout(() => void worker.terminate(), CLOSE_LIMIT_MS);
    await exited;
    clearTimeout(limit);
  }

  private start(): Worker {
    const worker = new Worker(WORKER, { workerData: this.spec });
    // records must not keep the gateway alive
    worker.unref();
    worker.on('error', (err) => this.log.error('record sink thread failed', { sink: this.name, error: err.message }));
    const started = Date.now();
    worker.once('exit', (code) => {
      if (this.closing) return;
      if (Date.now() - started >= HEALTHY_MS) this.restartMs = RESTART_MIN_MS;
      this.log.error('record sink thread ended; replacing it (its batches stay with the publishers and are sent again)', { sink: this.name, exit_code: code, retry_ms: this.restartMs });
      setTimeout(() => {
        if (this.closing) return;
        this.worker = this.start();
        this.restarted();
      }, this.restartMs).unref();
      this.restartMs = Math.min(this.restartMs * 2, RESTART_MAX_MS);
    });
    return worker;
  }
}
