/** `switchyard monitor`: flags to config, the built-in policy, a process that serves and exits 0 on SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadPolicies, monitorConfigFromArgs } from '../../cli/monitor-command.js';
import { monitorConfig } from '../../monitor/config.js';
import { DEFAULT_POLICY } from '../../monitor/policies/policy-spec.js';
import { publish } from './helpers/publisher.js';
import { prediction, twoClass } from './helpers/records.js';

const MAIN = fileURLToPath(new URL('./helpers/monitor-main.js', import.meta.url));

describe('switchyard monitor command', () => {
  it('turns flags into a config; a policy file replaces the built-in policy only for the models it names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-monitor-cli-'));
    try {
      const file = join(dir, 'policy.json');
      await writeFile(file, JSON.stringify([{ model: 'churn', conditions: [{ metric: 'accuracy', op: '<', threshold: 0.8, min_samples: 500 }], cooldown_s: 600 }]));
      const input = await monitorConfigFromArgs(
        { host: '127.0.0.1', 'http-port': '0', 'grpc-port': '0', policy: file, webhook: ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b'], 'drift-window-rows': '250', 'time-window-s': '60', 'label-ttl-s': '120' },
        { SWITCHYARD_WEBHOOK_SECRET: 'whsec_c2VjcmV0' },
      );
      const config = monitorConfig(input);
      assert.deepEqual(config.policies.map((p) => p.model), ['churn', '*']);
      assert.deepEqual(config.webhooks.urls, ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b']);
      assert.equal(config.drift.countRows, 250);
      assert.equal(config.drift.timeSpanMs, 60_000);
      assert.equal(config.quality.timeSpanMs, 60_000);
      assert.equal(config.labels.ttlMs, 120_000);
      assert.deepEqual(await loadPolicies(file, false).then((p) => p.length), 1);
      assert.deepEqual(await loadPolicies(undefined, true), [DEFAULT_POLICY]);
      await writeFile(file, '[{"model": "churn", "conditions": []}]');
      await assert.rejects(loadPolicies(file, true), /policy\.json: policies\[0\]: "conditions" must be a non-empty list/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses webhooks without a whsec_ secret and an ingest-less config', () => {
    assert.throws(() => monitorConfig({ webhooks: { urls: ['http://127.0.0.1:9/'] } }), /whsec_/);
    assert.throws(() => monitorConfig({ grpcPort: null }), /needs an ingest/);
  });

  it('serves until SIGTERM, then drains and exits 0', async () => {
    const child = spawn(process.execPath, [MAIN, '--http-port', '0', '--grpc-port', '0', '--no-default-policy'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'info' } });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = await new Promise<{ http: number; grpc: number }>((resolve, reject) => {
      let buffered = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const line of buffered.split('\n')) {
          if (line.includes('"monitor ready"')) resolve(JSON.parse(line));
        }
      });
      void exited.then((code) => reject(new Error(`monitor exited with ${code} before it was ready: ${buffered}`)));
    });
    await publish(`127.0.0.1:${ready.grpc}`, [{ predictions: [prediction({ id: 'a', model: 'm', version: '1', probabilities: [twoClass(1)] })], feedback: [] }]);
    const status = (await (await fetch(`http://127.0.0.1:${ready.http}/api/v1/status`)).json()) as { models: Record<string, unknown> };
    assert.ok(status.models.m);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
