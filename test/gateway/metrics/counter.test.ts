/** A lean counter series: it goes up, never down, and its family is a metric prom-client's Registry lists. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { CounterFamily } from '../../../gateway/metrics/counter.js';

it('adds 1 or what it is given; the registry lists its series in the order they were made', async () => {
  const registry = new Registry();
  const family = new CounterFamily(registry, 'c_total', 'A counter.');
  const b = family.add({ sink: 'b' });
  const a = family.add({ sink: 'a' });
  a.inc();
  b.inc(0.25);
  b.inc(0);
  assert.equal(registry.getSingleMetric('c_total'), family as unknown);
  assert.deepEqual(await family.get(), {
    name: 'c_total',
    help: 'A counter.',
    type: 'counter',
    aggregator: 'sum',
    values: [
      { value: 0.25, labels: { sink: 'b' } },
      { value: 1, labels: { sink: 'a' } },
    ],
  });
  assert.equal(await registry.metrics(), '# HELP c_total A counter.\n# TYPE c_total counter\nc_total{sink="b"} 0.25\nc_total{sink="a"} 1\n');
});

it('refuses to go down or by what is not a finite number', () => {
  const series = new CounterFamily(new Registry(), 'c_total', 'A counter.').add({});
  for (const by of [-1, NaN, Infinity]) assert.throws(() => series.inc(by), RangeError);
});
