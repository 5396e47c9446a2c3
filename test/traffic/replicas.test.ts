/**
 * Acceptance (issue 3): "Two gateway processes sharing one Redis apply a
 * weight change within 1 s."
 *
 * A registry publishing its changes on Redis (`switchyard:registry:changes`)
 * and two `switchyard gateway --registry URL --redis URL` child processes. The
 * registry is in this process; gateway A reaches it directly, gateway B
 * through a TCP proxy that can silently stall its watch stream.
 *
 * How "within 1 s" is measured, and why it is generous to the bound rather
 * than to the code: the clock starts before the PUT of the new weights is
 * sent, so the time includes the registry's durable commit (fsync, rename),
 * the publish, each gateway's apply, and the up-to-10 ms poll interval plus
 * the time to scrape /metrics; it stops at the first scrape of each gateway
 * that shows the new weights (switchyard_traffic_weight_percent). That is an
 * upper bound of the propagation: if it is under 1 s, the propagation is.
 *
 * Then the Redis path alone: B's watch stream is frozen (the proxy holds back
 * every byte the registry sends it, the connection stays open and silent), a
 * second change is made, and B still applies it within 1 s: only Redis can
 * have carried it, and B's debug log says so (`source: redis`). A test
 * subscriber on the channel checks the published message itself.
 *
 * Needs Redis at 127.0.0.1:6379 (or SWITCHYARD_TEST_REDIS): skipped loudly
 * without it, failed under CI=true.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CHANGES_CHANNEL } from '../../runtime/change-channel.js';
import { FreezableProxy } from '../helpers/freezable-proxy.js';
import { redisGate } from '../helpers/redis-gate.js';
import { tabularManifest, tabularOnnx } from '../helpers/traffic-models.js';
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
  weightsIn,
  type GatewayProcess,
  type TestRegistry,
} from '../helpers/traffic-stack.js';

const MODEL = 'tabular';
const BOUND_MS = 1000;
const gate = await redisGate();

interface Published {
  seq: number;
  action: string;
  model: { name: string; revision: number; traffic: { variants: Array<{ target: string; weight: number }> } | null };
}

describe('replicas: two gateway processes sharing one Redis', { skip: gate.skip }, () => {
  let registry: TestRegistry;
  let proxy: FreezableProxy;
  let gatewayA: GatewayProcess;
  let gatewayB: GatewayProcess;
  let subscriber: Redis;
  const published: Published[] = [];

  /** Milliseconds from `started` until `gateway`'s /metrics shows `weights` for the model (polled every 10 ms). */
  async function timeToApply(gateway: GatewayProcess, weights: Record<string, number>, started: number): Promise<number> {
    const want = JSON.stringify(weights);
    let seen = '';
    await until(
      () => `${gateway.http} to apply ${want} (last seen ${seen})`,
      async () => (seen = JSON.stringify(weightsIn(await scrape(gateway.metrics), MODEL))) === want,
      10_000,
      10,
    );
    return performance.now() - started;
  }

  async function revisionOf(gateway: GatewayProcess): Promise<number> {
    return sampleSum(await scrape(gateway.metrics), 'switchyard_traffic_policy_revision', { model: MODEL });
  }

  before(async () => {
    if (gate.problem) assert.fail(`CI=true and ${gate.problem}: these tests need Redis`);
    registry = await startTestRegistry({ redisUrl: gate.url });
    subscriber = new Redis(gate.url, { lazyConnect: true });
    subscriber.on('message', (_channel: string, text: string) => published.push(JSON.parse(text) as Published));
    await subscriber.connect();
    await subscriber.subscribe(CHANGES_CHANNEL);

    const onnx = tabularOnnx();
    assert.equal(await registerVersion(registry.url, MODEL, onnx, tabularManifest(onnx)), '1');
    assert.equal(await registerVersion(registry.url, MODEL, onnx, tabularManifest(onnx)), '2');
    const revision = await putTraffic(registry.url, MODEL, { variants: [{ target: '1', weight: 90 }, { target: '2', weight: 10 }] });

    proxy = await FreezableProxy.start(registry.url);
    const common = ['--registry-token', READ_TOKEN, '--redis', gate.url];
    [gatewayA, gatewayB] = await Promise.all([
      spawnGateway(['--registry', registry.url, ...common], { logLevel: 'debug' }),
      spawnGateway(['--registry', proxy.url, ...common], { logLevel: 'debug' }),
    ]);
    for (const gateway of [gatewayA, gatewayB]) {
      await until(`${gateway.http} to apply revision ${revision}`, async () => (await revisionOf(gateway)) >= revision);
      assert.deepEqual(weightsIn(await scrape(gateway.metrics), MODEL), { '1': 90, '2': 10 });
    }
  });

  after(async () => {
    const codes = await Promise.all([gatewayA?.stop(), gatewayB?.stop()]);
    subscriber?.disconnect();
    await proxy?.close();
    await registry?.stop();
    if (gatewayA && gatewayB) assert.deepEqual(codes, [0, 0], 'both gateways exit 0 on SIGTERM');
  });

  it('a weight change is applied by both gateways within 1 s, and is published on Redis', async (t) => {
    const started = performance.now();
    const put = putTraffic(registry.url, MODEL, { variants: [{ target: '1', weight: 70 }, { target: '2', weight: 30 }] });
    const [revision, a, b] = await Promise.all([
      put,
      timeToApply(gatewayA, { '1': 70, '2': 30 }, started),
      timeToApply(gatewayB, { '1': 70, '2': 30 }, started),
    ]);
    t.diagnostic(`weights 90/10 → 70/30 (revision ${revision}): gateway A applied within ${a.toFixed(0)} ms, gateway B within ${b.toFixed(0)} ms of sending the PUT`);
    assert.ok(a <= BOUND_MS, `gateway A applied the change ${a.toFixed(0)} ms after it was sent (bound ${BOUND_MS} ms)`);
    assert.ok(b <= BOUND_MS, `gateway B applied the change ${b.toFixed(0)} ms after it was sent (bound ${BOUND_MS} ms)`);

    await until('the change on Redis', () => published.some((m) => m.model.revision === revision));
    const message = published.find((m) => m.model.revision === revision)!;
    assert.equal(message.action, 'traffic.set');
    assert.equal(message.model.name, MODEL);
    assert.deepEqual(message.model.traffic?.variants, [{ target: '1', weight: 70 }, { target: '2', weight: 30 }], 'the message carries the new weights');
  });

  it('with its watch stream stalled, a gateway still applies a change within 1 s, from Redis alone', async (t) => {
    assert.ok(proxy.connections >= 1, 'gateway B holds a connection (its watch stream) through the proxy');
    proxy.freeze();
    const started = performance.now();
    const put = putTraffic(registry.url, MODEL, { variants: [{ target: '1', weight: 40 }, { target: '2', weight: 60 }] });
    const [revision, a, b] = await Promise.all([
      put,
      timeToApply(gatewayA, { '1': 40, '2': 60 }, started),
      timeToApply(gatewayB, { '1': 40, '2': 60 }, started),
    ]);
    t.diagnostic(`weights 70/30 → 40/60 (revision ${revision}) with B's watch stream frozen: A within ${a.toFixed(0)} ms, B within ${b.toFixed(0)} ms; bytes held back from B's stream: ${proxy.heldBytes}`);
    assert.ok(b <= BOUND_MS, `gateway B applied the change ${b.toFixed(0)} ms after it was sent (bound ${BOUND_MS} ms)`);
    assert.ok(a <= BOUND_MS, `gateway A applied the change ${a.toFixed(0)} ms after it was sent (bound ${BOUND_MS} ms)`);
    await until('the registry to have sent the change on the frozen stream', () => proxy.heldBytes > 0);

    const changeLines = (log: string): Array<{ revision: number; source: string }> =>
      log
        .split('\n')
        .filter((l) => l.includes('"registry change"'))
        .map((l) => JSON.parse(l) as { revision: number; source: string });
    const seenByB = changeLines(gatewayB.log()).filter((c) => c.revision === revision);
    assert.deepEqual(seenByB.map((c) => c.source), ['redis'], `B learnt of revision ${revision} from Redis only`);

    // Thawed, the stale copy from the watch stream arrives and changes nothing.
    proxy.thaw();
    await until('B to receive the held-back watch event', () => changeLines(gatewayB.log()).some((c) => c.revision === revision && c.source === 'watch'));
    await sleep(100);
    assert.equal(await revisionOf(gatewayB), revision);
    assert.deepEqual(weightsIn(await scrape(gatewayB.metrics), MODEL), { '1': 40, '2': 60 });
    const seenByA = changeLines(gatewayA.log()).filter((c) => c.revision === revision).map((c) => c.source).sort();
    assert.deepEqual(seenByA, ['redis', 'watch'], 'A got the change both ways (and applied it once)');
  });
});
