/**
 * GatewayMetrics records its series on lean series objects (gateway/metrics/); what a registry makes of them must
 * be what it made of prom-client's own Counter/Histogram/Gauge. The same random events drive both (many label
 * sets, values on, between, below and above every bucket bound), and then:
 * - `registry.metrics()` prints the same text, which `promtool check metrics` accepts;
 * - `getMetricsAsJSON()` gives the same samples;
 * - two shards' JSON, through a structured clone (the shard → main thread hop) and `AggregatorRegistry.aggregate`
 *   (the /metrics page), sum to what two reference shards sum to;
 * - the tests' `metricValue` reads the same figures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregatorRegistry, Registry, type PrometheusContentType } from 'prom-client';
import type { Outcome } from '../../gateway/events.js';
import type { Protocol, Role } from '../../gateway/inference/types.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import type { ShadowOutcome } from '../../gateway/routing/shadow-mirror.js';
import { mulberry32 } from '../../runtime/random.js';
import { prometheusGate, promtool } from '../deploy/prometheus-server.js';
import { metricValue } from '../helpers/metrics.js';
import { BATCH_BUCKETS, LATENCY_BUCKETS, PromClientGatewayMetrics } from './prom-client-gateway-metrics.js';

/** The events both take: GatewayEvents, ShadowObserver, PublisherObserver and the inputs budget's. */
type Observer = Pick<GatewayMetrics, keyof GatewayMetrics>;
type Json = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

// Label values: unknown ones (''), digits, and characters the text format escapes. No ':' or ',': prom-client's
// label hash would run "a,b" and "a" "b" together, and the reference must be right.
const MODELS = ['tabular', 'mlp', '', 'we"ird\\model\nname'];
const VERSIONS = ['1', '2', '10', ''];
const ROLES: Array<Role | ''> = ['stable', 'canary', 'shadow', ''];
const PROTOCOLS: Protocol[] = ['http', 'grpc'];
const OUTCOMES: Outcome[] = ['OK', 'OK', 'OK', 'SY_ERR_MODEL_NOT_FOUND', 'SY_ERR_INVALID_TENSOR', 'SY_ERR_INTERNAL'];
const PROVIDERS = ['cpu', 'cuda'];
const SHADOW_OUTCOMES: ShadowOutcome[] = ['agree', 'disagree', 'failed', 'shed'];
const SINKS = ['grpc', 'redis'];

type Event = (o: Observer) => void;

/** A source of random events: many label sets; values on, between, below and above every bucket bound. */
function randomEvents(seed: number): () => Event {
  const random = mulberry32(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const around = (bounds: readonly number[]): number => {
    const r = random();
    if (r < 0.1) return 0;
    if (r < 0.3) return pick(bounds); // on a bound: its bucket counts it (`le`)
    if (r < 0.35) return bounds.at(-1)! * (1 + 1e5 * random()); // +Inf only
    return bounds[0]! * (bounds.at(-1)! / bounds[0]!) ** (1.2 * random() - 0.1);
  };
  const seconds = (): number => around(LATENCY_BUCKETS);
  return () => {
    const r = random();
    const model = pick(MODELS);
    const version = pick(VERSIONS);
    if (r < 0.5) {
      const [protocol, role, outcome, s] = [pick(PROTOCOLS), pick(ROLES), pick(OUTCOMES), seconds()];
      return (o) => o.requestFinished(protocol, model, version, role, outcome, s);
    }
    if (r < 0.7) {
      const [provider, rows, queue, compute] = [pick(PROVIDERS), Math.max(1, Math.round(around(BATCH_BUCKETS))), Array.from({ length: int(17) }, seconds), seconds()];
      return (o) => o.batchExecuted(model, version, provider, rows, queue, compute);
    }
    const n = int(300);
    if (r < 0.8) return (o) => o.queueDepthChanged(model, version, n);
    if (r < 0.85) return (o) => o.inflightChanged(model, version, n);
    if (r < 0.92) {
      const [primary, outcome] = [pick(VERSIONS), pick(SHADOW_OUTCOMES)];
      return (o) => o.shadowFinished(model, primary, version, outcome);
    }
    const sink = pick(SINKS);
    if (r < 0.94) return (o) => o.recordsPublished(sink, n);
    if (r < 0.96) return (o) => o.recordsDropped(sink, n);
    if (r < 0.98) return (o) => o.bufferDepth(sink, n);
    return (o) => o.recordInputsOverBudget(n);
  };
}

/** prom-client's JSON with its empty exemplar slots (`exemplar: null | undefined` on histogram samples) left out. */
function withoutEmptyExemplars(json: Json): Json {
  return json.map((m) => ({
    ...m,
    values: m.values.map((v) => Object.fromEntries(Object.entries(v).filter(([k, x]) => k !== 'exemplar' || x != null)) as typeof v),
  }));
}

/** A shard's series as the main thread receives them. */
async function shardJson(registry: Registry): Promise<Json> {
  return structuredClone(await registry.getMetricsAsJSON());
}

/** A GatewayMetrics and the reference, each on its own registry, after the same events. */
function driven(events: Iterable<Event>): { lean: Registry; reference: Registry } {
  const lean = new Registry();
  const reference = new Registry();
  const observers: Observer[] = [new GatewayMetrics(lean), new PromClientGatewayMetrics(reference)];
  for (const event of events) for (const o of observers) event(o);
  return { lean, reference };
}

function shards(seeds: number[]): Array<{ lean: Registry; reference: Registry }> {
  return seeds.map((seed) => {
    const next = randomEvents(seed);
    return driven(Array.from({ length: 5_000 }, next));
  });
}

describe('GatewayMetrics on lean series, against prom-client metrics', () => {
  const [one, two] = shards([1, 2]);

  it('prints the same /metrics text', async () => {
    for (const { lean, reference } of [one!, two!]) assert.equal(await lean.metrics(), await reference.metrics());
  });

  it('makes a series when it is first written, not before: the same ones, in the same order', async () => {
    const { lean, reference } = driven([
      (o) => o.requestFinished('http', 'm', '1', 'stable', 'SY_ERR_INTERNAL', 0.1), // a count, no duration
      (o) => o.queueDepthChanged('m', '2', 1), // a gauge, no batch series
      (o) => o.batchExecuted('m', '3', 'cpu', 1, [], 0), // no queue duration
      (o) => o.batchExecuted('m', '2', 'cpu', 1, [0.5], 0.25),
      (o) => o.batchExecuted('m', '3', 'cpu', 1, [0.5], 0.25), // its queue duration after version 2's
    ]);
    assert.equal(await lean.metrics(), await reference.metrics());
  });

  it("gives the same JSON, but for prom-client's empty exemplar slots", async () => {
    for (const { lean, reference } of [one!, two!]) assert.deepEqual(await lean.getMetricsAsJSON(), withoutEmptyExemplars(await reference.getMetricsAsJSON()));
  });

  it('sums across shards as prom-client metrics do', async () => {
    const lean = AggregatorRegistry.aggregate<PrometheusContentType>([await shardJson(one!.lean), await shardJson(two!.lean)]);
    const reference = AggregatorRegistry.aggregate<PrometheusContentType>([await shardJson(one!.reference), await shardJson(two!.reference)]);
    assert.equal(await lean.metrics(), await reference.metrics());
    assert.deepEqual(await lean.getMetricsAsJSON(), await reference.getMetricsAsJSON());
    const requests = async (registry: Registry): Promise<number> => metricValue({ registry }, 'switchyard_requests_total');
    assert.equal(await requests(lean), (await requests(one!.lean)) + (await requests(two!.lean)));
  });

  it('reads alike through metricValue (getSingleMetric(name).get())', async () => {
    for (const [name, labels] of [
      ['switchyard_requests_total', { status: 'OK', protocol: 'grpc' }],
      ['switchyard_request_duration_seconds_bucket', { le: '0.005', model: 'tabular' }],
      ['switchyard_compute_duration_seconds_sum', { provider: 'cuda' }],
      ['switchyard_batch_size_rows_count', { version: '10' }],
      ['switchyard_queue_depth_requests', { model: 'mlp' }],
      ['switchyard_shadow_requests_total', { outcome: 'shed' }],
      ['switchyard_record_inputs_over_budget_total', {}],
    ] as const) {
      const [lean, reference] = await Promise.all([metricValue({ registry: one!.lean }, name, labels), metricValue({ registry: one!.reference }, name, labels)]);
      assert.equal(lean, reference, name);
      assert.ok(lean > 0, `${name} ${JSON.stringify(labels)} was written`);
    }
  });
});

const gate = prometheusGate();

describe('`promtool check metrics` on the lean series', { skip: gate.skip }, () => {
  it("accepts a shard's page and the page summed over shards", async () => {
    assert.equal(gate.problem, undefined, gate.problem);
    const [one, two] = shards([3, 4]);
    const summed = AggregatorRegistry.aggregate<PrometheusContentType>([await shardJson(one!.lean), await shardJson(two!.lean)]);
    for (const [what, registry] of [['a shard', one!.lean], ['two shards summed', summed]] as const) {
      const run = promtool(['check', 'metrics'], await registry.metrics());
      assert.equal(run.status, 0, `promtool check metrics on ${what}:\n${run.output}`);
    }
  });
});
