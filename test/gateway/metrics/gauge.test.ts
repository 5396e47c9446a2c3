/** A lean gauge series: the last value set. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { GaugeFamily } from '../../../gateway/metrics/gauge.js';

it('exports the last value set, up or down', async () => {
  const family = new GaugeFamily(new Registry(), 'g', 'A gauge.');
  const series = family.add({ sink: 's' });
  series.set(5);
  series.set(2);
  const { type, values } = await family.get();
  assert.equal(type, 'gauge');
  assert.deepEqual(values, [{ value: 2, labels: { sink: 's' } }]);
});
