/**
 * The gRPC record sink speaks RecordIngest/PublishStream over node:http2 itself: against a real
 * monitor its sends resolve once acked, and against HTTP/2 servers that answer as gRPC servers
 * may — acks cut into single bytes, a refusal in trailers-only form, a stream ended with a
 * status — sends resolve in order or fail with the server's status, never hang.
 */
import assert from 'node:assert/strict';
import { createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { GrpcRecordSink } from '../../../gateway/publishing/grpc-sink.js';
import { RECORD_INGEST_SERVICE, encodeRecordBatch } from '../../../runtime/records.js';
import { metricValue, startTestMonitor } from '../../monitor/helpers/monitor.js';

/** A RecordBatch of `n` feedback records for model m. */
function feedbackBatch(n: number): Uint8Array {
  return encodeRecordBatch({ predictions: [], feedback: Array.from({ length: n }, (_, i) => ({ id: `r${i}`, model: 'm', labels: [1], time_ms: Date.now() })) });
}

/** An HTTP/2 server on 127.0.0.1 whose streams `answer` handles; its address and the paths asked for. */
async function h2Server(t: TestContext, answer: (stream: ServerHttp2Stream) => void): Promise<{ address: string; paths: string[] }> {
  const paths: string[] = [];
  const server: Http2Server = createServer();
  server.on('stream', (stream, headers) => {
    paths.push(String(headers[':path']));
    answer(stream);
    // the client ending its side ends the call, as a gRPC server does
    stream.on('end', () => stream.end());
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // the sink may still hold its connection: close waits for every session
  t.after(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const session of sessions) session.destroy();
  }));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

/** Calls `onMessage` once per whole gRPC message the client sent on `stream`. */
function onMessages(stream: ServerHttp2Stream, onMessage: () => void): void {
  let pending = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      pending = pending.subarray(5 + pending.readUInt32BE(1));
      onMessage();
    }
  });
}

describe('gRPC record sink', { timeout: 20_000 }, () => {
  it('delivers batches to a real monitor, each send resolving once acked', async (t) => {
    const m = await startTestMonitor();
    const sink = new GrpcRecordSink(m.grpc);
    t.after(async () => {
      await sink.close();
      await m.stop();
    });
    await Promise.all([sink.send(feedbackBatch(2)), sink.send(feedbackBatch(3))]);
    // an ack means processed: nothing left to wait for
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_records_total', { kind: 'feedback' }), 5);
  });

  it('reads acks however the bytes are cut, and resolves the sends in order', async (t) => {
    const server = await h2Server(t, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      // each ack a PublishAck{records: 1}, written one byte at a time
      const ack = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]);
      onMessages(stream, () => {
        for (const byte of ack) stream.write(Buffer.from([byte]));
      });
    });
    const sink = new GrpcRecordSink(server.address);
    t.after(() => sink.close());
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => sink.send(feedbackBatch(i)).then(() => order.push(i))));
    assert.deepEqual(order, [1, 2, 3]);
    assert.deepEqual(server.paths, [`/${RECORD_INGEST_SERVICE}/PublishStream`]);
  });

  it('fails a send the server refuses at once (trailers-only), with its status, and retries on a new stream', async (t) => {
    const server = await h2Server(t, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'no%20such%20method' }, { endStream: true });
    });
    const sink = new GrpcRecordSink(server.address);
    t.after(() => sink.close());
    await assert.rejects(sink.send(feedbackBatch(1)), /refused the record stream: grpc-status 12: no such method/);
    await assert.rejects(sink.send(feedbackBatch(1)), /grpc-status 12/);
    assert.equal(server.paths.length, 2);
  });

  it('fails the sends still waiting when the server ends the stream with a status', async (t) => {
    const server = await h2Server(t, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '8', 'grpc-message': 'batch too large' }));
      onMessages(stream, () => stream.end());
    });
    const sink = new GrpcRecordSink(server.address);
    t.after(() => sink.close());
    await assert.rejects(sink.send(feedbackBatch(1)), /ended the record stream: grpc-status 8: batch too large/);
  });

  it('refuses an address that is not HOST:PORT', () => {
    for (const address of ['', 'monitor', 'http://monitor:8011', 'monitor:8011/path']) {
      assert.throws(() => new GrpcRecordSink(address), /is not HOST:PORT/, address);
    }
  });
});
