/**
 * `GET /api/v1/watch`: server-sent events for gateways. A new watcher first
 * gets the current state of every model (or, with `?since=<seq>` or the
 * standard `Last-Event-ID` header, of every model changed after that seq),
 * then `event: synced` carrying the registry's seq, then one `event: model`
 * per change, id = its seq. Only `synced` and live events carry an id, so a
 * watcher that reconnects with its Last-Event-ID never skips a model.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryStore, StoreChange } from './store.js';

/** A watcher that falls this far behind (unread bytes) is dropped; it reconnects and resyncs. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export class WatchHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly store: RegistryStore, heartbeatMs: number) {
    this.unsubscribe = store.subscribe((change) => this.broadcast(change));
    this.heartbeat = setInterval(() => {
      for (const res of this.clients) this.send(res, ': keepalive\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  get watchers(): number {
    return this.clients.size;
  }

  attach(req: IncomingMessage, res: ServerResponse, since: number | undefined): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    // Replay and subscription happen in the same tick: no change can fall between them.
    for (const model of this.store.changesSince(since)) res.write(`event: model\ndata: ${JSON.stringify({ seq: model.seq, action: 'snapshot', model })}\n\n`);
    res.write(`id: ${this.store.seq}\nevent: synced\ndata: ${JSON.stringify({ seq: this.store.seq })}\n\n`);
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
    };
    req.on('close', drop);
    res.on('close', drop);
  }

  /** Ends every stream (watchers reconnect to the next registry). */
  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(change: StoreChange): void {
    const frame = `id: ${change.seq}\nevent: model\ndata: ${JSON.stringify(change)}\n\n`;
    for (const res of this.clients) this.send(res, frame);
  }

  private send(res: ServerResponse, frame: string): void {
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(frame);
  }
}
