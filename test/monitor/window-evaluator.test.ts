/** Time windows close back to back, once per span, and only then count for policies; refreshes do not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monitorConfig } from '../../monitor/config.js';
import { WindowEvaluator } from '../../monitor/evaluation/window-evaluator.js';
import { PolicyEngine, type Trigger } from '../../monitor/policies/policy-engine.js';
import { VersionQuality } from '../../monitor/quality/version-quality.js';
import { VersionTable } from '../../monitor/tracking/version-table.js';
import { createLogger } from '../../runtime/log.js';

describe('window evaluator', () => {
  it('holds a time window against the policies once per span', () => {
    const config = monitorConfig({
      quality: { countRows: 1000, timeSpanMs: 10_000, timeBuckets: 10 },
      policies: [{ model: 'm', conditions: [{ metric: 'accuracy', op: '<', threshold: 0.9, min_samples: 10, consecutive: 1, window: 'time' }], cooldown_s: 0, roles: ['stable'] }],
    });
    const fired: Trigger[] = [];
    const policies = new PolicyEngine(config.policies, { triggerFired: (t) => fired.push(t), triggerSuppressed: () => {} }, 10);
    const versions = new VersionTable(10, 3600_000);
    const evaluator = new WindowEvaluator(config, versions, policies, createLogger({ component: 'test' }, 'error'), 0);
    const state = versions.obtain('m', '1', 'stable', 1000)!;
    state.quality = new VersionQuality('classifier', 2, config.quality);
    for (let i = 0; i < 20; i++) {
      state.quality.record({ version: '1', rows: 1, kind: 'classifier', classes: 2, predicted: Float64Array.of(1) }, [i % 2], 1000);
    }
    state.stale.quality = true;

    evaluator.tick(5_000); // a refresh: figures for the status, no policy window
    assert.equal(state.latestQuality.time!.samples, 20);
    assert.equal(state.latestQuality.count!.samples, 20);
    assert.equal(fired.length, 0);

    evaluator.tick(10_000); // the span is over: the time window closes, accuracy 0.5 < 0.9
    assert.equal(fired.length, 1);
    assert.deepEqual(fired[0]!.window, { kind: 'time', span_ms: 10_000 });
    assert.equal(fired[0]!.value, 0.5);

    evaluator.tick(15_000);
    assert.equal(fired.length, 1, 'no close before the next span ends');
    evaluator.tick(20_000);
    assert.equal(state.latestQuality.time!.samples, 0, 'the samples have left the time window');
    assert.equal(state.latestQuality.count!.samples, 20, 'the count window keeps its last rows');
    assert.equal(fired.length, 1);
  });
});
