/**
 * ModelStreamInfer on a real gateway, driven with node:http2 directly: answers
 * as requests complete, per-request errors (including bytes that are no
 * ModelInferRequest) in error_message with the stream left open, resets, and
 * graceful close of a stream the client never half-closes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { status } from '@grpc/grpc-js';
import type { ModelInferResponseMessage } from '../../../gateway/grpc/messages.js';
import { loadInferenceService } from '../../../gateway/grpc/proto.js';
import { GrpcMessageCounter } from '../../../runtime/grpc-message-counter.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { outputTensors, rawInferRequest } from '../../helpers/grpc-client.js';
import { assertClose, expectedTabular, seededRows } from '../../helpers/infer-fixtures.js';
import { collect, framed, GRPC_HEADERS, MODEL_INFER, MODEL_STREAM_INFER, openSession, rawCall, type RawAnswer } from '../../helpers/raw-grpc-client.js';
import { until } from '../../helpers/poll.js';

const FEATURES = 8;
const service = loadInferenceService();
const modelInfer = service['ModelInfer']!;
const modelStreamInfer = service['ModelStreamInfer']!;

interface StreamResponse {
  error_message: string;
  infer_response: ModelInferResponseMessage;
}

function tabular(id: string, rows: number, seed: number): { input: Float32Array; bytes: Buffer } {
  const input = seededRows(rows, FEATURES, seed);
  return { input, bytes: framed(modelInfer.requestSerialize(rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [rows, FEATURES], data: input }], { id }))) };
}

/** A ModelStreamInfer call whose responses can be awaited as they come, and whose end is `answer`. */
class OpenStream {
  readonly stream: ClientHttp2Stream;
  readonly answer: Promise<RawAnswer>;
  readonly #counter = new GrpcMessageCounter();
  #received = 0;

  constructor(session: ClientHttp2Session) {
    this.stream = session.request({ ...GRPC_HEADERS, ':path': MODEL_STREAM_INFER });
    this.answer = collect(this.stream);
    this.stream.on('data', (chunk: Buffer) => (this.#received += this.#counter.add(chunk)));
  }

  send(bytes: Uint8Array): void {
    this.stream.write(bytes);
  }

  async received(count: number): Promise<void> {
    await until(`${count} stream responses`, () => this.#received >= count);
  }
}

function responsesOf(answer: RawAnswer): Map<string, StreamResponse> {
  return new Map(answer.messages.map((bytes) => {
    const response = modelStreamInfer.responseDeserialize(bytes) as StreamResponse;
    return [response.infer_response.id, response] as const;
  }));
}

describe('ModelStreamInfer', () => {
  let tg: TestGateway;
  let session: ClientHttp2Session;

  before(async () => {
    tg = await startTestGateway();
    session = await openSession(tg.grpc);
  });

  after(async () => {
    session?.close();
    await tg?.stop();
  });

  it('answers successes and failures interleaved, each failure in error_message, and the stream stays open after them', async () => {
    const call = new OpenStream(session);
    const first = tabular('first', 2, 1);
    call.send(first.bytes);
    call.send(framed(modelInfer.requestSerialize({ id: 'short', model_name: 'tabular', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, FEATURES], contents: { fp32_contents: [1] } }] })));
    call.send(framed(Buffer.from([0x0a, 0x7f])));
    call.send(framed(modelInfer.requestSerialize(rawInferRequest('nope', [{ name: 'features', datatype: 'FP32', shape: [1, FEATURES], data: new Float32Array(FEATURES) }], { id: 'unknown' }))));
    await call.received(4);
    const last = tabular('last', 1, 2);
    call.send(last.bytes);
    await call.received(5);
    call.stream.end();

    const answer = await call.answer;
    assert.equal(answer.grpcStatus, status.OK, answer.grpcMessage);
    const byId = responsesOf(answer);
    assert.deepEqual([...byId.keys()].sort(), ['', 'first', 'last', 'short', 'unknown']);
    assert.match(byId.get('short')!.error_message, /input 'features' \(FP32\): shape \[1, 8\] needs 8 elements/);
    assert.match(byId.get('')!.error_message, /ModelInferRequest message is not valid protobuf/);
    assert.match(byId.get('unknown')!.error_message, /model 'nope' not found/);
    assert.equal(byId.get('unknown')!.infer_response.model_name, 'nope');
    for (const { id, input, rows } of [{ id: 'first', input: first.input, rows: 2 }, { id: 'last', input: last.input, rows: 1 }]) {
      assert.equal(byId.get(id)!.error_message, '');
      assertClose(outputTensors(byId.get(id)!.infer_response)[0]!.data as Float32Array, expectedTabular(input, rows), id);
    }
  });

  it('ends at once, trailers-only OK, when the client half-closes without a request', async () => {
    const answer = await rawCall(session, MODEL_STREAM_INFER);
    assert.equal(answer.grpcStatus, status.OK);
    assert.deepEqual(answer.messages, []);
  });

  it('drops the answers of a stream the client resets, and keeps serving', async () => {
    const call = new OpenStream(session);
    for (let i = 0; i < 20; i++) call.send(tabular(`c${i}`, 8, 100 + i).bytes);
    call.stream.close(constants.NGHTTP2_CANCEL);
    const answer = await call.answer;
    assert.equal(answer.rstCode, constants.NGHTTP2_CANCEL);
    const next = await rawCall(session, MODEL_STREAM_INFER, { chunks: [tabular('after', 1, 3).bytes] });
    assert.equal(next.grpcStatus, status.OK);
    assert.equal(responsesOf(next).get('after')!.error_message, '');
  });
});

describe('ModelStreamInfer: graceful close', () => {
  it('answers what is pending, ends a stream the client never half-closes with OK and a reset, then closes', async () => {
    const tg = await startTestGateway();
    const session = await openSession(tg.grpc);
    try {
      const call = new OpenStream(session);
      call.send(tabular('before', 1, 4).bytes);
      await call.received(1);
      const unary = rawCall(session, MODEL_INFER, { chunks: [tabular('unary', 1, 5).bytes] });
      const stopped = tg.stop();
      const answer = await call.answer;
      assert.equal(answer.grpcStatus, status.OK, answer.grpcMessage);
      // It closed although the client never half-closed: the server reset it after the trailers.
      assert.equal(answer.rstCode, constants.NGHTTP2_NO_ERROR);
      assert.deepEqual([...responsesOf(answer).keys()], ['before']);
      // The drain reaches the gRPC shard a moment after the call was written: the call is answered, refused as shutting
      // down, or — arriving after the server's GOAWAY — refused unprocessed (REFUSED_STREAM, which clients retry).
      const late = await unary;
      assert.ok(
        [status.OK, status.UNAVAILABLE].includes(late.grpcStatus!) || (late.grpcStatus === undefined && late.rstCode === constants.NGHTTP2_REFUSED_STREAM),
        `a unary call in flight is answered, or refused: status ${late.grpcStatus}, RST ${late.rstCode}`,
      );
      await stopped;
    } finally {
      session.destroy();
      await tg.stop();
    }
  });
});
