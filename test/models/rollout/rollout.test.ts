/**
 * Acceptance (issue 5): a real registry running the rollout controller, a real
 * gateway following it and reporting on its /metrics, real HTTP traffic on
 * 127.0.0.1 all along.
 *
 * - `tabular` v2 (the v1 weights registered again) walks every step and is promoted;
 * - v3 (loads and passes warm-up, fails every real row at run time: a server-side
 *   error) is rolled back at its first step;
 * - requests answered by the stable version never fail; every move is in the audit
 *   log as actor "rollout"; switchyard_rollout_state / switchyard_rollouts_total follow;
 * - pause, resume (also across a registry restart) and abort through the API.
 *
 * The monitor URL points at a closed port: its guards are "not judged", and nothing
 * crashes. The p99 guard is given room (x10) because two versions sharing a busy
 * 2-core machine differ by more than bucket noise; its arithmetic is in guards.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RegistryService } from '../../../models/registry/registry-service.js';
import type { CanaryStarter } from '../../../models/rollout/rollout-controller.js';
import type { RolloutRecord } from '../../../models/rollout/rollout-record.js';
import { parseRolloutPolicies } from '../../../models/rollout/rollout-policy.js';
import { rolloutCommand } from '../../../cli/operator/rollout-command.js';
import { trafficCommand } from '../../../cli/operator/traffic-command.js';
import { metricValue } from '../../helpers/metrics.js';
import { KeepAlivePool } from '../../helpers/keepalive-http.js';
import { eventually } from '../../helpers/poll.js';
import { failingOnnx, inferBody, tabularManifest, tabularOnnx, tabularRows } from '../../helpers/traffic-models.js';
import { ADMIN_TOKEN, call, quietLog, TOKENS } from '../registry/helpers.js';
import { registerVersion, sampleSum, scrape, sleep, startFollowingGateway, type FollowingGateway } from '../../helpers/traffic-stack.js';

const MODEL = 'tabular';
const POLICIES = parseRolloutPolicies([{ model: '*', steps: [20, 50, 100], interval_s: 0.3, min_requests: 25, max_error_rate: 0.01, max_p99_ratio: 10, failure_limit: 0 }], 'test policy');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Steady infer traffic from a few keep-alive connections until stopped; every reply's status and answering version kept. */
class Load {
  readonly replies: Array<{ status: number; version: string }> = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly pool: KeepAlivePool;
  private readonly bodies = tabularRows(16).map(inferBody);

  constructor(url: string) {
    this.pool = new KeepAlivePool(url, 4);
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: 4 }, async (_, w) => {
      for (let i = w; this.running; i += 4) {
        const reply = await this.pool.request({ path: `/v2/models/${MODEL}/infer`, headers: { 'Content-Type': 'application/json' }, body: this.bodies[i % this.bodies.length]! });
        this.replies.push({ status: reply.status, version: reply.headers['x-switchyard-model-version'] ?? '' });
        await sleep(3);
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  close(): void {
    this.pool.close();
  }
}

describe('progressive rollout: registry controller + gateway + live traffic', () => {
  let dataDir: string;
  let service: RegistryService;
  let metrics: Registry;
  let registryPort: number;
  let gw: FollowingGateway;
  let load: Load;
  const gatewayMetricsPort = freePort();

  const startRegistry = async (port: number): Promise<void> => {
    metrics = new Registry();
    service = await RegistryService.start(
      { dataDir, port, tokens: TOKENS, rolloutPolicies: POLICIES, gatewayMetricsUrls: [`http://127.0.0.1:${await gatewayMetricsPort}/metrics`], monitorUrl: 'http://127.0.0.1:9' },
      quietLog,
      metrics,
    );
    registryPort = service.port;
  };
  const api = (method: string, path: string, body?: unknown) => call(service.url, method, path, { token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) });
  const rollout = async (): Promise<RolloutRecord> => (await api('GET', `/api/v1/models/${MODEL}/rollout`)).body as RolloutRecord;
  const until = (state: RolloutRecord['state'], timeoutMs = 30_000): Promise<RolloutRecord> => {
    let seen: RolloutRecord | undefined;
    return eventually(() => `the rollout to be ${state}; it is: ${JSON.stringify(seen).slice(0, 3000)}`, async () => {
      seen = await rollout();
      return seen.state === state ? seen : undefined;
    }, timeoutMs, 50);
  };
  const registryMetric = async (name: string, labels: Record<string, string>): Promise<number> => sampleSum(await scrape(`${service.url}/metrics`), name, labels);
  const auditSince = async (seq: number) => (await api('GET', `/api/v1/audit?model=${MODEL}&since=${seq}&limit=1000`)).body.records as Array<{ seq: number; actor: string; action: string; alias?: string; version?: string; note?: string; after: { aliases: Record<string, string>; traffic: { variants: Array<{ target: string; weight: number }> } } }>;
  /** Gateway requests of a version that did not end OK. */
  const failedAt = async (version: string): Promise<number> => {
    // one snapshot of the gateway's series: the load is still running
    const snapshot = { registry: await gw.gateway.metricsRegistry() };
    return (await metricValue(snapshot, 'switchyard_requests_total', { model: MODEL, version })) - (await metricValue(snapshot, 'switchyard_requests_total', { model: MODEL, version, status: 'OK' }));
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-rollout-'));
    await startRegistry(0);
    const onnx = tabularOnnx();
    assert.equal(await registerVersion(service.url, MODEL, onnx, tabularManifest(onnx)), '1');
    assert.equal(await registerVersion(service.url, MODEL, onnx, tabularManifest(onnx)), '2');
    const failing = failingOnnx();
    assert.equal(await registerVersion(service.url, MODEL, failing, tabularManifest(failing)), '3');
    gw = await startFollowingGateway(service.url, { metricsPort: await gatewayMetricsPort });
    load = new Load(gw.http);
    load.start();
  });

  after(async () => {
    await load?.stop();
    load?.close();
    await gw?.stop();
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses what it cannot do with precise errors', async () => {
    const none = await api('GET', `/api/v1/models/${MODEL}/rollout`);
    assert.equal(none.status, 404);
    assert.equal(none.body.code, 'SY_ERR_ROLLOUT_NOT_FOUND');
    assert.equal((await api('POST', `/api/v1/models/${MODEL}/rollout/pause`)).body.code, 'SY_ERR_ROLLOUT_NOT_FOUND');
    const stable = await api('POST', `/api/v1/models/${MODEL}/rollout`, { version: '1' });
    assert.equal(stable.status, 409);
    assert.match(stable.body.error, /version 1 is already the stable version of model 'tabular'/);
    assert.equal((await api('POST', `/api/v1/models/${MODEL}/rollout`, { version: '9' })).status, 404);
    assert.equal((await api('POST', `/api/v1/models/${MODEL}/rollout`, { versions: '2' })).status, 400);
    assert.equal((await call(service.url, 'POST', `/api/v1/models/${MODEL}/rollout`, { body: { version: '2' } })).status, 401);
    assert.equal((await api('GET', '/api/v1/models/nope/rollout')).body.code, 'SY_ERR_MODEL_NOT_FOUND');
    assert.equal(await registryMetric('switchyard_rollouts_total', { model: MODEL, outcome: 'promoted' }), 0);
    assert.match(await scrape(`${service.url}/metrics`), /switchyard_rollouts_total\{model="tabular",outcome="rolled_back"\} 0/, 'both outcome series exist at 0');
    assert.equal(await registryMetric('switchyard_rollout_state', { model: MODEL }), 0);
  });

  it('walks a canary as good as stable through every step and promotes it', async () => {
    const seq = service.store.seq;
    const started = await api('POST', `/api/v1/models/${MODEL}/rollout`, { version: 'v2' });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.rollout.state, 'progressing');
    assert.equal(started.body.rollout.weight, 20);
    assert.equal(started.body.superseded, undefined);

    const done = await until('promoted');
    assert.equal(done.reason?.startsWith('promoted: every step passed'), true, done.reason);
    const moves = done.history.filter((e) => e.event !== 'hold').map((e) => `${e.event}@${e.weight}`);
    assert.deepEqual(moves, ['start@20', 'step@50', 'step@100', 'promote@0']);
    const model = service.store.model(MODEL);
    assert.deepEqual(model.aliases, { stable: '2' });
    assert.deepEqual(model.traffic!.variants, [{ target: 'stable', weight: 100 }]);

    const audit = await auditSince(seq);
    assert.ok(audit.every((r) => r.actor === 'rollout' && r.note?.includes(done.id)), JSON.stringify(audit.map((r) => [r.actor, r.note])));
    assert.deepEqual(
      audit.map((r) => (r.action === 'traffic.set' ? `traffic ${r.after.traffic.variants.map((v) => `${v.target}=${v.weight}`).join(' ')}` : `${r.action} ${r.alias}${r.version ? `=${r.version}` : ''}`)),
      ['alias.set canary=2', 'traffic stable=80 canary=20', 'traffic stable=50 canary=50', 'traffic stable=0 canary=100', 'alias.set stable=2', 'traffic stable=100', 'alias.delete canary=2'],
    );
    assert.equal(await registryMetric('switchyard_rollout_state', { model: MODEL }), 3);
    assert.equal(await registryMetric('switchyard_rollouts_total', { model: MODEL, outcome: 'promoted' }), 1);
    assert.equal(await registryMetric('switchyard_rollouts_total', { model: MODEL, outcome: 'rolled_back' }), 0);
    assert.equal(await registryMetric('switchyard_rollout_canary_weight_percent', { model: MODEL }), 0);
    const answered = new Set(load.replies.map((r) => r.version));
    assert.ok(answered.has('1') && answered.has('2'), `both versions answered: ${[...answered]}`);
    assert.ok(load.replies.every((r) => r.status === 200), 'an equal canary: not one request failed');

    const lines: string[] = [];
    const io = { stdout: (t: string) => void lines.push(t), env: {} };
    await rolloutCommand(['show', MODEL, '--registry', service.url, '--token', ADMIN_TOKEN], io);
    assert.match(lines.join(''), /rollout tabular v2 vs stable v1: promoted, ended at step 3\/3/);
    lines.length = 0;
    await trafficCommand(['show', MODEL, '--registry', service.url, '--token', ADMIN_TOKEN], io);
    assert.match(lines.join(''), /\nrollout tabular v2 vs stable v1: promoted/);
  });

  it('rolls a canary that fails requests server-side back at its first step; the stable path never fails', async () => {
    const seq = service.store.seq;
    const started = await api('POST', `/api/v1/models/${MODEL}/rollout`, { version: '3' });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const done = await until('rolled_back');
    assert.match(done.reason!, /^rolled back at 20% after 1 failed checks \(limit 0\): error_rate 1 > 0\.01/);
    const last = done.history[done.history.length - 1]!;
    assert.equal(last.event, 'rollback');
    assert.equal(last.figures!.canary.errors, last.figures!.canary.requests, 'every canary request failed');
    assert.equal(last.checks!.find((c) => c.guard === 'accuracy_ratio')!.judged, false, 'the monitor is unreachable: not judged');
    assert.deepEqual(service.store.model(MODEL).aliases, { stable: '2' });
    assert.deepEqual(service.store.model(MODEL).traffic!.variants, [{ target: 'stable', weight: 100 }]);

    const audit = await auditSince(seq);
    assert.ok(audit.every((r) => r.actor === 'rollout' && r.note?.includes(done.id)));
    assert.deepEqual(
      audit.map((r) => (r.action === 'traffic.set' ? `traffic ${r.after.traffic.variants.map((v) => `${v.target}=${v.weight}`).join(' ')}` : `${r.action} ${r.alias}${r.version ? `=${r.version}` : ''}`)),
      ['alias.set canary=3', 'traffic stable=80 canary=20', 'traffic stable=100', 'alias.delete canary=3'],
    );
    assert.match(audit[2]!.note!, /error_rate/);
    assert.equal(await registryMetric('switchyard_rollout_state', { model: MODEL }), 4);
    assert.equal(await registryMetric('switchyard_rollouts_total', { model: MODEL, outcome: 'rolled_back' }), 1);
    assert.equal(await registryMetric('switchyard_rollouts_total', { model: MODEL, outcome: 'promoted' }), 1);

    assert.ok((await failedAt('3')) > 0, 'the canary failed requests');
    assert.equal(await failedAt('1'), 0, 'v1 (stable, then canary) never failed');
    assert.equal(await failedAt('2'), 0, 'v2 (canary, then stable) never failed');
    const failures = load.replies.filter((r) => r.status !== 200);
    assert.ok(failures.length > 0 && failures.every((r) => r.status === 500 && r.version === ''), 'only the canary failed: 500s without an answering version');
  });

  it('pause keeps the weights, resume goes on (also after a registry restart), abort rolls back to 100 % stable', async () => {
    await load.stop(); // no traffic: the rollout holds at its first step, waiting for samples
    const started = await api('POST', `/api/v1/models/${MODEL}/rollout`, { version: '1' });
    assert.equal(started.status, 201);
    const held = await eventually('a hold verdict', async () => {
      const r = await rollout();
      return r.last_verdict?.outcome === 'hold' ? r : undefined;
    });
    assert.match(held.last_verdict!.reason, /waiting for samples: canary v1 has 0 of 25 requests/);

    const paused = await api('POST', `/api/v1/models/${MODEL}/rollout/pause`);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.rollout.state, 'paused');
    assert.equal(await registryMetric('switchyard_rollout_state', { model: MODEL }), 2);
    assert.equal(await registryMetric('switchyard_rollout_canary_weight_percent', { model: MODEL }), 20);
    assert.deepEqual(service.store.model(MODEL).traffic!.variants, [{ target: 'stable', weight: 80 }, { target: 'canary', weight: 20 }], 'weights kept while paused');
    const again = await api('POST', `/api/v1/models/${MODEL}/rollout/pause`);
    assert.equal(again.status, 409);
    assert.match(again.body.error, /cannot pause the rollout of v1 of model 'tabular': it is paused \(paused by alice\)/);
    assert.equal((await api('POST', `/api/v1/models/${MODEL}/rollout/resume`)).body.rollout.state, 'progressing');

    await service.close();
    await startRegistry(registryPort);
    const resumed = await rollout();
    assert.equal(resumed.state, 'progressing', 'the rollout resumes after a restart');
    const restartedAt = new Date().toISOString();
    await eventually('a verdict after the restart', async () => {
      const r = await rollout();
      return r.last_verdict && r.last_verdict.time > restartedAt ? r : undefined;
    });

    const seq = service.store.seq;
    const aborted = await api('POST', `/api/v1/models/${MODEL}/rollout/abort`);
    assert.equal(aborted.status, 200);
    assert.equal(aborted.body.rollout.state, 'rolled_back');
    assert.equal(aborted.body.rollout.reason, 'aborted by alice');
    assert.deepEqual(service.store.model(MODEL).aliases, { stable: '2' });
    assert.deepEqual(service.store.model(MODEL).traffic!.variants, [{ target: 'stable', weight: 100 }]);
    const audit = await auditSince(seq);
    assert.deepEqual(audit.map((r) => [r.actor, r.action]), [['rollout', 'traffic.set'], ['rollout', 'alias.delete']]);
    assert.match(audit[0]!.note!, /aborted by alice/);
    assert.equal(await registryMetric('switchyard_rollout_state', { model: MODEL }), 4);
    assert.equal(await registryMetric('switchyard_rollouts_total', { model: MODEL, outcome: 'rolled_back' }), 1, 'counted since this registry started');
    assert.equal((await api('POST', `/api/v1/models/${MODEL}/rollout/abort`)).status, 409);
  });

  it('supersedes a rollout in progress, and serves the training runner as its CanaryStarter', async () => {
    const starter: CanaryStarter = service.rollouts;
    await starter.start(MODEL, '1', { job: 'job-1', trigger: 'manual:alice' });
    const first = await rollout();
    assert.deepEqual(first.cause, { job: 'job-1', trigger: 'manual:alice', actor: 'job job-1' });
    const second = await api('POST', `/api/v1/models/${MODEL}/rollout`, { version: '3' });
    assert.equal(second.status, 201);
    assert.equal(second.body.superseded.id, first.id);
    assert.match(second.body.superseded.reason, /superseded by a rollout of v3 \(by alice\)/);
    assert.equal((await api('POST', `/api/v1/models/${MODEL}/rollout/abort`)).status, 200);
  });
});
