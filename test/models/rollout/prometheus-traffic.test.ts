/**
 * The rollout's Prometheus source against a real Prometheus scraping a real gateway: over the
 * same interval it reports what the gateway's own /metrics say (requests, server errors, the
 * answered requests' latency histogram), within what `increase()`'s extrapolation allows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registryConfig } from '../../../models/registry/config.js';
import { PrometheusTraffic } from '../../../models/rollout/prometheus-traffic.js';
import { trafficOrigin } from '../../../models/rollout/traffic-origin.js';
import { GatewayScraper, histogramQuantile, observations, type VersionTraffic } from '../../../models/rollout/traffic-figures.js';
import { PrometheusServer, prometheusGate } from '../../deploy/prometheus-server.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

const gate = prometheusGate();

/** One tabular request; `expired` sets a 1 µs timeout, answered 504 (a server-side failure) before it runs. */
async function infer(gateway: TestGateway, i: number, expired = false): Promise<number> {
  const res = await fetch(`${gateway.http}/v2/models/tabular/infer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'features', shape: [1, 8], datatype: 'FP32', data: Array.from({ length: 8 }, (_, f) => Math.sin(i + f)) }],
      ...(expired ? { parameters: { timeout: 1 } } : {}),
    }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function traffic(gateway: TestGateway, ok: number, expired: number): Promise<void> {
  for (let i = 0; i < ok; i++) assert.equal(await infer(gateway, i), 200);
  for (let i = 0; i < expired; i++) assert.equal(await infer(gateway, i, true), 504);
}

describe('PrometheusTraffic (rollout figures from a Prometheus server)', { skip: gate.skip, timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let prometheus: PrometheusServer;

  /** Waits until Prometheus has scraped the gateway's current request count (and then one scrape more). */
  async function scraped(): Promise<void> {
    const text = await (await fetch(gateway.metrics)).text();
    const total = [...text.matchAll(/^switchyard_requests_total\{[^}]*model="tabular"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [sample] = await prometheus.query('sum(switchyard_requests_total{model="tabular"})');
      if (sample && sample.value >= total) break;
      assert.ok(Date.now() < deadline, `Prometheus did not reach ${total} requests:\n${prometheus.log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_200));
  }

  before(async () => {
    assert.equal(gate.problem, undefined, gate.problem);
    gateway = await startTestGateway();
    prometheus = await PrometheusServer.start({
      global: { scrape_interval: '1s' },
      scrape_configs: [{ job_name: 'switchyard-gateway', static_configs: [{ targets: [new URL(gateway.metrics).host] }] }],
    });
    // every series exists before the interval: Prometheus counts no increase into a series' first sample
    await traffic(gateway, 3, 1);
    await scraped();
  });

  after(async () => {
    await prometheus?.stop();
    await gateway?.stop();
  });

  it("reports an interval's requests, server errors and latencies as the gateway's own /metrics do", async () => {
    const fromPrometheus = new PrometheusTraffic('tabular', prometheus.url);
    const fromGateway = new GatewayScraper('tabular', [gateway.metrics]);
    const baseline = await fromPrometheus.scrape();
    assert.deepEqual({ reached: baseline.reached, baselined: baseline.baselined, versions: baseline.versions.size }, { reached: 1, baselined: 1, versions: 0 });
    await fromGateway.scrape();
    // an interval spans several Prometheus scrapes, as a rollout's should (increase() needs samples on both sides)
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await traffic(gateway, 160, 40);
    await scraped();
    const [got, truth] = await Promise.all([fromPrometheus.scrape(), fromGateway.scrape()]);
    assert.deepEqual(got.problems, []);
    const exact = truth.versions.get('1')!;
    assert.deepEqual({ requests: exact.requests, errors: exact.errors, answered: observations(exact.buckets) }, { requests: 200, errors: 40, answered: 160 });

    const v1: VersionTraffic = got.versions.get('1')!;
    assert.ok(v1, `Prometheus figures by version: ${JSON.stringify([...got.versions])}`);
    // increase() extrapolates to the ends of its range: counts come out somewhat larger, ratios hold
    assert.ok(v1.requests >= 190 && v1.requests <= 280, `requests ${v1.requests}, truly 200`);
    assert.ok(Math.abs(v1.errors / v1.requests - 0.2) < 0.03, `error ratio ${v1.errors / v1.requests}, truly 0.2`);
    assert.ok(Math.abs(observations(v1.buckets) / v1.requests - 0.8) < 0.03, `answered ${observations(v1.buckets)} of ${v1.requests}`);
    // the latency distribution: at every bucket bound, the share of answers at or below it
    const share = (buckets: Record<string, number>, le: string) => (buckets[le] ?? 0) / observations(buckets);
    for (const le of Object.keys(exact.buckets)) {
      assert.ok(Math.abs(share(v1.buckets, le) - share(exact.buckets, le)) < 0.1, `share at or below ${le} s: ${share(v1.buckets, le)}, from the gateway ${share(exact.buckets, le)}`);
    }
    assert.ok(Number.isFinite(histogramQuantile(0.99, v1.buckets)), 'a p99 the guard can compare');
  });

  it('says when Prometheus cannot be reached', async () => {
    const source = new PrometheusTraffic('tabular', 'http://127.0.0.1:9');
    await source.scrape(); // baseline: no query yet
    const failed = await source.scrape();
    assert.equal(failed.reached, 0);
    assert.deepEqual(failed.versions.size, 0);
    assert.match(failed.problems.join('\n'), /^http:\/\/127\.0\.0\.1:9: /);
  });
});

describe('where rollouts read traffic (registry --gateway-metrics / --prometheus)', () => {
  it('takes either gateway endpoints or one Prometheus URL, never both', () => {
    const prometheus = registryConfig({ dataDir: 'data', prometheusUrl: 'http://prometheus:9090' });
    assert.ok(trafficOrigin(prometheus).source('m') instanceof PrometheusTraffic);
    assert.equal(trafficOrigin(prometheus).configured, true);
    const gateways = registryConfig({ dataDir: 'data', gatewayMetricsUrls: ['http://127.0.0.1:8002/metrics'] });
    assert.ok(trafficOrigin(gateways).source('m') instanceof GatewayScraper);
    assert.equal(trafficOrigin(registryConfig({ dataDir: 'data' })).configured, false, 'nothing configured: rollouts hold');
    assert.throws(() => registryConfig({ dataDir: 'data', prometheusUrl: 'prometheus:9090' }), /--prometheus must be an http\(s\) URL like http:\/\/prometheus:9090, got 'prometheus:9090'/);
    assert.throws(
      () => registryConfig({ dataDir: 'data', prometheusUrl: 'http://prometheus:9090', gatewayMetricsUrls: ['http://127.0.0.1:8002/metrics'] }),
      /the rollout reads traffic from one place: --gateway-metrics URL\(s\) or --prometheus URL, not both/,
    );
  });
});
