/**
 * The gRPC transport limit: a bare `node:http2` server that reads each unary
 * call's length-prefixed message and answers with a fixed small message and
 * the trailer `grpc-status: 0` — no protobuf, no model. One thread: Node 20
 * cannot share a listening port between threads, which bounds the gateway's
 * gRPC the same way.
 *
 * Usage: node echo-grpc-server.js [host] [port]
 * Prints `echo-grpc ready <port>` on stdout once listening (port 0: OS-chosen).
 */
import { constants, createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { ECHO_GRPC_MESSAGE } from './echo-answers.js';
import { GRPC_PREFIX_BYTES, grpcFrame } from './grpc-infer-message.js';

const ANSWER = grpcFrame(ECHO_GRPC_MESSAGE);
const HEADERS = { [constants.HTTP2_HEADER_STATUS]: 200, [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc' };

const [host = '127.0.0.1', port = '0'] = process.argv.slice(2);
const server = createServer();
server.on('stream', (stream) => {
  // A client that stops (h2load at the end of its run) resets the calls still in flight.
  stream.on('error', () => {});
  const prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
  let received = 0;
  stream.on('data', (chunk: Buffer) => {
    if (received < GRPC_PREFIX_BYTES) chunk.copy(prefix, received, 0, GRPC_PREFIX_BYTES - received);
    received += chunk.byteLength;
  });
  stream.on('end', () => {
    if (stream.destroyed) return;
    // A call whose body is not one whole framed message is refused, as a gRPC server would.
    const whole = received >= GRPC_PREFIX_BYTES && received === GRPC_PREFIX_BYTES + prefix.readUInt32BE(1);
    stream.respond(HEADERS, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': whole ? '0' : '13' }));
    stream.end(whole ? ANSWER : undefined);
  });
});
server.listen(Number(port), host, () => {
  process.stdout.write(`echo-grpc ready ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
