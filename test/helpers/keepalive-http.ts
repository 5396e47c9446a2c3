/**
 * A lean HTTP/1.1 client over plain keep-alive sockets, for tests that send
 * thousands of requests (fetch costs several times the CPU per request, and on
 * a 2-core machine that CPU is taken from the gateway under test). One request
 * at a time per connection, no pipelining. Responses are parsed just enough:
 * status, headers (lower-cased), body by Content-Length or chunked.
 *
 * A connection the server closed while idle is reopened on the next request
 * (counted in `reconnects`); a connection lost with a request on it fails that
 * request (counted by the caller as a connection error).
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** When the request was written to its socket: epoch ms, sub-ms precision (performance.timeOrigin + now()). */
  sentAt: number;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

interface Pending {
  resolve(reply: RawReply): void;
  reject(err: Error): void;
  sentAt: number;
}

export class KeepAliveConnection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private head: { status: number; headers: Record<string, string>; bodyStart: number } | undefined;
  reconnects = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get busy(): boolean {
    return this.pending !== undefined;
  }

  request(req: RawRequest): Promise<RawReply> {
    if (this.pending) return Promise.reject(new Error('connection busy: one request at a time'));
    const body = req.body === undefined ? Buffer.alloc(0) : typeof req.body === 'string' ? Buffer.from(req.body) : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);
    let head = `${req.method ?? 'POST'} ${req.path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Length: ${body.byteLength}\r\n`;
    for (const [k, v] of Object.entries(req.headers ?? {})) head += `${k}: ${v}\r\n`;
    head += '\r\n';
    return new Promise<RawReply>((resolve, reject) => {
      const socket = this.open();
      this.pending = { resolve, reject, sentAt: performance.timeOrigin + performance.now() };
      socket.write(body.byteLength > 0 ? Buffer.concat([Buffer.from(head), body]) : head);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    if (this.socket) this.reconnects++;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.head = undefined;
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    const lost = (err?: Error): void => {
      socket.destroy();
      // A socket this connection already let go of (closed by us, or replaced) has no request on it.
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.fail(err ?? new Error('connection closed by the server with a request in flight'));
    };
    socket.on('error', (err: NodeJS.ErrnoException) => lost(Object.assign(new Error(`${err.code ?? 'socket error'}: ${err.message}`), { code: err.code })));
    socket.on('close', () => lost());
    return socket;
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.byteLength === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (!this.head) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
      if (!Number.isInteger(status)) return this.protocolError(`bad status line ${JSON.stringify(lines[0])}`);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      this.head = { status, headers, bodyStart: end + 4 };
    }
    const { status, headers, bodyStart } = this.head;
    let body: Buffer | undefined;
    let consumed = 0;
    if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
      const decoded = decodeChunked(this.buffer, bodyStart);
      if (decoded === 'invalid') return this.protocolError('bad chunked body');
      if (!decoded) return;
      ({ body, consumed } = decoded);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.byteLength < bodyStart + length) return;
      body = Buffer.from(this.buffer.subarray(bodyStart, bodyStart + length));
      consumed = bodyStart + length;
    }
    this.buffer = this.buffer.subarray(consumed);
    this.head = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if ((headers.connection ?? '').toLowerCase() === 'close') this.close();
    pending?.resolve({ status, headers, body, sentAt: pending.sentAt });
  }

  private protocolError(what: string): void {
    this.close();
    this.fail(new Error(`HTTP protocol error: ${what}`));
  }
}

function decodeChunked(buffer: Buffer, from: number): { body: Buffer; consumed: number } | 'invalid' | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buffer.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isInteger(size) || size < 0) return 'invalid';
    const dataStart = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = buffer.indexOf('\r\n\r\n', lineEnd);
      if (trailerEnd >= 0 && trailerEnd === lineEnd) return { body: Buffer.concat(parts), consumed: lineEnd + 4 };
      if (buffer.byteLength < dataStart + 2) return undefined;
      return trailerEnd < 0 ? undefined : { body: Buffer.concat(parts), consumed: trailerEnd + 4 };
    }
    if (buffer.byteLength < dataStart + size + 2) return undefined;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

/** `size` keep-alive connections; requests beyond them wait for a free one, in order. */
export class KeepAlivePool {
  private readonly connections: KeepAliveConnection[];
  private readonly idle: KeepAliveConnection[];
  private readonly waiting: Array<(c: KeepAliveConnection) => void> = [];

  constructor(url: string, size: number) {
    const { hostname, port } = new URL(url);
    this.connections = Array.from({ length: size }, () => new KeepAliveConnection(hostname, Number(port)));
    this.idle = [...this.connections];
  }

  /** Requests waiting for a connection. */
  get queued(): number {
    return this.waiting.length;
  }

  get reconnects(): number {
    return this.connections.reduce((n, c) => n + c.reconnects, 0);
  }

  async request(req: RawRequest): Promise<RawReply> {
    const connection = this.idle.pop() ?? (await new Promise<KeepAliveConnection>((resolve) => this.waiting.push(resolve)));
    try {
      return await connection.request(req);
    } finally {
      const next = this.waiting.shift();
      if (next) next(connection);
      else this.idle.push(connection);
    }
  }

  close(): void {
    for (const c of this.connections) c.close();
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; results in index order. */
export async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}
