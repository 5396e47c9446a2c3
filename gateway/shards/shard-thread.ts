/**
 * The main thread's handle on one shard: starts its worker, sends it
 * requests over its control port, writes its log lines into the gateway's
 * log, and reports an exit it did not ask for.
 */
import { MessageChannel, Worker, type Transferable } from 'node:worker_threads';
import { SwitchyardError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/log.js';
import { PortRequester } from '../threads/port-requests.js';
import type { ShardLogLine, ShardRequest, ShardWorkerData } from './protocol.js';

const SHARD_FILE = new URL('./shard-main.js', import.meta.url);
/** A drained shard whose thread has not ended this long after is stopped. */
const EXIT_LIMIT_MS = 5_000;

export type ShardSettings = Omit<ShardWorkerData, 'index' | 'control'>;

export class ShardThread {
  private readonly worker: Worker;
  private readonly control: PortRequester<ShardRequest, unknown>;
  private readonly exited: Promise<void>;
  private draining = false;

  constructor(
    readonly index: number,
    settings: ShardSettings,
    log: Logger,
    /** The thread ended without being drained (an uncaught error, a crash). */
    died: (shard: ShardThread) => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(SHARD_FILE, { workerData: { ...settings, index, control: port2 } satisfies ShardWorkerData, transferList: [port2] });
    this.control = new PortRequester(port1, () => new SwitchyardError('SY_ERR_SHUTTING_DOWN', `shard ${index} is gone`));
    this.worker.on('message', (line: ShardLogLine) => log[line.level](line.msg, line.fields));
    this.worker.on('error', (err) => log.error('shard failed', { shard: index, error: err.message, stack: err.stack }));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.control.close();
        if (!this.draining) {
          log.error('shard thread ended; replacing it', { shard: index, exit_code: code });
          died(this);
        }
        resolve();
      }),
    );
  }

  request<T>(request: ShardRequest, transfer: readonly Transferable[] = []): Promise<T> {
    return this.control.request(request, transfer) as Promise<T>;
  }

  /** Refuses new requests, answers the accepted ones, flushes their records; resolves once the thread has ended. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.request({ kind: 'drain' }).catch(() => undefined);
    this.control.close();
    // Its sockets are closed by now (and the thread closes them on exit regardless), so stopping it cannot abort the process.
    const limit = setTimeout(() => void this.worker.terminate(), EXIT_LIMIT_MS);
    await this.exited;
    clearTimeout(limit);
  }
}
