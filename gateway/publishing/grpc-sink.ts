/**
 * Batches to the monitor over RecordIngest/PublishStream: one long-lived stream,
 * each batch confirmed by its own PublishAck, in order — a new call per batch
 * would cost about a millisecond each time (on the sink's thread, see
 * sink-thread). A batch whose ack does not come (the stream broke, the monitor
 * went away, SEND_TIMEOUT_MS passed) is reported failed, so the publisher keeps
 * and resends it; the next send opens a new connection and stream.
 *
 * gRPC spoken over node:http2 directly, not through grpc-js: batches arrive
 * encoded (record-encoder), and all the stream needs is the 5-byte message
 * prefix on the way out, the acks' framing on the way back and the status in
 * the trailers. grpc-js copies every outgoing message into a freshly allocated
 * buffer; for 1 MiB batches that copy was ~3/4 of a send's CPU (3.7 against
 * 1.0 ms per batch, measured on this thread's own loop).
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { GRPC_PREFIX_BYTES, GrpcMessageCounter } from '../../runtime/grpc-message-counter.js';
import { RECORD_INGEST_SERVICE } from '../../runtime/records.js';
import type { RecordSink } from './record-publisher.js';

const SEND_TIMEOUT_MS = 5_000;
const PATH = `/${RECORD_INGEST_SERVICE}/PublishStream`;

interface Waiting {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class GrpcRecordSink implements RecordSink {
  readonly name = 'grpc';
  private readonly authority: string;
  private session: ClientHttp2Session | undefined;
  private stream: ClientHttp2Stream | undefined;
  /** Sends awaiting their ack, oldest first. */
  private readonly waiting: Waiting[] = [];

  /** `address`: HOST:PORT of the monitor's gRPC ingest. */
  constructor(address: string) {
    this.authority = monitorAuthority(address);
  }

  send(batch: Uint8Array): Promise<void> {
    const stream = this.stream ?? this.open();
    return new Promise((resolve, reject) => {
      // no ack in time: the stream is given up, and with it every send still waiting
      const timer = setTimeout(() => this.broken(stream, new Error(`no ack from the monitor within ${SEND_TIMEOUT_MS} ms`)), SEND_TIMEOUT_MS);
      this.waiting.push({ resolve, reject, timer });
      const prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
      prefix.writeUInt32BE(batch.byteLength, 1);
      stream.write(prefix);
      stream.write(batch);
    });
  }

  async close(): Promise<void> {
    this.stream?.end();
    this.session?.close();
  }

  private open(): ClientHttp2Stream {
    if (!this.session || this.session.closed || this.session.destroyed) this.session = this.connect();
    const stream = this.session.request({ ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers' });
    const acks = new GrpcMessageCounter();
    stream.on('response', (headers) => {
      // a trailers-only answer (the call failed at once) carries its status here
      const failure = headers[':status'] !== 200 ? `HTTP status ${headers[':status']}` : grpcFailure(headers);
      if (failure) this.broken(stream, new Error(`the monitor refused the record stream: ${failure}`));
    });
    stream.on('data', (chunk: Buffer) => {
      for (let n = acks.add(chunk); n > 0 && this.stream === stream; n--) {
        const sent = this.waiting.shift();
        if (!sent) break;
        clearTimeout(sent.timer);
        sent.resolve();
      }
    });
    stream.on('trailers', (trailers) => this.broken(stream, new Error(`the monitor ended the record stream${prefixed(grpcFailure(trailers))}`)));
    stream.on('error', (err: Error) => this.broken(stream, err));
    stream.on('close', () => this.broken(stream, new Error('the record stream closed')));
    this.stream = stream;
    return stream;
  }

  private connect(): ClientHttp2Session {
    const session = connect(this.authority);
    // a failed connection fails its stream too, which is where it is reported
    session.on('error', () => {});
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    return session;
  }

  /** The stream failed: every send still waiting fails, and the next one starts afresh on a new connection. */
  private broken(stream: ClientHttp2Stream, err: Error): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    // the stream goes with its connection
    this.session?.destroy();
    this.session = undefined;
    for (const sent of this.waiting.splice(0)) {
      clearTimeout(sent.timer);
      sent.reject(err);
    }
  }
}

/** http://HOST:PORT for a monitor address; throws, naming it, when it is not HOST:PORT. */
export function monitorAuthority(address: string): string {
  const url = URL.canParse(`http://${address}`) ? new URL(`http://${address}`) : undefined;
  if (!url?.port || url.pathname !== '/' || url.username) throw new Error(`record sink: monitor address '${address}' is not HOST:PORT`);
  return url.origin;
}

/** "CODE: message" of a non-OK grpc-status in these headers or trailers, or '' when there is none or it is OK. */
function grpcFailure(headers: IncomingHttpHeaders): string {
  const status = headers['grpc-status'];
  if (status === undefined || status === '0') return '';
  const message = headers['grpc-message'];
  return `grpc-status ${String(status)}${typeof message === 'string' ? `: ${percentDecoded(message)}` : ''}`;
}

/** grpc-message is percent-encoded; a malformed one is shown as it came. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const prefixed = (text: string): string => (text ? `: ${text}` : '');
