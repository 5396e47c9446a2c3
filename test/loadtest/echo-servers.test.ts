/**
 * The transport-limit servers answer the gateway's exact requests with their fixed answer
 * (checked as the benchmark checks each target), echo-http from every thread on one port,
 * and both stop cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkAnswer, compareOutputs } from '../../loadtest/answer-check.js';
import { ECHO_GRPC_MESSAGE, ECHO_HTTP_BODY } from '../../loadtest/echo-answers.js';
import { freePorts } from '../../loadtest/free-port.js';
import { buildPayload } from '../../loadtest/payload.js';
import { ServerProcess } from '../../loadtest/server-process.js';
import { wireRequest } from '../../loadtest/wire-request.js';

const payload = buildPayload({ model: 'mlp', input: 'features', output: 'probabilities', rows: 1, width: 256, seed: 7 });

describe('transport echo servers', () => {
  let http: ServerProcess;
  let grpc: ServerProcess;

  before(async () => {
    const [port] = await freePorts(1);
    [http, grpc] = await Promise.all([ServerProcess.start('echo-http', 'echo-http-server.js', ['2', String(port), '127.0.0.1']), ServerProcess.start('echo-grpc', 'echo-grpc-server.js', ['127.0.0.1', '0'])]);
  });
  after(async () => {
    await Promise.all([http?.stop(), grpc?.stop()]);
  });

  it('echo-http answers the binary inference request with its fixed body, and 404 elsewhere', async () => {
    const request = wireRequest('http-binary', payload);
    assert.equal(http.port > 0, true);
    assert.equal(await checkAnswer('127.0.0.1', http.port, request, { kind: 'fixed', bytes: ECHO_HTTP_BODY }), 'ok');
    assert.match(await checkAnswer('127.0.0.1', http.port, { ...request, path: '/elsewhere' }, { kind: 'fixed', bytes: ECHO_HTTP_BODY }), /FAILED \(HTTP 404/);
    assert.match(await checkAnswer('127.0.0.1', http.port, request, { kind: 'fixed', bytes: Buffer.from('other') }), /MISMATCH/);
  });

  it('echo-grpc answers a framed call with its message and grpc-status 0, a torn frame with 13', async () => {
    const request = wireRequest('grpc', payload);
    assert.equal(await checkAnswer('127.0.0.1', grpc.port, request, { kind: 'fixed', bytes: ECHO_GRPC_MESSAGE }), 'ok');
    const torn = { ...request, body: request.body.subarray(0, request.body.byteLength - 1) };
    assert.match(await checkAnswer('127.0.0.1', grpc.port, torn, { kind: 'fixed', bytes: ECHO_GRPC_MESSAGE }), /FAILED \(probe: grpc-status 13/);
  });

  it('exits 0 on SIGTERM', async () => {
    await Promise.all([http.stop(), grpc.stop()]);
    assert.equal(http.exited && grpc.exited, true);
  });
});

describe('answer comparison', () => {
  it('accepts float noise, names a real difference and a wrong length', () => {
    assert.equal(compareOutputs(Float32Array.of(0.1, 0.9), [0.100001, 0.899999]), 'ok');
    assert.match(compareOutputs(Float32Array.of(0.1, 0.9), [0.2, 0.9]), /MISMATCH \(max \|Δ\| 1\.00e-1/);
    assert.match(compareOutputs(Float32Array.of(0.1), [0.1, 0.9]), /1 values, raw ORT 2/);
  });
});
