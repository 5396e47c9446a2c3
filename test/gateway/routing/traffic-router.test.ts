/** The router's choices: weighted shares, sticky keys that stay put, and which keys move when weights move. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrafficRouter, type RouteVariant } from '../../../gateway/routing/traffic-router.js';
import { registryPlan } from '../../../gateway/routing/model-plan.js';

function router(weights: Array<[string, number]>): TrafficRouter {
  const variants: RouteVariant[] = weights.map(([version, weight], i) => ({ version, weight, role: i === 0 ? 'stable' : 'canary' }));
  return new TrafficRouter({ revision: 1, variants, shadows: [], stickyHeader: 'x-switchyard-key' });
}

describe('TrafficRouter', () => {
  it('splits unkeyed traffic by weight', () => {
    const r = router([['1', 90], ['2', 10]]);
    let canary = 0;
    for (let i = 0; i < 20_000; i++) if (r.pick(undefined).version === '2') canary++;
    assert.ok(Math.abs(canary / 20_000 - 0.1) < 0.01, `canary share ${canary / 20_000}`);
  });

  it('spreads sticky keys by weight and keeps each key on one variant', () => {
    const r = router([['1', 70], ['2', 30]]);
    let second = 0;
    for (let k = 0; k < 10_000; k++) {
      const first = r.pick(`user-${k}`).version;
      assert.equal(r.pick(`user-${k}`).version, first);
      if (first === '2') second++;
    }
    assert.ok(Math.abs(second / 10_000 - 0.3) < 0.02, `share of keys on v2: ${second / 10_000}`);
  });

  it('moves only stable keys to the canary when the canary grows', () => {
    const before = router([['1', 90], ['2', 10]]);
    const after = router([['1', 80], ['2', 20]]);
    let moved = 0;
    for (let k = 0; k < 10_000; k++) {
      const a = before.pick(`k${k}`).version;
      const b = after.pick(`k${k}`).version;
      assert.ok(!(a === '2' && b === '1'), `key k${k} moved from the canary back to stable`);
      if (a !== b) moved++;
    }
    assert.ok(Math.abs(moved / 10_000 - 0.1) < 0.015, `moved share ${moved / 10_000}`);
  });

  it('never picks a variant at weight 0', () => {
    const r = router([['1', 0], ['2', 100], ['3', 0]]);
    for (let k = 0; k < 1000; k++) assert.equal(r.pick(`k${k}`).version, '2');
  });
});

describe('registryPlan', () => {
  const load = async (): Promise<never> => {
    throw new Error('not loaded in this test');
  };

  it('resolves aliases, gives the stable alias the stable role and shadow-only versions low priority', () => {
    const plan = registryPlan(
      {
        name: 'm',
        revision: 7,
        aliases: { stable: '3', canary: '4' },
        ready: ['2', '3', '4', '5'],
        traffic: { model: 'm', revision: 7, variants: [{ target: 'stable', weight: 75 }, { target: 'canary', weight: 25 }], shadow: [{ target: '5', percent: 20 }], sticky_header: 'x-user' },
      },
      load,
    );
    assert.deepEqual(plan.policy.variants, [
      { version: '3', weight: 75, role: 'stable' },
      { version: '4', weight: 25, role: 'canary' },
    ]);
    assert.deepEqual(plan.policy.shadows, [{ version: '5', percent: 20 }]);
    assert.equal(plan.policy.stickyHeader, 'x-user');
    assert.deepEqual(plan.versions.map((v) => [v.version, v.lowPriority]), [['3', false], ['4', false], ['5', true]]);
  });

  it('without a policy serves the newest ready version', () => {
    const plan = registryPlan({ name: 'm', revision: 1, aliases: {}, ready: ['1', '2'], traffic: null }, load);
    assert.deepEqual(plan.policy.variants, [{ version: '2', weight: 100, role: 'stable' }]);
  });
});
