/**
 * gRPC spoken on node:http2 by hand, for tests that need what a gRPC library
 * hides or forbids: arbitrary headers and content-types, bytes cut into DATA
 * frames as the test says, resets mid-call, and the raw response headers and
 * trailers (grpc-status in the headers of a trailers-only response).
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { setImmediate as nextLoop } from 'node:timers/promises';
import { allocateFrame } from '../../gateway/grpc/framing.js';
import { GRPC_PREFIX_BYTES } from '../../runtime/grpc-message-counter.js';

export const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';
export const MODEL_STREAM_INFER = '/inference.GRPCInferenceService/ModelStreamInfer';

export interface RawAnswer {
  headers: IncomingHttpHeaders;
  /** Empty for a trailers-only response. */
  trailers: IncomingHttpHeaders;
  /** The response's messages, prefix removed. */
  messages: Buffer[];
  /** From the trailers, or from the headers of a trailers-only response. */
  grpcStatus: number | undefined;
  grpcMessage: string;
  /** RST_STREAM code the stream closed with (0: none, or NO_ERROR). */
  rstCode: number;
}

export interface RawCallOptions {
  headers?: OutgoingHttpHeaders;
  /** Written one at a time, each after the previous one has gone out; default: none. */
  chunks?: readonly Uint8Array[];
  /** Half-close after the chunks (default true). */
  end?: boolean;
}

export const GRPC_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' });

/** A length-prefixed message. */
export function framed(message: Uint8Array, compressed = false): Buffer {
  const out = allocateFrame(message.byteLength);
  out[0] = compressed ? 1 : 0;
  out.set(message, GRPC_PREFIX_BYTES);
  return out;
}

/** Splits a byte stream into its length-prefixed messages. */
export function messagesOf(bytes: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at + 1);
    messages.push(bytes.subarray(at + GRPC_PREFIX_BYTES, at + GRPC_PREFIX_BYTES + length));
    at += GRPC_PREFIX_BYTES + length;
  }
  return messages;
}

export function openSession(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.once('error', reject);
    session.once('connect', () => {
      session.off('error', reject);
      session.on('error', () => {});
      resolve(session);
    });
  });
}

/** One call; resolves when the stream closes. */
export function rawCall(session: ClientHttp2Session, path: string, options: RawCallOptions = {}): Promise<RawAnswer> {
  const stream = session.request({ ...GRPC_HEADERS, ':path': path, ...options.headers });
  const answer = collect(stream);
  void (async () => {
    for (const chunk of options.chunks ?? []) {
      await new Promise<void>((resolve) => stream.write(chunk, () => resolve()));
      await nextLoop();
    }
    if (options.end !== false) stream.end();
  })().catch(() => {});
  return answer;
}

export function collect(stream: ClientHttp2Stream): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const data: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => data.push(chunk));
    stream.on('error', () => {});
    stream.on('close', () => {
      const status = trailers['grpc-status'] ?? headers['grpc-status'];
      const message = trailers['grpc-message'] ?? headers['grpc-message'];
      resolve({
        headers,
        trailers,
        messages: messagesOf(Buffer.concat(data)),
        grpcStatus: status === undefined ? undefined : Number(status),
        grpcMessage: typeof message === 'string' ? decodeURIComponent(message) : '',
        rstCode: stream.rstCode ?? 0,
      });
    });
  });
}
