/**
 * A lean gRPC load client: unary ModelInfer calls written straight onto
 * node:http2 streams. The request message (raw_input_contents) is serialized
 * once (grpc-infer-message.ts); each call is one HTTP/2 stream carrying the
 * same length-prefixed frame, and only the grpc-status trailer is read. That
 * is the wire a Triton/KServe client produces, minus @grpc/grpc-js' per-call
 * machinery (see grpc-js.ts).
 */
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { decodeModelInferOutput, encodeModelInferRequest, grpcFrame, MODEL_INFER_PATH } from '../grpc-infer-message.js';
import type { TensorPayload } from '../payload.js';
import type { InferClient, InferConnection, Outcome } from './types.js';

export interface GrpcClientOptions {
  label: string;
  host: string;
  port: number;
  payload: TensorPayload;
}

export interface EncodedInfer {
  /** The serialized ModelInferRequest. */
  message: Buffer;
  decodeOutput(response: Buffer): Float32Array;
}

export function encodeGrpcInfer(payload: TensorPayload): EncodedInfer {
  return { message: encodeModelInferRequest(payload), decodeOutput: (response) => decodeModelInferOutput(response, payload.output) };
}

export function grpcClient(options: GrpcClientOptions): InferClient {
  const encoded = encodeGrpcInfer(options.payload);
  const wire = grpcFrame(encoded.message);
  const authority = `http://${options.host}:${options.port}`;
  return {
    label: options.label,
    connect: () => H2GrpcConnection.open(authority, wire),
    probe: async () => {
      const connection = await H2GrpcConnection.open(authority, wire);
      try {
        return encoded.decodeOutput(await connection.call());
      } finally {
        connection.close();
      }
    },
  };
}

const HEADERS: OutgoingHttpHeaders = {
  ':method': 'POST',
  ':path': MODEL_INFER_PATH,
  'content-type': 'application/grpc',
  te: 'trailers',
};

export class H2GrpcConnection implements InferConnection {
  readonly maxInflight = 1_000;
  private live = true;

  private constructor(private readonly session: ClientHttp2Session, private readonly wire: Buffer) {
    session.on('error', () => (this.live = false));
    session.on('close', () => (this.live = false));
    session.on('goaway', () => (this.live = false));
  }

  static open(authority: string, wire: Buffer): Promise<H2GrpcConnection> {
    return new Promise((resolve, reject) => {
      // noDelay on our own socket: an HTTP/2 session's socket may not be touched once it is connected.
      const session = h2connect(authority, { createConnection: (url: URL) => tcpConnect({ host: url.hostname, port: Number(url.port), noDelay: true }) });
      session.once('error', reject);
      session.once('connect', () => {
        session.off('error', reject);
        resolve(new H2GrpcConnection(session, wire));
      });
    });
  }

  get alive(): boolean {
    return this.live;
  }

  send(done: (outcome: Outcome) => void): void {
    if (!this.live) return done('session closed');
    let status: string | undefined;
    const stream = this.session.request(HEADERS);
    // A trailers-only answer (an error) carries grpc-status in the headers.
    stream.on('response', (headers: IncomingHttpHeaders) => {
      status = (headers['grpc-status'] as string | undefined) ?? (Number(headers[':status']) === 200 ? undefined : `http ${headers[':status']}`);
    });
    stream.on('trailers', (trailers: IncomingHttpHeaders) => (status = trailers['grpc-status'] as string | undefined));
    stream.on('error', () => (status ??= 'stream error'));
    stream.on('close', () => done(status === '0' ? undefined : `grpc ${status ?? `rst ${stream.rstCode}`}`));
    stream.resume();
    stream.end(this.wire);
  }

  /** One call with its answer message (prefix stripped), for the probe. */
  call(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request(HEADERS);
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      stream.on('response', (h: IncomingHttpHeaders) => (status = h['grpc-status'] as string | undefined));
      stream.on('trailers', (t: IncomingHttpHeaders) => {
        status = t['grpc-status'] as string | undefined;
        message = decodeURIComponent(String(t['grpc-message'] ?? ''));
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('close', () => {
        if (status !== '0') return reject(new Error(`probe: grpc-status ${status}: ${message}`));
        resolve(Buffer.concat(chunks).subarray(5));
      });
      stream.end(this.wire);
    });
  }

  close(): void {
    this.live = false;
    this.session.destroy();
  }
}
