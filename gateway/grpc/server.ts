/**
 * The gRPC transport: inference.GRPCInferenceService (Open Inference Protocol
 * v2) and switchyard.feedback.Feedback, spoken on node:http2 directly and
 * answered from the inference service. A call is checked (method, content-type,
 * encoding, deadline) and handed to its method; nothing here depends on running
 * on the main thread.
 */
import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream, type ServerOptions } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { SwitchyardError } from '../../runtime/errors.js';
import type { InferenceService } from '../inference/types.js';
import { callDeadline, isGrpcContentType, messageEncoding, type Encoding } from './call-headers.js';
import { InferRunner } from './infer-runner.js';
import { grpcMethods, type Method } from './methods.js';
import { FEEDBACK_SERVICE, INFERENCE_SERVICE } from './schema.js';
import { refuseCall, ServerCall, type CallLimits } from './server-call.js';
import { InferStreams } from './stream.js';
import { UnaryCall } from './unary-call.js';

export interface GrpcTransportOptions {
  service: InferenceService;
  /** Largest message received or sent, in bytes. */
  maxMessageBytes: number;
}

/**
 * HTTP/2 settings for many small calls and some large ones: no cap on
 * concurrent streams or session memory (node's 10 MB default refuses streams
 * under load, as grpc-js found), and flow-control windows large enough that a
 * multi-MiB message arrives without waiting on window updates (with node's
 * 64 KiB windows a stream moves 64 KiB per round trip; on loopback a 4 MiB
 * request took 5.1 instead of 5.8 ms, median of 30).
 */
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
const SESSION_WINDOW_BYTES = 16 * 1024 * 1024;
const SERVER_OPTIONS: ServerOptions = Object.freeze({
  noDelay: true,
  maxSessionMemory: Number.MAX_SAFE_INTEGER,
  settings: { initialWindowSize: STREAM_WINDOW_BYTES },
});

export class GrpcTransport {
  readonly #server: Http2Server;
  readonly #methods: ReadonlyMap<string, Method>;
  readonly #streams: InferStreams;
  readonly #limits: CallLimits;
  readonly #sessions = new Set<ServerHttp2Session>();
  #closing: Promise<void> | undefined;

  constructor(options: GrpcTransportOptions) {
    const { maxMessageBytes } = options;
    if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1) {
      throw new RangeError(`GrpcTransport: maxMessageBytes must be a positive integer, got ${maxMessageBytes}`);
    }
    this.#limits = Object.freeze({ maxMessageBytes });
    const runner = new InferRunner(options.service);
    this.#streams = new InferStreams(runner);
    this.#methods = grpcMethods(options.service, runner, this.#streams);
    this.#server = createServer(SERVER_OPTIONS);
    this.#server.on('session', (session) => this.#open(session));
    this.#server.on('stream', (stream, headers) => this.#dispatch(stream, headers));
  }

  /** Resolves with the bound port (the chosen one when `port` is 0). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void => reject(new Error(`gRPC server cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
      this.#server.once('error', failed);
      this.#server.listen(port, host, () => {
        this.#server.off('error', failed);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Graceful: takes no new connections, and sends each session GOAWAY (no new
   * calls); calls in flight finish, open streams end once their pending
   * requests are answered (an idle stream would otherwise hold shutdown
   * forever); resolves when every session has closed.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const session of this.#sessions) session.close();
      this.#streams.drain();
    });
    return this.#closing;
  }

  #open(session: ServerHttp2Session): void {
    if (this.#closing) {
      session.close();
      return;
    }
    session.setLocalWindowSize(SESSION_WINDOW_BYTES);
    this.#sessions.add(session);
    session.on('close', () => this.#sessions.delete(session));
  }

  #dispatch(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    // Errors (a reset, a write after the client left) also close the stream, which is where calls notice.
    stream.on('error', ignore);
    if (headers[':method'] !== 'POST') {
      return refuseCall(stream, new SwitchyardError('SY_ERR_METHOD_NOT_ALLOWED', `gRPC calls are POST requests, not ${headers[':method']}`), { ':status': 405, allow: 'POST' });
    }
    const contentType = headers['content-type'];
    if (!isGrpcContentType(contentType)) {
      const error = new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `content-type '${contentType ?? ''}' is not gRPC; send application/grpc or application/grpc+proto`);
      return refuseCall(stream, error, { ':status': 415 });
    }
    const path = headers[':path'] ?? '';
    const method = this.#methods.get(path);
    if (!method) {
      return refuseCall(stream, new SwitchyardError('SY_ERR_NOT_IMPLEMENTED', `unknown method '${path}': this server serves ${INFERENCE_SERVICE} and ${FEEDBACK_SERVICE}`));
    }
    if (method.kind === 'unimplemented') return refuseCall(stream, method.error);
    let encoding: Encoding;
    let deadline: number;
    try {
      encoding = messageEncoding(headers);
      deadline = callDeadline(headers);
    } catch (err) {
      return refuseCall(stream, err);
    }
    const call = new ServerCall(stream, headers, deadline, encoding, this.#limits);
    if (method.kind === 'unary') call.receive(new UnaryCall(call, method.answer));
    else method.serve(call);
  }
}

function ignore(): void {}
