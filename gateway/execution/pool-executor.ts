/**
 * A shard's side of a session pool (session-pool): one port per worker,
 * batches sent to the worker with the fewest of this shard's batches in
 * flight, `pipelineDepth` at most per worker so that a busy worker finds its
 * next batch waiting. A worker that dies fails the batches it held with
 * SY_ERR_WORKER_CRASHED (the caller is told to retry); the pool's owner hands
 * over a port to its replacement (`replace`), and until then the other
 * workers take the batches — or, with none left, batches wait for it.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import { PortRequester } from '../threads/port-requests.js';
import type { MessagePort } from 'node:worker_threads';
import type { BatchExecutor, RunResult, RunTask } from './batch-task.js';

const crashed = (): SwitchyardError => new SwitchyardError('SY_ERR_WORKER_CRASHED', 'the worker thread running the batch died; retry the request');

export class PoolExecutor implements BatchExecutor {
  readonly capacity: number;
  private readonly slots: Array<PortRequester<RunTask, RunResult>>;
  /** Batches waiting for a live worker. */
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(ports: readonly MessagePort[], pipelineDepth: number) {
    this.slots = ports.map((port) => new PortRequester<RunTask, RunResult>(port, crashed));
    this.capacity = ports.length * pipelineDepth;
  }

  /** A fresh buffer each batch: it is handed over to the worker. */
  inputBuffer(bytes: number): ArrayBuffer {
    return new ArrayBuffer(bytes);
  }

  async run(task: RunTask): Promise<RunResult> {
    let slot = this.leastBusy();
    while (!slot) {
      if (this.closed) throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', 'model version is being unloaded');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      slot = this.leastBusy();
    }
    return slot.request(task, [task.buffer]);
  }

  /** The worker of `slot` was replaced: its port. */
  replace(slot: number, port: MessagePort): void {
    if (this.closed) return void port.close();
    this.slots[slot]!.close();
    this.slots[slot] = new PortRequester<RunTask, RunResult>(port, crashed);
    for (const wake of this.waiting.splice(0)) wake();
  }

  close(): void {
    this.closed = true;
    for (const slot of this.slots) slot.close();
    for (const wake of this.waiting.splice(0)) wake();
  }

  private leastBusy(): PortRequester<RunTask, RunResult> | undefined {
    let best: PortRequester<RunTask, RunResult> | undefined;
    for (const slot of this.slots) if (!slot.closed && (!best || slot.pending < best.pending)) best = slot;
    return best;
  }
}
