/**
 * `switchyard bench load` against a running gateway, as an operator runs it: a closed-loop
 * sweep with the body built from the model's metadata, gRPC too, an open-loop step with a body
 * from an OIP JSON file, results as JSON; and a non-loopback target refused.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const run = promisify(execFile);

describe('switchyard bench load', () => {
  let gateway: TestGateway;
  let dir: string;
  const load = async (...args: string[]): Promise<any> => {
    const out = join(dir, `run-${Math.random()}.json`);
    await run(process.execPath, [CLI, 'bench', 'load', '--url', gateway.http, '--grpc', gateway.grpc, '--warmup-s', '0.2', '--duration-s', '0.5', '--out', out, ...args]);
    return JSON.parse(await readFile(out, 'utf8'));
  };

  before(async () => {
    gateway = await startTestGateway();
    dir = await mkdtemp(join(tmpdir(), 'switchyard-load-'));
  });
  after(async () => {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('closed loop over HTTP binary and gRPC, the body from the model metadata, one step per concurrency', async () => {
    for (const target of ['http-binary', 'grpc']) {
      const { steps } = await load('--model', 'mlp', '--target', target, '--rows', '4', '--concurrency', '1,4');
      assert.deepEqual(steps.map((s: any) => [s.target, s.mode, s.concurrency, s.rows_per_request]), [[target, 'closed', 1, 4], [target, 'closed', 4, 4]]);
      for (const s of steps) {
        assert.deepEqual(s.errors, {});
        assert.ok(s.requests_per_s > 0 && Math.abs(s.rows_per_s - s.requests_per_s * 4) < 1e-6 * s.rows_per_s, JSON.stringify(s));
        assert.ok(s.latency.count > 0 && s.latency.p50Us > 0 && s.latency.p50Us <= s.latency.p99Us && s.latency.p99Us <= s.latency.maxUs, JSON.stringify(s.latency));
      }
    }
  });

  it('open loop with the body from an Open Inference Protocol JSON file (nested data)', async () => {
    const body = join(dir, 'request.json');
    await writeFile(body, JSON.stringify({ inputs: [{ name: 'features', shape: [2, 8], datatype: 'FP32', data: [[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]] }], outputs: [{ name: 'probabilities' }] }));
    const { steps } = await load('--model', 'tabular', '--target', 'http-json', '--body', body, '--rate', '200');
    assert.equal(steps.length, 1);
    assert.equal(steps[0].mode, 'open');
    assert.equal(steps[0].rate, 200);
    assert.equal(steps[0].rows_per_request, 2);
    assert.deepEqual(steps[0].errors, {});
    assert.ok(steps[0].requests_per_s > 100, JSON.stringify(steps[0]));
  });

  it('refuses a target that is not on this machine, and a model that does not exist', async () => {
    await assert.rejects(run(process.execPath, [CLI, 'bench', 'load', '--url', 'http://10.1.2.3:8000', '--model', 'mlp']), (err: any) => /not a loopback address/.test(err.stderr));
    await assert.rejects(run(process.execPath, [CLI, 'bench', 'load', '--url', gateway.http, '--model', 'nope']), (err: any) => /model metadata of 'nope': 404/.test(err.stderr));
  });
});
