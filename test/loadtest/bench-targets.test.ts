/** The targets table computed from a run's rows: each ratio, its verdict, and no verdict where a row is missing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchRun, BenchTarget } from '../../loadtest/bench-run.js';
import { benchTargets, rawCpuAtBatch } from '../../loadtest/bench-targets.js';

function run(target: BenchTarget, model: string, concurrency: number, fields: Partial<BenchRun>): BenchRun {
  const connections = target.endsWith('grpc') ? 1 : concurrency;
  return { target, model, mode: 'closed', concurrency, connections, rows_per_s: 0, requests_per_s: 0, p50_us: null, p99_us: null, errors: {}, client: 'wrk', ...fields };
}

const raw = (model: string, batch: number, cpu: number, p50?: number): BenchRun =>
  run('raw-ort', model, 1, { batch, connections: undefined, cpu_us_per_row: cpu, p50_us: p50 ?? null, client: 'node' });

function passingRuns(): BenchRun[] {
  return [
    raw('tabular', 1, 10, 9),
    raw('mlp', 1, 80, 78),
    raw('mlp', 8, 30),
    raw('mlp', 32, 27),
    raw('mlp', 64, 26),
    run('transport-echo-http', 'tabular', 64, { requests_per_s: 100_000 }),
    run('switchyard-http-binary', 'tabular', 64, { requests_per_s: 85_000 }),
    run('transport-echo-http', 'tabular', 1, { p50_us: 60, p99_us: 200 }),
    run('switchyard-http-binary', 'tabular', 1, { p50_us: 94, p99_us: 400 }),
    run('transport-echo-http', 'mlp', 1, { p50_us: 60, p99_us: 300 }),
    run('switchyard-http-binary', 'mlp', 1, { p50_us: 150, p99_us: 500 }),
    run('switchyard-http-binary', 'mlp', 64, { rows_per_s: 35_000, requests_per_s: 35_000, mean_batch: 32, gateway_cpu_us_per_row: 40 }),
    run('naive-http', 'mlp', 64, { rows_per_s: 6_000, requests_per_s: 6_000 }),
    run('transport-echo-grpc', 'tabular', 64, { requests_per_s: 30_000 }),
    // The one-stream-per-connection rows are not the ones the gRPC targets read.
    run('transport-echo-grpc', 'tabular', 64, { requests_per_s: 10_000, connections: 64 }),
    run('switchyard-grpc', 'tabular', 64, { requests_per_s: 22_000 }),
    run('transport-echo-grpc', 'tabular', 1, { p50_us: 150 }),
    run('switchyard-grpc', 'tabular', 1, { p50_us: 199 }),
  ];
}

describe('bench targets', () => {
  it('passes every target when each ratio is inside its bound, with the figures it used', () => {
    const targets = benchTargets(passingRuns());
    assert.equal(targets.length, 9);
    assert.deepEqual(targets.map((t) => t.pass), Array(9).fill(true), JSON.stringify(targets, null, 1));
    assert.match(targets[0]!.figure, /^85\.0 % \(85,000 vs 100,000 req\/s\)$/);
    assert.match(targets[1]!.figure, /bound 94 µs \(= 60 \+ 9 \+ 25\)/);
    assert.match(targets[5]!.figure, /40\.0 µs = 1\.48 × raw 27\.0 µs at mean batch 32 \(measured, batch 32: 27\.0 µs\)/);
    assert.match(targets[7]!.figure, /^73\.3 %/);
    assert.match(targets[8]!.figure, /bound 199 µs \(= 150 \+ 9 \+ 40\)/);
  });

  it('fails a target past its bound', () => {
    const runs = passingRuns().map((r) => (r.target === 'switchyard-http-binary' && r.model === 'tabular' && r.concurrency === 1 ? { ...r, p50_us: 95, p99_us: 401 } : r));
    const targets = benchTargets(runs);
    assert.equal(targets[1]!.pass, false);
    assert.equal(targets[3]!.pass, false);
    assert.equal(targets.filter((t) => t.pass === false).length, 2);
  });

  it('gives no verdict where a run is missing', () => {
    const targets = benchTargets(passingRuns().filter((r) => r.target !== 'naive-http' && r.target !== 'raw-ort'));
    assert.equal(targets[6]!.pass, null);
    assert.match(targets[6]!.figure, /^missing: /);
    assert.equal(targets[5]!.pass, null);
    assert.equal(targets[1]!.pass, null);
    assert.equal(targets[0]!.pass, true);
  });

  it('reads raw CPU per row at the mean batch: interpolated in 1/batch, nearest outside the measured sizes', () => {
    const points = [
      { batch: 8, cpuUsPerRow: 30 },
      { batch: 1, cpuUsPerRow: 80 },
      { batch: 32, cpuUsPerRow: 27 },
    ];
    // Halfway in 1/batch between 8 (0.125) and 32 (0.03125) is 1/0.078125 = 12.8.
    const mid = rawCpuAtBatch(points, 12.8)!;
    assert.ok(Math.abs(mid.cpuUsPerRow - 28.5) < 1e-9, JSON.stringify(mid));
    assert.match(mid.how, /interpolated in 1\/batch between batch 8: 30\.0 µs and batch 32: 27\.0 µs/);
    assert.deepEqual(rawCpuAtBatch(points, 64), { cpuUsPerRow: 27, how: 'nearest measured, batch 32: 27.0 µs' });
    assert.deepEqual(rawCpuAtBatch(points, 0.5), { cpuUsPerRow: 80, how: 'nearest measured, batch 1: 80.0 µs' });
    assert.equal(rawCpuAtBatch([], 4), undefined);
  });
});
