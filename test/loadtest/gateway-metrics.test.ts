/** The gateway's /metrics read into batch counters and request outcomes, summed over label sets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchCounters, parseMetrics, requestOutcomes } from '../../loadtest/gateway-metrics.js';

const TEXT = `# HELP switchyard_batch_size_rows Rows per ONNX run.
# TYPE switchyard_batch_size_rows histogram
switchyard_batch_size_rows_bucket{le="1",model="mlp",version="1"} 3
switchyard_batch_size_rows_sum{model="mlp",version="1"} 120
switchyard_batch_size_rows_count{model="mlp",version="1"} 10
switchyard_batch_size_rows_sum{model="mlp",version="2"} 30
switchyard_batch_size_rows_count{model="mlp",version="2"} 5
switchyard_batch_size_rows_sum{model="tabular",version="1"} 999
switchyard_batch_size_rows_count{model="tabular",version="1"} 1
switchyard_requests_total{model="mlp",version="1",role="stable",protocol="grpc",status="OK"} 140
switchyard_requests_total{model="mlp",version="2",role="canary",protocol="grpc",status="OK"} 10
switchyard_requests_total{model="mlp",version="1",role="stable",protocol="grpc",status="SY_ERR_QUEUE_FULL"} 4
switchyard_requests_total{model="mlp",version="1",role="stable",protocol="http",status="OK"} 77
process_cpu_seconds_total 12.5
switchyard_info{note="a \\"quoted\\" } value"} 1 1700000000000
`;

describe('gateway-metrics', () => {
  it('parses names, labels (escapes, braces inside values), values and optional timestamps', () => {
    const samples = parseMetrics(TEXT);
    assert.deepEqual(samples.find((s) => s.name === 'process_cpu_seconds_total'), { name: 'process_cpu_seconds_total', labels: {}, value: 12.5 });
    assert.deepEqual(samples.find((s) => s.name === 'switchyard_info'), { name: 'switchyard_info', labels: { note: 'a "quoted" } value' }, value: 1 });
    assert.equal(samples.filter((s) => s.name.startsWith('#')).length, 0);
  });

  it('sums a model\'s batch rows and runs over every label set', () => {
    const c = batchCounters(parseMetrics(TEXT), 'mlp');
    assert.equal(c.rows, 150);
    assert.equal(c.batches, 15);
  });

  it('counts requests by outcome for one model and protocol', () => {
    assert.deepEqual(requestOutcomes(parseMetrics(TEXT), 'mlp', 'grpc'), { OK: 150, SY_ERR_QUEUE_FULL: 4 });
    assert.deepEqual(requestOutcomes(parseMetrics(TEXT), 'mlp', 'http'), { OK: 77 });
    assert.deepEqual(requestOutcomes(parseMetrics(TEXT), 'nope', 'grpc'), {});
  });
});
