/**
 * The gRPC server against the gRPC over HTTP/2 spec, on a real gateway: what
 * a gRPC library would hide (content-types, methods, encodings, grpc-timeout,
 * message framing across and within DATA frames, trailers-only errors,
 * resets) is driven with node:http2 directly; compression with a grpc-js client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync, deflateSync } from 'node:zlib';
import { constants, type ClientHttp2Session } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { loadInferenceService } from '../../../gateway/grpc/proto.js';
import { ERROR_CODE_METADATA_KEY } from '../../../gateway/grpc/status.js';
import { exampleRepository, metricValue, startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest } from '../../helpers/grpc-client.js';
import { assertClose, expectedTabular, seededRows } from '../../helpers/infer-fixtures.js';
import { until } from '../../helpers/poll.js';
import { writeSmallModel } from '../../helpers/small-models.js';
import { collect, framed, GRPC_HEADERS, MODEL_INFER, MODEL_STREAM_INFER, openSession, rawCall, type RawAnswer } from '../../helpers/raw-grpc-client.js';
import type { ModelInferResponseMessage } from '../../../gateway/grpc/messages.js';

const FEATURES = 8;
const LIMIT = 4096;
const modelInfer = loadInferenceService()['ModelInfer']!;

function tabularMessage(rows: number, seed: number, extra = {}): { input: Float32Array; message: Buffer } {
  const input = seededRows(rows, FEATURES, seed);
  return { input, message: modelInfer.requestSerialize(rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [rows, FEATURES], data: input }], extra)) };
}

function inferResponse(bytes: Buffer): ModelInferResponseMessage {
  return modelInfer.responseDeserialize(bytes) as ModelInferResponseMessage;
}

function assertStatus(answer: RawAnswer, code: number, ...fragments: string[]): void {
  assert.equal(answer.grpcStatus, code, `grpc-status ${answer.grpcStatus}: ${answer.grpcMessage}`);
  for (const fragment of fragments) assert.ok(answer.grpcMessage.includes(fragment), `grpc-message ${JSON.stringify(answer.grpcMessage)} lacks ${JSON.stringify(fragment)}`);
}

/** An error before any message: status, message and error code all in the one HEADERS frame. */
function assertTrailersOnly(answer: RawAnswer, errorCode: string): void {
  assert.equal(answer.headers[':status'], 200);
  assert.equal(answer.headers['content-type'], 'application/grpc');
  assert.equal(answer.headers[ERROR_CODE_METADATA_KEY], errorCode);
  assert.deepEqual(answer.trailers, {}, 'no separate trailers');
  assert.deepEqual(answer.messages, []);
}

/** `widen`: y = x · W, [-1, 1] → [-1, 512]: answers 512 times larger than their requests. */
function writeWidenModel(repository: string): Promise<unknown> {
  return writeSmallModel(repository, 'widen', 1, 512, (graph) => graph.matMul('x', graph.addInitializer('w', new Float32Array(512).fill(0.5), [1, 512]), 'y'));
}

describe('gRPC server: the protocol', () => {
  let repository: Awaited<ReturnType<typeof exampleRepository>>;
  let tg: TestGateway;
  let session: ClientHttp2Session;

  before(async () => {
    repository = await exampleRepository();
    await writeWidenModel(repository.dir);
    tg = await startTestGateway({ maxBodyBytes: LIMIT }, repository.dir);
    session = await openSession(tg.grpc);
  });

  after(async () => {
    session?.close();
    await tg?.stop();
    await repository?.remove();
  });

  it('answers with :status 200, content-type application/grpc, grpc-accept-encoding, the message, then grpc-status 0 in trailers', async () => {
    const { input, message } = tabularMessage(2, 1);
    const answer = await rawCall(session, MODEL_INFER, { chunks: [framed(message)] });
    assert.equal(answer.headers[':status'], 200);
    assert.equal(answer.headers['content-type'], 'application/grpc');
    assert.equal(answer.headers['grpc-accept-encoding'], 'identity,deflate,gzip');
    assert.equal(answer.trailers['grpc-status'], '0');
    assert.equal(answer.messages.length, 1);
    assertClose(outputTensors(inferResponse(answer.messages[0]!))[0]!.data as Float32Array, expectedTabular(input, 2), 'answer');
  });

  it('accepts application/grpc+proto and content-type parameters', async () => {
    for (const contentType of ['application/grpc+proto', 'application/grpc;charset=utf-8', 'application/grpc+proto; x=y']) {
      const answer = await rawCall(session, MODEL_INFER, { headers: { 'content-type': contentType }, chunks: [framed(tabularMessage(1, 2).message)] });
      assertStatus(answer, status.OK);
    }
  });

  it('answers a content-type that is not gRPC with HTTP 415', async () => {
    for (const contentType of ['application/json', 'application/grpc-web', 'application/grpc+json']) {
      const answer = await rawCall(session, MODEL_INFER, { headers: { 'content-type': contentType }, chunks: [framed(tabularMessage(1, 3).message)] });
      assert.equal(answer.headers[':status'], 415, contentType);
      assert.equal(answer.headers[ERROR_CODE_METADATA_KEY], 'SY_ERR_UNSUPPORTED_MEDIA_TYPE');
      assert.ok(answer.grpcMessage.includes(contentType), answer.grpcMessage);
    }
  });

  it('answers a method other than POST with HTTP 405', async () => {
    const answer = await collect(session.request({ ':method': 'GET', ':path': MODEL_INFER, 'content-type': 'application/grpc' }, { endStream: true }));
    assert.equal(answer.headers[':status'], 405);
    assert.equal(answer.headers['allow'], 'POST');
  });

  it('answers an unknown method UNIMPLEMENTED, and each Triton RPC it does not serve UNIMPLEMENTED with what to use instead', async () => {
    const unknown = await rawCall(session, '/inference.GRPCInferenceService/Nope', { chunks: [framed(Buffer.alloc(0))] });
    assertStatus(unknown, status.UNIMPLEMENTED, "'/inference.GRPCInferenceService/Nope'", 'inference.GRPCInferenceService', 'switchyard.feedback.Feedback');
    assertTrailersOnly(unknown, 'SY_ERR_NOT_IMPLEMENTED');
    for (const [rpc, says] of [
      ['ModelConfig', 'ModelMetadata'],
      ['ModelStatistics', 'metrics'],
      ['RepositoryModelLoad', 'registry'],
      ['SystemSharedMemoryRegister', 'raw_input_contents'],
      ['CudaSharedMemoryStatus', 'raw_input_contents'],
      ['TraceSetting', 'tracing'],
      ['LogSettings', 'SWITCHYARD_LOG_LEVEL'],
    ] as const) {
      const answer = await rawCall(session, `/inference.GRPCInferenceService/${rpc}`, { chunks: [framed(Buffer.alloc(0))] });
      assertStatus(answer, status.UNIMPLEMENTED, rpc, says);
    }
  });

  it('reads a message split across many DATA frames', async () => {
    const { input, message } = tabularMessage(3, 4);
    const bytes = framed(message);
    const answer = await rawCall(session, MODEL_INFER, { chunks: Array.from(bytes, (byte) => Uint8Array.of(byte)) });
    assertStatus(answer, status.OK);
    assertClose(outputTensors(inferResponse(answer.messages[0]!))[0]!.data as Float32Array, expectedTabular(input, 3), 'answer');
  });

  it('reads several messages from one DATA frame', async () => {
    const requests = [1, 2, 3].map((rows) => tabularMessage(rows, 10 + rows, { id: `r${rows}` }));
    const answer = await rawCall(session, MODEL_STREAM_INFER, { chunks: [Buffer.concat(requests.map((r) => framed(r.message)))] });
    assertStatus(answer, status.OK);
    const byId = new Map(answer.messages.map((bytes) => {
      const response = loadInferenceService()['ModelStreamInfer']!.responseDeserialize(bytes) as { error_message: string; infer_response: ModelInferResponseMessage };
      return [response.infer_response.id, response] as const;
    }));
    for (const [i, request] of requests.entries()) {
      const response = byId.get(`r${i + 1}`)!;
      assert.equal(response.error_message, '');
      assertClose(outputTensors(response.infer_response)[0]!.data as Float32Array, expectedTabular(request.input, i + 1), `r${i + 1}`);
    }
  });

  it('refuses a unary call without exactly one message, a message cut short, and a compressed flag without grpc-encoding', async () => {
    const { message } = tabularMessage(1, 5);
    const cases: Array<[string, Uint8Array[], string]> = [
      ['no message', [], 'carried 0'],
      ['two messages', [framed(message), framed(message)], 'carried 2'],
      ['cut short', [framed(message).subarray(0, 20)], 'ended inside a message'],
      ['compressed flag', [framed(message, true)], 'grpc-encoding'],
      ['bad flag', [Buffer.concat([Uint8Array.of(7), framed(message).subarray(1)])], 'compressed flag 7'],
    ];
    for (const [what, chunks, says] of cases) {
      const answer = await rawCall(session, MODEL_INFER, { chunks });
      assertStatus(answer, status.INVALID_ARGUMENT, says);
      assert.equal(answer.headers[ERROR_CODE_METADATA_KEY] ?? answer.trailers[ERROR_CODE_METADATA_KEY], 'SY_ERR_INVALID_REQUEST', what);
    }
  });

  it('refuses bytes that are not a ModelInferRequest as INVALID_ARGUMENT, counted once as refused', async () => {
    const labels = { protocol: 'grpc', status: 'SY_ERR_INVALID_REQUEST' };
    const before = await metricValue(tg.gateway, 'switchyard_requests_total', labels);
    const answer = await rawCall(session, MODEL_INFER, { chunks: [framed(Buffer.from([0x0a, 0x40, 0x61]))] });
    assertStatus(answer, status.INVALID_ARGUMENT, 'ModelInferRequest', 'not valid protobuf');
    assertTrailersOnly(answer, 'SY_ERR_INVALID_REQUEST');
    assert.equal(await metricValue(tg.gateway, 'switchyard_requests_total', labels), before + 1);
  });

  it('answers a message over the size limit RESOURCE_EXHAUSTED from its prefix, naming both sizes', async () => {
    const prefix = Buffer.from([0, 0, 0, 0x40, 0]); // 16 KiB announced, never sent
    const answer = await rawCall(session, MODEL_INFER, { chunks: [prefix, Buffer.alloc(100)], end: false });
    assertStatus(answer, status.RESOURCE_EXHAUSTED, '16384 bytes', `${LIMIT} bytes`);
    assertTrailersOnly(answer, 'SY_ERR_BODY_TOO_LARGE');
  });

  it('answers RESOURCE_EXHAUSTED when the answer would be over the size limit', async () => {
    const rows = 4; // 16 bytes in, 8 KiB out
    const request = rawInferRequest('widen', [{ name: 'x', datatype: 'FP32', shape: [rows, 1], data: new Float32Array(rows) }]);
    const answer = await rawCall(session, MODEL_INFER, { chunks: [framed(modelInfer.requestSerialize(request))] });
    assertStatus(answer, status.RESOURCE_EXHAUSTED, 'the answer is', `${LIMIT} bytes`);
  });

  it('sends errors before any message trailers-only, the SY_ERR_* code and a percent-encoded grpc-message in the same headers', async () => {
    const answer = await rawCall(session, MODEL_INFER, { chunks: [framed(modelInfer.requestSerialize(rawInferRequest('größe 100%', [])))] });
    assertStatus(answer, status.NOT_FOUND, "'größe 100%'");
    assertTrailersOnly(answer, 'SY_ERR_MODEL_NOT_FOUND');
    const raw = String(answer.headers['grpc-message']);
    assert.ok(raw.includes('gr%C3%B6%C3%9Fe 100%25'), raw);
    assert.match(raw, /^[\x20-\x7e]*$/, 'printable ASCII only');
  });

  it('answers an unsupported grpc-encoding UNIMPLEMENTED, listing the supported ones', async () => {
    const answer = await rawCall(session, MODEL_INFER, { headers: { 'grpc-encoding': 'snappy' }, chunks: [framed(tabularMessage(1, 6).message, true)] });
    assertStatus(answer, status.UNIMPLEMENTED, "'snappy'", 'identity,deflate,gzip');
    assert.equal(answer.headers['grpc-accept-encoding'], 'identity,deflate,gzip');
  });

  it('inflates gzip and deflate messages; refuses one that does not inflate, and one that inflates past the limit', async () => {
    const { input, message } = tabularMessage(2, 7);
    for (const [encoding, compress] of [['gzip', gzipSync], ['deflate', deflateSync]] as const) {
      const answer = await rawCall(session, MODEL_INFER, { headers: { 'grpc-encoding': encoding }, chunks: [framed(compress(message), true)] });
      assertStatus(answer, status.OK);
      assertClose(outputTensors(inferResponse(answer.messages[0]!))[0]!.data as Float32Array, expectedTabular(input, 2), encoding);
    }
    const broken = await rawCall(session, MODEL_INFER, { headers: { 'grpc-encoding': 'gzip' }, chunks: [framed(Buffer.from('not gzip'), true)] });
    assertStatus(broken, status.INVALID_ARGUMENT, 'gzip-compressed message does not decompress');
    const bomb = await rawCall(session, MODEL_INFER, { headers: { 'grpc-encoding': 'gzip' }, chunks: [framed(gzipSync(Buffer.alloc(LIMIT * 4)), true)] });
    assertStatus(bomb, status.RESOURCE_EXHAUSTED, `${LIMIT} bytes`);
  });

  it('takes compressed requests from a grpc-js client (grpc.default_compression_algorithm)', async () => {
    for (const algorithm of [1, 2]) {
      const client = new InferenceClient(tg.grpc, { 'grpc.default_compression_algorithm': algorithm });
      try {
        for (let i = 0; i < 3; i++) {
          const input = seededRows(4, FEATURES, 20 + i);
          const response = await client.modelInfer(rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [4, FEATURES], data: input }]));
          assertClose(outputTensors(response)[0]!.data as Float32Array, expectedTabular(input, 4), `algorithm ${algorithm}, call ${i}`);
        }
      } finally {
        client.close();
      }
    }
  });

  it('reads grpc-timeout as the deadline: an expired one is DEADLINE_EXCEEDED, a malformed one INVALID_ARGUMENT', async () => {
    const expired = await rawCall(session, MODEL_INFER, { headers: { 'grpc-timeout': '1n' }, chunks: [framed(tabularMessage(1, 8).message)] });
    assertStatus(expired, status.DEADLINE_EXCEEDED);
    assert.equal(expired.headers[ERROR_CODE_METADATA_KEY], 'SY_ERR_DEADLINE_EXCEEDED');
    for (const timeout of ['10', '5x', '123456789S', '-1S']) {
      const answer = await rawCall(session, MODEL_INFER, { headers: { 'grpc-timeout': timeout }, chunks: [framed(tabularMessage(1, 8).message)] });
      assertStatus(answer, status.INVALID_ARGUMENT, `grpc-timeout '${timeout}'`);
    }
    const generous = await rawCall(session, MODEL_INFER, { headers: { 'grpc-timeout': '1H' }, chunks: [framed(tabularMessage(1, 8).message)] });
    assertStatus(generous, status.OK);
  });

  it('takes the routing metadata: x-switchyard-version pins a version', async () => {
    const pinned = await rawCall(session, MODEL_INFER, { headers: { 'x-switchyard-version': '1' }, chunks: [framed(tabularMessage(1, 9).message)] });
    assertStatus(pinned, status.OK);
    assert.equal(inferResponse(pinned.messages[0]!).model_version, '1');
    const missing = await rawCall(session, MODEL_INFER, { headers: { 'x-switchyard-version': '9' }, chunks: [framed(tabularMessage(1, 9).message)] });
    assertStatus(missing, status.NOT_FOUND, "'9'");
  });

  it('survives calls the client resets or abandons mid-call, and keeps serving', async () => {
    const { message } = tabularMessage(1, 30);
    // Reset before the message is complete, right after it is sent, and with the connection torn down.
    const halfSent = session.request({ ...GRPC_HEADERS, ':path': MODEL_INFER });
    halfSent.write(framed(message).subarray(0, 10));
    halfSent.close(constants.NGHTTP2_CANCEL);
    const sent = session.request({ ...GRPC_HEADERS, ':path': MODEL_INFER });
    sent.end(framed(message));
    sent.close(constants.NGHTTP2_CANCEL);
    const doomed = await openSession(tg.grpc);
    const calls = Array.from({ length: 10 }, () => rawCall(doomed, MODEL_INFER, { chunks: [framed(message)] }));
    const stream = rawCall(doomed, MODEL_STREAM_INFER, { chunks: [framed(message)], end: false });
    setImmediate(() => doomed.destroy());
    await Promise.all([...calls, stream]);

    const answer = await rawCall(session, MODEL_INFER, { chunks: [framed(message)] });
    assertStatus(answer, status.OK);
  });
});

describe('gRPC server: grpc-timeout while queued', () => {
  it('a call whose deadline passes while it waits in the queue is answered DEADLINE_EXCEEDED by the gateway, never computed', async () => {
    // One batch at a time: full 128-row mlp batches queue behind one another (gRPC is served by one shard: one queue).
    const tg = await startTestGateway({ pipelineDepth: 1, overrides: { instances: 1, maxQueueSize: 10_000 } });
    const session = await openSession(tg.grpc);
    try {
      const mlp = (rows: number, seed: number): Buffer =>
        framed(modelInfer.requestSerialize(rawInferRequest('mlp', [{ name: 'features', datatype: 'FP32', shape: [rows, 256], data: seededRows(rows, 256, seed) }])));
      const blockers = Array.from({ length: 48 }, (_, i) => rawCall(session, MODEL_INFER, { chunks: [mlp(128, 100 + i)] }));
      await until('a backlog in the queue', async () => (await metricValue(tg.gateway, 'switchyard_queue_depth_requests', { model: 'mlp' })) >= 24);
      const late = await rawCall(session, MODEL_INFER, { headers: { 'grpc-timeout': '20m' }, chunks: [mlp(1, 1)] });
      assertStatus(late, status.DEADLINE_EXCEEDED, 'queue');
      assertTrailersOnly(late, 'SY_ERR_DEADLINE_EXCEEDED');
      for (const blocker of await Promise.all(blockers)) assertStatus(blocker, status.OK);
    } finally {
      session.close();
      await tg.stop();
    }
  });
});

