/** A lean histogram series: which bucket a value lands in, and the samples it exports. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { HistogramFamily } from '../../../gateway/metrics/histogram.js';

it('counts a value in the first bucket whose bound is ≥ it, cumulatively, +Inf last', async () => {
  const family = new HistogramFamily(new Registry(), 'h', 'A histogram.', [1, 2, 4]);
  const series = family.add({ model: 'm' });
  for (const v of [-1, 0, 1, 1.5, 2, 4, 4.000001, 1e9]) series.observe(v);
  const { name, help, type, aggregator, values } = await family.get();
  assert.deepEqual({ name, help, type, aggregator }, { name: 'h', help: 'A histogram.', type: 'histogram', aggregator: 'sum' });
  assert.deepEqual(
    values.map((v) => [v.metricName, v.labels, v.value]),
    [
      ['h_bucket', { le: 1, model: 'm' }, 3],
      ['h_bucket', { le: 2, model: 'm' }, 5],
      ['h_bucket', { le: 4, model: 'm' }, 6],
      ['h_bucket', { le: '+Inf', model: 'm' }, 8],
      ['h_sum', { model: 'm' }, -1 + 0 + 1 + 1.5 + 2 + 4 + 4.000001 + 1e9],
      ['h_count', { model: 'm' }, 8],
    ],
  );
  assert.deepEqual(Object.keys(values[0]!.labels), ['le', 'model'], '`le` first, as prom-client writes it');
});

it('refuses values that are not finite numbers, as prom-client does', () => {
  const series = new HistogramFamily(new Registry(), 'h', 'A histogram.', [1]).add({});
  for (const v of [NaN, Infinity, -Infinity]) assert.throws(() => series.observe(v), RangeError);
});
