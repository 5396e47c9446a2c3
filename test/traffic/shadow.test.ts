/**
 * Acceptance (issue 3): "Shadow at 100% adds no failed and no slower primary
 * requests when the shadow version is deliberately slow or failing (p99 of
 * primary unchanged within noise; shadow failures counted)."
 *
 * `tabular` v1 takes all live traffic. Two shadow candidates with its exact
 * input/output spec are registered:
 * - v2, deliberately slow: 8 → 1024, then one 1024×1024 ReLU layer applied 64
 *   times, then a softmax head (~67 M multiply-adds per row, milliseconds per run);
 * - v3, failing: it loads, and passes the gateway's warm-up (a row of zeros),
 *   but Gathers a row-dependent index out of bounds on every real row, so
 *   every shadow run fails inside ONNX Runtime (see traffic-models.ts).
 * The gateway is a `switchyard gateway --registry` child process, the load
 * client (an open loop, 600 req/s, 5 s per phase) another: the test process
 * takes nothing from the gateway while it is measured (and ONNX Runtime's own
 * stderr line for every failed v3 run stays in the child's captured log).
 *
 * The same request loop runs with no shadow, with v2 mirrored at 100%, then
 * with v3 mirrored at 100%. Latency is from send to complete answer.
 *
 * Noise, and what "baseline" means here: this machine has 2 cores shared with
 * other work. Back-to-back 3-second phases with *no change at all* showed
 * primary p99s from 7.8 to 57 ms, so a p99 taken in one phase cannot be
 * compared with one taken in the next. The baseline is therefore measured in
 * the same windows: every other request of the loop goes to `control`, the
 * same ONNX model under another name that is never shadowed. Both share the
 * connections, the process, the moments of background load; they differ only
 * in whether their answers are mirrored. (The first phase, with no shadow at
 * all, shows how closely the two agree on this machine; it is reported.)
 *
 * The bound — shadowed p99 ≤ 3 × baseline p99 + 2 ms, and p50 ≤ 2 × + 1 ms —
 * is a behavioural guard, not a benchmark: a shadow on the caller's path
 * (awaited before answering, queued on the primary's batcher or worker) adds
 * its run time, milliseconds to tens of ms for v2, to most primary answers and
 * lands far outside it; a shadow that runs after the answer, on its own nice-19
 * worker, shed whenever the primary or the shadow queues or 64 mirrors are in
 * flight, leaves the primary where the control is, up to noise. The priority
 * itself is checked directly: the gateway process holds a nice-19 thread once
 * the shadow is loaded. Back-to-back p99s of the shadowed model are reported
 * as diagnostics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLoad, type LoadResult } from '../helpers/traffic-load.js';
import { failingOnnx, heavyOnnx, inferBody, tabularManifest, tabularOnnx, tabularRows } from '../helpers/traffic-models.js';
import {
  nice19Threads,
  putTraffic,
  READ_TOKEN,
  registerVersion,
  sampleSum,
  scrape,
  spawnGateway,
  startTestRegistry,
  until,
  weightsIn,
  type GatewayProcess,
  type TestRegistry,
} from '../helpers/traffic-stack.js';

const MODEL = 'tabular';
const CONTROL = 'control';
const RATE = 600;
const PHASE_MS = 5000;
const OUTCOMES = ['agree', 'disagree', 'failed', 'shed'] as const;
type Outcomes = Record<(typeof OUTCOMES)[number], number>;

interface Latency {
  requests: number;
  p50: number;
  p99: number;
  max: number;
}

interface Phase {
  name: string;
  shadowed: Latency;
  control: Latency;
}

function summary(latencies: number[]): Latency {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { requests: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

const total = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);

describe('shadow traffic never fails or slows the primary', () => {
  let registry: TestRegistry;
  let gw: GatewayProcess;
  const bodies = tabularRows(64).map(inferBody);

  /** Runs the request loop (tabular and control in turn); checks every answer is a 200 from v1. */
  async function phase(name: string, t: { diagnostic(message: string): void }): Promise<Phase> {
    const load = await startLoad({ url: gw.http, paths: [`/v2/models/${MODEL}/infer`, `/v2/models/${CONTROL}/infer`], bodies, rate: RATE, durationMs: PHASE_MS, connections: 16 });
    const result: LoadResult = await load.result;
    assert.deepEqual(result.errors, {}, `${name}: no primary request failed (status or connection)`);
    if (result.skipped > 0) t.diagnostic(`${name}: ${result.skipped} due requests skipped (over a second of backlog in the client)`);
    assert.ok(result.version.every((v) => v === '1'), `${name}: every answer comes from the primary, v1`);
    const latency = (target: number): number[] => result.dueAt.flatMap((due, i) => (result.target[i] === target ? [result.doneAt[i]! - due] : []));
    return { name, shadowed: summary(latency(0)), control: summary(latency(1)) };
  }

  async function shadowOutcomes(version: string): Promise<Outcomes> {
    const exposition = await scrape(gw.metrics);
    const counts = {} as Outcomes;
    for (const outcome of OUTCOMES) counts[outcome] = sampleSum(exposition, 'switchyard_shadow_requests_total', { model: MODEL, primary_version: '1', version, outcome });
    return counts;
  }

  /** Waits until the gateway's /metrics shows the policy at `revision` (or later) applied; returns its weights. */
  async function applied(revision: number): Promise<Record<string, number>> {
    let exposition = '';
    await until(
      `the gateway to apply revision ${revision}`,
      async () => sampleSum((exposition = await scrape(gw.metrics)), 'switchyard_traffic_policy_revision', { model: MODEL }) >= revision,
      30_000,
      20,
    );
    return weightsIn(exposition, MODEL);
  }

  async function served(model = MODEL): Promise<string[]> {
    const res = await fetch(`${gw.http}/v2/repository/index`, { method: 'POST', body: '{}' });
    const index = (await res.json()) as Array<{ name: string; version: string; state: string }>;
    return index.filter((e) => e.name === model && e.state === 'READY').map((e) => e.version);
  }

  /** Runs a shadowed phase; returns its latencies and the outcomes of its mirrors (all counted). */
  async function shadowPhase(name: string, version: string, t: { diagnostic(message: string): void }): Promise<{ phase: Phase; outcomes: Outcomes }> {
    const before = await shadowOutcomes(version);
    const measured = await phase(name, t);
    await until(`every mirror to v${version} to be counted`, async () => total(await shadowOutcomes(version)) - total(before) >= measured.shadowed.requests);
    const after = await shadowOutcomes(version);
    const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, after[o] - before[o]])) as Outcomes;
    assert.equal(total(outcomes), measured.shadowed.requests, `${name}: each primary request is mirrored once and each mirror counted once: ${JSON.stringify(outcomes)}`);
    return { phase: measured, outcomes };
  }

  before(async () => {
    registry = await startTestRegistry();
    const onnx = tabularOnnx();
    assert.equal(await registerVersion(registry.url, MODEL, onnx, tabularManifest(onnx)), '1');
    assert.equal(await registerVersion(registry.url, CONTROL, onnx, tabularManifest(onnx)), '1');
    const heavy = heavyOnnx();
    assert.equal(await registerVersion(registry.url, MODEL, heavy, tabularManifest(heavy, { lineage: { parameters: { purpose: 'deliberately slow shadow' } } })), '2');
    const failing = failingOnnx();
    assert.equal(await registerVersion(registry.url, MODEL, failing, tabularManifest(failing, { lineage: { parameters: { purpose: 'fails at run time' } } })), '3');
    gw = await spawnGateway(['--registry', registry.url, '--registry-token', READ_TOKEN]);
    assert.deepEqual(await served(), ['1'], 'versions outside the policy are not loaded');
    assert.deepEqual(await served(CONTROL), ['1']);
  });

  after(async () => {
    if (gw) assert.equal(await gw.stop(), 0, 'the gateway exits 0 on SIGTERM');
    await registry?.stop();
  });

  it('a slow and a failing shadow at 100%: no failed primary request, p99 within 3x + 2 ms of the unshadowed baseline, every mirror counted', async (t) => {
    const warm = await phase('warm-up', t);
    const none = await phase('no shadow', t);

    const slowRevision = await putTraffic(registry.url, MODEL, { variants: [{ target: '1', weight: 100 }], shadow: [{ target: '2', percent: 100 }] });
    assert.deepEqual(await applied(slowRevision), { '1': 100, 'shadow:2': 100 });
    assert.deepEqual(await served(), ['1', '2']);
    const nice = nice19Threads(gw.child.pid!);
    if (nice !== undefined) assert.ok(nice >= 1, 'the shadow-only version runs on a nice-19 worker thread');
    const slow = await shadowPhase('slow shadow v2', '2', t);

    const failRevision = await putTraffic(registry.url, MODEL, { variants: [{ target: '1', weight: 100 }], shadow: [{ target: '3', percent: 100 }] });
    assert.deepEqual(await applied(failRevision), { '1': 100, 'shadow:3': 100 });
    assert.deepEqual(await served(), ['1', '3'], 'the replaced shadow v2 is unloaded; the failing v3 is loaded (it passes warm-up)');
    const failing = await shadowPhase('failing shadow v3', '3', t);

    const fmt = (l: Latency): string => `n=${l.requests} p50=${l.p50.toFixed(2)} p99=${l.p99.toFixed(2)} max=${l.max.toFixed(1)} ms`;
    for (const p of [none, slow.phase, failing.phase]) t.diagnostic(`${p.name}: tabular ${fmt(p.shadowed)} | control ${fmt(p.control)}`);
    t.diagnostic(`shadow outcomes: slow v2 ${JSON.stringify(slow.outcomes)}; failing v3 ${JSON.stringify(failing.outcomes)}`);

    assert.ok(slow.outcomes.agree + slow.outcomes.disagree > 0, `the slow shadow ran mirrors to completion: ${JSON.stringify(slow.outcomes)}`);
    assert.equal(slow.outcomes.failed, 0, 'the slow shadow does not fail');
    assert.ok(failing.outcomes.failed > 0, `the failing shadow's failures are counted: ${JSON.stringify(failing.outcomes)}`);
    assert.equal(failing.outcomes.agree + failing.outcomes.disagree, 0, 'a shadow that fails every run never agrees or disagrees');

    const exposition = await scrape(gw.metrics);
    const counted = sampleSum(exposition, 'switchyard_requests_total', { model: MODEL });
    assert.equal(sampleSum(exposition, 'switchyard_requests_total', { model: MODEL, version: '1', status: 'OK' }), counted, 'the gateway counted every primary request as OK, from v1');
    const sent = [warm, none, slow.phase, failing.phase].reduce((n, p) => n + p.shadowed.requests, 0);
    assert.equal(counted, sent, 'and it counted all of them (warm-up + 3 phases)');

    for (const p of [slow.phase, failing.phase]) {
      const p99Bound = 3 * p.control.p99 + 2;
      assert.ok(p.shadowed.p99 <= p99Bound, `${p.name}: primary p99 ${p.shadowed.p99.toFixed(2)} ms > 3 x baseline p99 (${p.control.p99.toFixed(2)} ms) + 2 ms = ${p99Bound.toFixed(2)} ms`);
      const p50Bound = 2 * p.control.p50 + 1;
      assert.ok(p.shadowed.p50 <= p50Bound, `${p.name}: primary p50 ${p.shadowed.p50.toFixed(2)} ms > 2 x baseline p50 (${p.control.p50.toFixed(2)} ms) + 1 ms = ${p50Bound.toFixed(2)} ms`);
    }
  });
});
