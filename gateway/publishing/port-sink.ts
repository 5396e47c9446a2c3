/**
 * A shard's RecordSink: batches go to the record sink's thread (sink-thread)
 * over a port. Until a port arrives, or after the thread died and before its
 * replacement's port arrives, sends fail at once and the publisher keeps its
 * batches and retries.
 */
import type { MessagePort } from 'node:worker_threads';
import { SwitchyardError } from '../../runtime/errors.js';
import { PortRequester } from '../threads/port-requests.js';
import type { RecordSink } from './record-publisher.js';
import type { SinkSend } from './sink-thread.js';

const unavailable = (): SwitchyardError => new SwitchyardError('SY_ERR_INTERNAL', 'the record sink thread is not reachable (replaced, or not yet connected)');

export class PortSink implements RecordSink {
  private thread: PortRequester<SinkSend, void> | undefined;

  constructor(readonly name: string) {}

  /** The sink thread's port, first or again after the thread was replaced. */
  connect(port: MessagePort): void {
    this.thread?.close();
    this.thread = new PortRequester<SinkSend, void>(port, unavailable);
  }

  send(batch: Uint8Array, records: number): Promise<void> {
    if (!this.thread) return Promise.reject(unavailable());
    return this.thread.request({ batch, records });
  }

  async close(): Promise<void> {
    this.thread?.close();
  }
}
