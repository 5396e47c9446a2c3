/**
 * A lean HTTP/1.1 load client: keep-alive TCP connections, one request in
 * flight per connection, the request encoded once (head and body in one
 * write) and the response read just far enough to know its status and end
 * (Content-Length). It does what wrk does, so the client's CPU per request
 * is a few microseconds and the measurement is of the server, not of
 * node:http's or undici's machinery.
 */
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { decodeHttpOutput, type HttpBody } from '../payload.js';
import type { InferClient, InferConnection, Outcome } from './types.js';

export interface HttpClientOptions {
  label: string;
  host: string;
  port: number;
  path: string;
  body: HttpBody;
  /** Output read back by `probe()`. */
  output: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = [Buffer.from('\r\nContent-Length:'), Buffer.from('\r\ncontent-length:')];

export function httpClient(options: HttpClientOptions): InferClient {
  const head = [`POST ${options.path} HTTP/1.1`, `Host: ${options.host}:${options.port}`, `Content-Length: ${options.body.body.byteLength}`];
  for (const [name, value] of Object.entries(options.body.headers)) head.push(`${name}: ${value}`);
  const wire = Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), options.body.body]);
  return {
    label: options.label,
    connect: () => Http1Connection.open(options.host, options.port, wire),
    probe: () => probeHttp(options),
  };
}

/** Byte offset of the Content-Length value's end of line, parsed; -1 when the header is absent. */
function contentLength(data: Buffer, headerEnd: number): number {
  let at = -1;
  for (const name of CONTENT_LENGTH) {
    at = data.indexOf(name);
    if (at >= 0 && at < headerEnd) {
      at += name.byteLength;
      break;
    }
    at = -1;
  }
  if (at < 0) {
    const lower = data.toString('latin1', 0, headerEnd).toLowerCase();
    const i = lower.indexOf('\r\ncontent-length:');
    if (i < 0) return -1;
    at = i + 17;
  }
  let n = 0;
  for (; at < headerEnd; at++) {
    const c = data[at]!;
    if (c === 0x20) continue;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

export class Http1Connection implements InferConnection {
  readonly maxInflight = 1;
  private live = true;
  private pending: ((outcome: Outcome) => void) | undefined;
  private partial: Buffer | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly wire: Buffer,
  ) {
    socket.on('data', this.onData);
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code ?? 'socket error'));
    socket.on('close', () => this.fail('socket closed'));
  }

  static open(host: string, port: number, wire: Buffer): Promise<Http1Connection> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host, port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Http1Connection(socket, wire));
      });
    });
  }

  get alive(): boolean {
    return this.live;
  }

  send(done: (outcome: Outcome) => void): void {
    if (!this.live) return done('socket closed');
    if (this.pending) return done('client bug: HTTP/1.1 connection already busy');
    this.pending = done;
    this.socket.write(this.wire);
  }

  close(): void {
    this.live = false;
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    const data = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    const headerEnd = data.indexOf(HEADER_END);
    if (headerEnd < 0) {
      this.partial = data;
      return;
    }
    const length = contentLength(data, headerEnd);
    if (length < 0) return this.fail('response without Content-Length (chunked is not supported by this client)', true);
    const total = headerEnd + 4 + length;
    if (data.byteLength < total) {
      this.partial = data;
      return;
    }
    this.partial = undefined;
    if (data.byteLength > total) return this.fail('unexpected bytes after the response', true);
    // "HTTP/1.1 200 OK": the status code is bytes 9-11.
    const status = (data[9]! - 0x30) * 100 + (data[10]! - 0x30) * 10 + (data[11]! - 0x30);
    const done = this.pending;
    this.pending = undefined;
    if (done) done(status >= 200 && status < 300 ? undefined : `http ${status}`);
  };

  private fail(kind: string, destroy = false): void {
    this.live = false;
    if (destroy) this.socket.destroy();
    const done = this.pending;
    this.pending = undefined;
    if (done) done(kind);
  }
}

export interface HttpAnswer {
  status: number;
  /** Inference-Header-Content-Length, when the answer is in the binary tensor format. */
  headerLength: number | undefined;
  body: Buffer;
}

/** One request through node:http, its answer read in full (not on the hot path). */
export function httpExchange(host: string, port: number, path: string, request: HttpBody): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path, method: 'POST', headers: { ...request.headers, 'Content-Length': request.body.byteLength } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = res.headers['inference-header-content-length'];
        resolve({ status: res.statusCode ?? 0, headerLength: typeof h === 'string' ? Number(h) : undefined, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/** One request decoded in full: the named output. */
async function probeHttp(options: HttpClientOptions): Promise<Float32Array> {
  const answer = await httpExchange(options.host, options.port, options.path, options.body);
  if (answer.status !== 200) throw new Error(`probe: HTTP ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
  return decodeHttpOutput(answer.body, answer.headerLength, options.output);
}
