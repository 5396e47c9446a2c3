/**
 * Acceptance: "Queue full → 429 with Retry-After / RESOURCE_EXHAUSTED; expired
 * deadline → 504 / DEADLINE_EXCEEDED and the request never reaches a worker."
 *
 * "Never reached a worker" is proved by counting: the rows ONNX Runtime ran
 * (switchyard_batch_size_rows_sum) grow by exactly the rows of the requests
 * that were answered successfully.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceError } from '@grpc/grpc-js';
import { GRPC_STATUS } from '../../runtime/errors.js';
import { ERROR_CODE_METADATA_KEY } from '../../gateway/grpc/status.js';
import { exampleRepository, metricValue, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest } from '../helpers/grpc-client.js';
import { assertClose, errorOf, expectedMlp, featuresBody, post, probabilitiesOf, seededRows, waitFor, type HttpAnswer } from '../helpers/infer-fixtures.js';

const FEATURES = 256;
const ROWS_SUM = 'switchyard_batch_size_rows_sum';

function grpcRequest(input: Float32Array, rows: number, extra: Parameters<typeof rawInferRequest>[2] = {}) {
  return rawInferRequest('mlp', [{ name: 'features', datatype: 'FP32', shape: [rows, FEATURES], data: input }], extra);
}

/** Settles a gRPC call into either its response or its ServiceError, never throwing. */
async function settle<T>(call: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: ServiceError }> {
  try {
    return { ok: true, value: await call };
  } catch (error) {
    return { ok: false, error: error as ServiceError };
  }
}

function errorCodeOf(error: ServiceError): string | undefined {
  return error.metadata?.get(ERROR_CODE_METADATA_KEY)[0]?.toString();
}

let repository: Awaited<ReturnType<typeof exampleRepository>>;
before(async () => {
  repository = await exampleRepository();
});
after(async () => {
  await repository?.remove();
});

describe('overload: a full queue refuses at once', () => {
  let tg: TestGateway;
  let grpc: InferenceClient;

  before(async () => {
    // One worker, one batch at a time, one row per batch, four waiting: a burst backs up at once.
    tg = await startTestGateway({ pipelineDepth: 1, overrides: { maxQueueSize: 4, maxBatchSize: 1, instances: 1 } }, repository.dir);
    grpc = new InferenceClient(tg.grpc);
  });

  after(async () => {
    grpc?.close();
    await tg?.stop();
  });

  it('HTTP: a burst beyond the queue gets 429 + Retry-After + {"error"} naming the queue; the rest 200 with right answers; refused requests are never computed', async () => {
    const rowsBefore = await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' });
    const inputs = Array.from({ length: 100 }, (_, i) => seededRows(1, FEATURES, 1000 + i));
    const answers = await Promise.all(inputs.map((input) => post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, 1))));

    const refused = answers.filter((a) => a.status === 429);
    const served = answers.map((a, i) => [a, i] as const).filter(([a]) => a.status === 200);
    const other = answers.filter((a) => a.status !== 200 && a.status !== 429);
    assert.deepEqual(other.map((a) => `${a.status} ${a.text}`), [], 'every answer is 200 or 429');
    assert.ok(refused.length > 0, 'a burst of 100 onto a queue of 4 must be refused in part');
    assert.ok(served.length > 0, 'the requests that fit in the queue are served');

    for (const answer of refused) {
      const retryAfter = answer.headers.get('retry-after');
      assert.ok(retryAfter !== null, '429 carries Retry-After');
      assert.match(retryAfter, /^[1-9][0-9]*$/, `Retry-After is a positive number of seconds, got '${retryAfter}'`);
      const message = errorOf(answer);
      assert.match(message, /queue/i, `the 429 names the queue: ${message}`);
      assert.match(message, /\b4\b/, `the 429 says how big the queue is: ${message}`);
    }
    for (const [answer, i] of served) {
      const { shape, data } = probabilitiesOf(answer);
      assert.deepEqual(shape, [1, 16]);
      assertClose(data, expectedMlp(inputs[i]!, 1), `answer ${i}`);
    }

    const rowsRun = (await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' })) - rowsBefore;
    assert.equal(rowsRun, served.length, 'only the served requests were computed');
    assert.equal(await metricValue(tg.gateway, 'switchyard_requests_total', { model: 'mlp', protocol: 'http', status: 'SY_ERR_QUEUE_FULL' }), refused.length);
  });

  it('gRPC: a burst beyond the queue gets RESOURCE_EXHAUSTED naming the queue; the rest OK with right answers', async () => {
    const rowsBefore = await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' });
    const inputs = Array.from({ length: 100 }, (_, i) => seededRows(1, FEATURES, 2000 + i));
    const results = await Promise.all(inputs.map((input) => settle(grpc.modelInfer(grpcRequest(input, 1)))));

    let refused = 0;
    let served = 0;
    results.forEach((result, i) => {
      if (result.ok) {
        served++;
        const [output] = outputTensors(result.value);
        assert.deepEqual(output!.shape, [1, 16]);
        assertClose(output!.data as Float32Array, expectedMlp(inputs[i]!, 1), `gRPC answer ${i}`);
        return;
      }
      const { code, details } = result.error;
      assert.equal(code, GRPC_STATUS.RESOURCE_EXHAUSTED, `call ${i}: expected OK or RESOURCE_EXHAUSTED, got ${code} ${details}`);
      assert.match(details, /queue/i);
      assert.equal(errorCodeOf(result.error), 'SY_ERR_QUEUE_FULL');
      refused++;
    });
    assert.ok(refused > 0, 'a burst of 100 onto a queue of 4 must be refused in part');
    assert.ok(served > 0, 'the requests that fit in the queue are served');
    assert.equal((await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' })) - rowsBefore, served, 'only the served requests were computed');
  });

  it('keeps serving once the burst is over', async () => {
    for (let i = 0; i < 5; i++) {
      const input = seededRows(1, FEATURES, 3000 + i);
      assertClose(probabilitiesOf(await post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, 1))).data, expectedMlp(input, 1), `HTTP after the burst, ${i}`);
      const [output] = outputTensors(await grpc.modelInfer(grpcRequest(input, 1)));
      assertClose(output!.data as Float32Array, expectedMlp(input, 1), `gRPC after the burst, ${i}`);
    }
  });
});

describe('deadlines: a request whose deadline passed is dropped before it costs compute', () => {
  let tg: TestGateway;
  let grpc: InferenceClient;

  before(async () => {
    // One shard, one batch at a time, so a backlog of full 128-row batches builds in the one queue every request joins
    // (with several shards, the kernel spreads the connections and a late request may land on a shard already idle).
    tg = await startTestGateway({ shards: 1, pipelineDepth: 1, overrides: { instances: 1, maxQueueSize: 10_000 } }, repository.dir);
    grpc = new InferenceClient(tg.grpc);
  });

  after(async () => {
    grpc?.close();
    await tg?.stop();
  });

  const deadlineCount = (protocol: string): Promise<number> =>
    metricValue(tg.gateway, 'switchyard_requests_total', { model: 'mlp', protocol, status: 'SY_ERR_DEADLINE_EXCEEDED' });

  it('expired while queued: HTTP 504 {"error"}, gRPC DEADLINE_EXCEEDED (timeout parameter and the call deadline); never computed', async () => {
    const queued = (): Promise<number> => metricValue(tg.gateway, 'switchyard_queue_depth_requests', { model: 'mlp' });
    const rowsBefore = await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' });
    const httpBefore = await deadlineCount('http');
    const grpcBefore = await deadlineCount('grpc');
    const grpcAllBefore = await metricValue(tg.gateway, 'switchyard_requests_total', { model: 'mlp', protocol: 'grpc' });

    // A backlog: full batches queued behind one another, no deadline.
    // A 128-row batch takes ~2 ms on a quiet machine: 64 of them outlast every deadline below.
    const BLOCKERS = 64;
    const BLOCKER_ROWS = 128;
    let blockersDone = 0;
    const blockerInputs = Array.from({ length: BLOCKERS }, (_, i) => seededRows(BLOCKER_ROWS, FEATURES, 4000 + i));
    const blockers = blockerInputs.map((input) =>
      post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, BLOCKER_ROWS)).finally(() => blockersDone++),
    );
    // Every blocker has arrived (queued, running or done), and several still wait: the requests below queue behind them.
    await waitFor('the blockers to arrive', async () => (await queued()) + blockersDone + 1 >= BLOCKERS);
    const backlog = await queued();
    assert.ok(backlog >= 12, `a backlog of blockers is still queued (${backlog}); the deadline requests must wait behind it`);

    const TIMEOUT_US = 5000; // 5 ms
    // Long enough for the call to reach the gateway and queue (a client drops a call whose deadline passes before it is sent).
    const CALL_DEADLINE_MS = 50;
    const deadlineInputs = Array.from({ length: 15 }, (_, i) => seededRows(1, FEATURES, 5000 + i));
    const http = deadlineInputs.slice(0, 5).map((input) => post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, 1, { parameters: { timeout: TIMEOUT_US } })));
    const byParameter = deadlineInputs.slice(5, 10).map((input) =>
      settle(grpc.modelInfer(grpcRequest(input, 1, { parameters: { timeout: { int64_param: TIMEOUT_US } } }))),
    );
    const byCallDeadline = deadlineInputs.slice(10).map((input) => settle(grpc.modelInfer(grpcRequest(input, 1), { deadline: Date.now() + CALL_DEADLINE_MS })));

    for (const answer of await Promise.all(http)) {
      assert.equal(answer.status, 504, `expected 504, got ${answer.status}: ${answer.text}`);
      const message = errorOf(answer);
      assert.match(message, /timed out|deadline/i, message);
      assert.match(message, /queue/i, `the 504 says the request waited in the queue: ${message}`);
    }
    for (const result of await Promise.all(byParameter)) {
      assert.ok(!result.ok, 'a gRPC request with an expired timeout parameter is not answered OK');
      assert.equal(result.error.code, GRPC_STATUS.DEADLINE_EXCEEDED, result.error.details);
      assert.equal(errorCodeOf(result.error), 'SY_ERR_DEADLINE_EXCEEDED', 'the gateway itself said DEADLINE_EXCEEDED');
    }
    for (const result of await Promise.all(byCallDeadline)) {
      assert.ok(!result.ok, 'a gRPC request past its call deadline is not answered OK');
      assert.equal(result.error.code, GRPC_STATUS.DEADLINE_EXCEEDED, result.error.details);
    }

    const blockerAnswers = await Promise.all(blockers);
    blockerAnswers.forEach((answer, i) => {
      const { shape, data } = probabilitiesOf(answer);
      assert.deepEqual(shape, [BLOCKER_ROWS, 16]);
      // The first and the last row of each (every row would cost seconds in TypeScript).
      const input = blockerInputs[i]!;
      assertClose(data.slice(0, 16), expectedMlp(input.subarray(0, FEATURES), 1), `blocker ${i}, row 0`);
      assertClose(data.slice(-16), expectedMlp(input.subarray(-FEATURES), 1), `blocker ${i}, last row`);
    });

    // The call-deadline requests were cancelled by the client; the gateway still drops each one that
    // reached it when it comes to the head of the queue, right after the last blocker.
    await waitFor('the queue to drain', async () => (await queued()) === 0 && (await metricValue(tg.gateway, 'switchyard_inflight_batches', { model: 'mlp' })) === 0);
    assert.equal((await deadlineCount('http')) - httpBefore, 5, 'five HTTP requests dropped for their deadline');
    const grpcDropped = (await deadlineCount('grpc')) - grpcBefore;
    const grpcSeen = (await metricValue(tg.gateway, 'switchyard_requests_total', { model: 'mlp', protocol: 'grpc' })) - grpcAllBefore;
    assert.equal(grpcSeen, grpcDropped, 'every gRPC request the gateway saw was dropped for its deadline');
    assert.ok(grpcDropped >= 6, `the five by parameter and at least one by call deadline were dropped by the gateway itself (${grpcDropped})`);
    const rowsRun = (await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' })) - rowsBefore;
    assert.equal(rowsRun, BLOCKERS * BLOCKER_ROWS, 'only the blockers were computed; no expired request reached a worker');
  });

  it('an already-expired deadline (timeout of 1 µs) is refused at once, over both transports, and never computed', async () => {
    const rowsBefore = await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' });
    const input = seededRows(1, FEATURES, 6000);
    const answer: HttpAnswer = await post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, 1, { parameters: { timeout: 1 } }));
    assert.equal(answer.status, 504, answer.text);
    assert.match(errorOf(answer), /deadline|timed out/i);

    const result = await settle(grpc.modelInfer(grpcRequest(input, 1, { parameters: { timeout: { int64_param: 1 } } })));
    assert.ok(!result.ok, 'answered OK despite an expired deadline');
    assert.equal(result.error.code, GRPC_STATUS.DEADLINE_EXCEEDED, result.error.details);
    assert.equal(errorCodeOf(result.error), 'SY_ERR_DEADLINE_EXCEEDED');

    assert.equal((await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' })) - rowsBefore, 0, 'nothing was computed');
    // And a generous deadline is no obstacle.
    const ok = await post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, 1, { parameters: { timeout: 10_000_000 } }));
    assertClose(probabilitiesOf(ok).data, expectedMlp(input, 1), 'generous deadline');
  });

  it('timeout 0 means "no timeout", over both transports, as in Triton ("0 which indicates that the request has no timeout")', async () => {
    const rowsBefore = await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' });
    const input = seededRows(1, FEATURES, 7000);
    const [output] = outputTensors(await grpc.modelInfer(grpcRequest(input, 1, { parameters: { timeout: { int64_param: 0 } } })));
    assertClose(output!.data as Float32Array, expectedMlp(input, 1), 'gRPC, timeout 0');
    const answer = await post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, 1, { parameters: { timeout: 0 } }));
    assertClose(probabilitiesOf(answer).data, expectedMlp(input, 1), 'HTTP, timeout 0');
    assert.equal((await metricValue(tg.gateway, ROWS_SUM, { model: 'mlp' })) - rowsBefore, 2);
  });

  it('a malformed timeout is refused with 400 / INVALID_ARGUMENT naming the parameter', async () => {
    const input = seededRows(1, FEATURES, 7100);
    for (const timeout of [-1, 1.5, 'soon', true]) {
      const answer = await post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, 1, { parameters: { timeout } }));
      assert.equal(answer.status, 400, `timeout ${JSON.stringify(timeout)}: ${answer.text}`);
      assert.match(errorOf(answer), /timeout/);
    }
    const result = await settle(grpc.modelInfer(grpcRequest(input, 1, { parameters: { timeout: { string_param: 'soon' } } })));
    assert.ok(!result.ok);
    assert.equal(result.error.code, GRPC_STATUS.INVALID_ARGUMENT, result.error.details);
    assert.match(result.error.details, /timeout/);
  });
});
