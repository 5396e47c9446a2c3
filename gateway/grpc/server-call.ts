/**
 * One gRPC call on one HTTP/2 stream, below any method: it hands the request's
 * messages (deframed, decompressed) to the call's handler, and writes the
 * answer as the gRPC over HTTP/2 spec shapes it — response headers, messages,
 * trailers with the status; or, for a call that ends before any message,
 * a trailers-only response.
 *
 * Stream events reach the call through listeners shared by every call (the
 * stream carries its call under a symbol), so a call allocates no closures.
 * Once the call has ended or the client cancelled, whatever is sent is dropped.
 */
import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { SwitchyardError } from '../../runtime/errors.js';
import { GRPC_PREFIX_BYTES } from '../../runtime/grpc-message-counter.js';
import { ACCEPT_ENCODING, metadataValue, type Encoding } from './call-headers.js';
import { decompress } from './compression.js';
import { MessageReader, messageTooLarge, type MessageSink } from './framing.js';
import { errorTrailers, OK_TRAILERS } from './status.js';

/** What a method sees of its call: the deadline and the request metadata. */
export interface CallContext {
  /** performance.now() time by which the client wants its answer; Infinity for none. */
  readonly deadline: number;
  /** A request metadata value ('' when absent). */
  metadata(key: string): string;
}

/** The method's side of a call. */
export interface CallHandler {
  /** A whole request message, decompressed. */
  onMessage(message: Buffer): void;
  /** The client sends no more messages. */
  onHalfClose(): void;
  /** The stream is gone: the call ended, or the client cancelled or went away. */
  onClose?(): void;
}

export interface CallLimits {
  readonly maxMessageBytes: number;
}

const GRPC_CONTENT_TYPE = 'application/grpc';
const RESPONSE_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  ':status': 200,
  'content-type': GRPC_CONTENT_TYPE,
  'grpc-accept-encoding': ACCEPT_ENCODING,
});
// No Date header: gRPC has no use for it (grpc-go and C-core send none), and it costs every response.
const WAIT_FOR_TRAILERS = Object.freeze({ waitForTrailers: true, sendDate: false });
const END_STREAM = Object.freeze({ endStream: true, sendDate: false });

const CALL = Symbol('ServerCall');
type CallStream = ServerHttp2Stream & { [CALL]?: ServerCall };

export class ServerCall implements CallContext, MessageSink {
  readonly #stream: CallStream;
  readonly #headers: IncomingHttpHeaders;
  readonly deadline: number;
  readonly #encoding: Encoding;
  readonly #limits: CallLimits;
  #handler: CallHandler | undefined;
  #reader: MessageReader | undefined;
  /** Compressed messages being inflated, in arrival order; undefined when none is. */
  #inflating: Promise<void> | undefined;
  #requestEnded = false;
  #headersSent = false;
  #ended = false;
  #trailers: Readonly<OutgoingHttpHeaders> = OK_TRAILERS;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, deadline: number, encoding: Encoding, limits: CallLimits) {
    this.#stream = stream;
    this.#headers = headers;
    this.deadline = deadline;
    this.#encoding = encoding;
    this.#limits = limits;
    this.#stream[CALL] = this;
  }

  metadata(key: string): string {
    return metadataValue(this.#headers, key);
  }

  /** Open: not ended by the server, not reset by the client nor gone with its connection. */
  get active(): boolean {
    return !this.#ended && !this.#stream.closed && !this.#stream.destroyed;
  }

  /** Starts reading the request's messages into `handler`. */
  receive(handler: CallHandler): void {
    this.#handler = handler;
    this.#reader = new MessageReader(this.#limits.maxMessageBytes);
    this.#stream.on('data', ServerCall.#onData);
    this.#stream.on('end', ServerCall.#onEnd);
    if (handler.onClose) this.#stream.on('close', ServerCall.#onClose);
  }

  /** Sends a framed message (see framing.allocateFrame); the response headers go first. */
  send(frame: Buffer): void {
    if (!this.active) return;
    if (this.deadline !== Infinity && performance.now() > this.deadline) return this.end(deadlineExceeded());
    const bytes = frame.length - GRPC_PREFIX_BYTES;
    if (bytes > this.#limits.maxMessageBytes) return this.end(messageTooLarge('the answer', bytes, this.#limits.maxMessageBytes));
    if (!this.#headersSent) {
      this.#headersSent = true;
      this.#stream.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
      this.#stream.on('wantTrailers', ServerCall.#onWantTrailers);
    }
    this.#stream.write(frame);
  }

  /** Ends the call: OK without an error, else the error's status, SY_ERR_* code and message. */
  end(error?: unknown): void {
    if (!this.active) return;
    this.#ended = true;
    const status = error === undefined ? OK_TRAILERS : errorTrailers(error);
    if (this.#headersSent) {
      this.#trailers = status;
      this.#stream.end();
    } else {
      respondTrailersOnly(this.#stream, status, this.#requestEnded);
    }
  }

  /** MessageSink: a deframed message, compressed or not. */
  message(bytes: Buffer, compressed: boolean): void {
    if (this.#ended) return;
    if (!compressed && this.#inflating === undefined) return this.#handler!.onMessage(bytes);
    if (compressed && this.#encoding === 'identity') {
      throw new SwitchyardError('SY_ERR_INVALID_REQUEST', 'a message has its compressed flag set, but the call sent no grpc-encoding to say how it is compressed');
    }
    // Rare (compressed requests): keep the messages in order behind the ones still inflating.
    const inflated = compressed ? decompress(bytes, this.#encoding as 'gzip' | 'deflate', this.#limits.maxMessageBytes) : bytes;
    this.#inflating = Promise.all([this.#inflating, inflated]).then(
      ([, message]) => {
        if (!this.#ended) this.#handler!.onMessage(message);
      },
      (err: unknown) => this.end(err),
    );
  }

  #halfClose(): void {
    if (this.#ended) return;
    if (this.#reader!.partial) return this.end(new SwitchyardError('SY_ERR_INVALID_REQUEST', 'the request ended inside a message: its length prefix promised more bytes'));
    this.#handler!.onHalfClose();
  }

  static #onData(this: CallStream, chunk: Buffer): void {
    const call = this[CALL]!;
    if (call.#ended) return;
    try {
      call.#reader!.push(chunk, call);
    } catch (err) {
      call.end(err);
    }
  }

  static #onEnd(this: CallStream): void {
    const call = this[CALL]!;
    call.#requestEnded = true;
    if (call.#inflating) void call.#inflating.then(() => call.#halfClose());
    else call.#halfClose();
  }

  static #onClose(this: CallStream): void {
    this[CALL]!.#handler!.onClose!();
  }

  static #onWantTrailers(this: CallStream): void {
    const call = this[CALL]!;
    this.sendTrailers(call.#trailers);
    if (!call.#requestEnded) closeRequestSide(this);
  }
}

/**
 * Refuses a call before it starts (unknown method, unsupported encoding...);
 * `headers` may set another :status (415 for a content-type that is not gRPC).
 */
export function refuseCall(stream: ServerHttp2Stream, error: unknown, headers?: OutgoingHttpHeaders): void {
  respondTrailersOnly(stream, { ...headers, ...errorTrailers(error) }, false);
}

/** Status (and any extra headers) in the response's only HEADERS frame, which ends the stream. */
function respondTrailersOnly(stream: ServerHttp2Stream, headers: OutgoingHttpHeaders, requestEnded: boolean): void {
  stream.respond({ ...RESPONSE_HEADERS, ...headers }, END_STREAM);
  if (!requestEnded) closeRequestSide(stream);
}

/**
 * The call is over, but the client may still be sending: reset the stream with
 * NO_ERROR once the final frame is out (the spec's early server closure), so
 * the client stops and the stream is freed. A reset in the same tick would
 * overtake the trailers; a stream the client had finished is gone by then.
 */
function closeRequestSide(stream: ServerHttp2Stream): void {
  setImmediate(resetStream, stream);
}

function resetStream(stream: ServerHttp2Stream): void {
  if (!stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR);
}

function deadlineExceeded(): SwitchyardError {
  return new SwitchyardError('SY_ERR_DEADLINE_EXCEEDED', 'the call\'s deadline (grpc-timeout) passed before its answer was ready');
}
