/**
 * A failing shadow is counted (switchyard_shadow_requests_total{outcome="failed"})
 * and must not flood the gateway's log with lines of another format. DESIGN:
 * "Every process: structured JSON logs (one line per event)". ONNX Runtime's
 * own logger, left at its default severity, writes an ANSI-coloured plain-text
 * line to stderr for every failed run ("[E:onnxruntime:, sequential_executor.cc
 * ... ExecuteKernel] Non-zero status code ..."): with a failing shadow at 100%,
 * one per mirrored batch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { failingOnnx, inferBody, tabularManifest, tabularOnnx, tabularRows } from '../helpers/traffic-models.js';
import {
  putTraffic,
  READ_TOKEN,
  registerVersion,
  sampleSum,
  scrape,
  sleep,
  spawnGateway,
  startTestRegistry,
  until,
  type GatewayProcess,
  type TestRegistry,
} from '../helpers/traffic-stack.js';

describe('gateway log with a failing shadow', () => {
  let registry: TestRegistry;
  let gw: GatewayProcess;

  before(async () => {
    registry = await startTestRegistry();
    const onnx = tabularOnnx();
    await registerVersion(registry.url, 'tabular', onnx, tabularManifest(onnx));
    const failing = failingOnnx();
    await registerVersion(registry.url, 'tabular', failing, tabularManifest(failing));
    await putTraffic(registry.url, 'tabular', { variants: [{ target: '1', weight: 100 }], shadow: [{ target: '2', percent: 100 }] });
    gw = await spawnGateway(['--registry', registry.url, '--registry-token', READ_TOKEN]);
  });

  after(async () => {
    await gw?.stop();
    await registry?.stop();
  });

  it('shadow failures are counted, and every line the gateway writes to stderr is a JSON object', async () => {
    for (const row of tabularRows(20)) {
      const res = await fetch(`${gw.http}/v2/models/tabular/infer`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: inferBody(row) });
      assert.equal(res.status, 200, await res.text());
    }
    await until('the shadow failures to be counted', async () => sampleSum(await scrape(gw.metrics), 'switchyard_shadow_requests_total', { model: 'tabular', version: '2', outcome: 'failed' }) > 0);
    await sleep(200);
    const foreign = gw
      .log()
      .split('\n')
      .filter((line) => line !== '')
      .filter((line) => {
        try {
          return typeof JSON.parse(line) !== 'object';
        } catch {
          return true;
        }
      });
    assert.deepEqual(foreign.slice(0, 3), [], `${foreign.length} stderr lines are not JSON log lines`);
  });
});
