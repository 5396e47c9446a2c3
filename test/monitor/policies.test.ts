/** Policy conditions: threshold, minimum samples, consecutive windows, cooldown with one open trigger per model, roles; policy files validated. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyEngine, type Trigger, type WindowObservation } from '../../monitor/policies/policy-engine.js';
import { DEFAULT_POLICY, parsePolicies, type PolicySpec } from '../../monitor/policies/policy-spec.js';
import type { QualityFigures } from '../../monitor/quality/version-quality.js';
import type { DriftFigures } from '../../monitor/tracking/version-drift.js';
import { SwitchyardError } from '../../runtime/errors.js';

function drift(samples: number, drifted: boolean, psi = 0.05): DriftFigures {
  const feature = { psi, ks_stat: 0.1, ks_pvalue: drifted ? 0.001 : 0.5, js: 0.01, wasserstein: 0.1, wasserstein_norm: 0.1, drift: drifted };
  return { window: 'count', samples, features: { income: feature }, driftedFeatures: drifted ? 1 : 0, comparedFeatures: 1, share: drifted ? 1 : 0, shareThreshold: 0.5, drift: drifted };
}

function quality(samples: number, accuracy: number): QualityFigures {
  return { kind: 'classifier', samples, accuracy, precision_binary: null, recall_binary: null, f1_binary: null, precision_macro: 0, recall_macro: 0, f1_macro: 0, log_loss: null, log_loss_samples: 0 };
}

function engine(policies: PolicySpec[]) {
  const fired: Trigger[] = [];
  let suppressed = 0;
  const e = new PolicyEngine(policies, { triggerFired: (t) => fired.push(t), triggerSuppressed: () => suppressed++ }, 10);
  const observe = (o: Partial<WindowObservation> & { drift?: DriftFigures | null; quality?: QualityFigures | null }, family: 'drift' | 'quality', at: number) =>
    e.observe({ model: 'm', version: '1', role: 'stable', window: { kind: 'count', rows: 100 }, drift: null, quality: null, ...o }, family, at);
  return { e, fired, observe, suppressed: () => suppressed };
}

const policy = (conditions: PolicySpec['conditions'], cooldown_s = 60): PolicySpec => ({ model: 'm', conditions, cooldown_s, roles: ['stable', 'canary'] });

describe('policy engine', () => {
  it('fires after N consecutive windows; a window that misses resets the run', () => {
    const { fired, observe } = engine([policy([{ metric: 'dataset_drift', op: '>', threshold: 0.5, min_samples: 50, consecutive: 3, window: 'count' }])]);
    observe({ drift: drift(100, true) }, 'drift', 0);
    observe({ drift: drift(100, true) }, 'drift', 1);
    observe({ drift: drift(100, false) }, 'drift', 2);
    observe({ drift: drift(100, true) }, 'drift', 3);
    observe({ drift: drift(100, true) }, 'drift', 4);
    assert.equal(fired.length, 0);
    observe({ drift: drift(100, true) }, 'drift', 5);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.value, 1);
    assert.equal(fired[0]!.samples, 100);
  });

  it('does not count windows with fewer than min_samples', () => {
    const { fired, observe } = engine([policy([{ metric: 'accuracy', op: '<', threshold: 0.9, min_samples: 200, consecutive: 1, window: 'count' }])]);
    observe({ quality: quality(199, 0.5) }, 'quality', 0);
    assert.equal(fired.length, 0);
    observe({ quality: quality(200, 0.5) }, 'quality', 1);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.condition.metric, 'accuracy');
  });

  it('keeps one open trigger per model until its cooldown passes, counting what it suppressed', () => {
    const { fired, observe, suppressed, e } = engine([policy([{ metric: 'dataset_drift', op: '>', threshold: 0.5, min_samples: 1, consecutive: 1, window: 'count' }], 10)]);
    observe({ drift: drift(100, true) }, 'drift', 0);
    observe({ version: '2', role: 'canary', drift: drift(100, true) }, 'drift', 5_000);
    observe({ drift: drift(100, true) }, 'drift', 9_999);
    assert.equal(fired.length, 1);
    assert.equal(suppressed(), 2);
    assert.equal(e.triggers(9_999)[0]!.open, true);
    assert.equal(e.triggers(10_000)[0]!.open, false);
    observe({ drift: drift(100, true) }, 'drift', 10_000);
    assert.equal(fired.length, 2);
  });

  it('judges only the roles of the policy, the window it names, and its family of figures', () => {
    const { fired, observe } = engine([policy([{ metric: 'feature_drift', feature: 'income', test: 'psi', op: '>', threshold: 0.2, min_samples: 1, consecutive: 1, window: 'time' }])]);
    observe({ drift: drift(100, true, 0.5) }, 'drift', 0); // a count window
    observe({ window: { kind: 'time', span_ms: 1000 }, role: 'shadow', drift: drift(100, true, 0.5) }, 'drift', 1);
    observe({ window: { kind: 'time', span_ms: 1000 }, quality: quality(100, 0.1) }, 'quality', 2);
    assert.equal(fired.length, 0);
    observe({ window: { kind: 'time', span_ms: 1000 }, drift: drift(100, false, 0.5) }, 'drift', 3);
    assert.equal(fired.length, 1, 'PSI 0.5 > 0.2, whatever the drift flag');
    assert.equal(fired[0]!.value, 0.5);
  });

  it('falls back to the "*" policy for models without their own', () => {
    const { e } = engine([DEFAULT_POLICY, policy([{ metric: 'mae', op: '>', threshold: 1, min_samples: 1, consecutive: 1, window: 'count' }])]);
    assert.equal(e.policyOf('m')!.conditions[0]!.metric, 'mae');
    assert.equal(e.policyOf('other'), DEFAULT_POLICY);
  });
});

describe('policy files', () => {
  it('fill defaults and accept both shapes', () => {
    const [p] = parsePolicies({ policies: [{ model: 'm', conditions: [{ metric: 'f1_macro', op: '<', threshold: 0.7 }] }] }, 'policy.json');
    assert.deepEqual(p!.conditions[0], { metric: 'f1_macro', op: '<', threshold: 0.7, min_samples: 100, consecutive: 1, window: 'count' });
    assert.equal(p!.cooldown_s, 3600);
    assert.deepEqual(p!.roles, ['stable', 'canary']);
    assert.equal(parsePolicies([{ model: '*', conditions: [{ metric: 'drift_share', op: '>', threshold: 0.3 }] }], 'p.json').length, 1);
  });

  it('name the field that is wrong', () => {
    const refused = (raw: unknown, pattern: RegExp): void =>
      assert.throws(() => parsePolicies(raw, 'policy.json'), (err: unknown) => err instanceof SwitchyardError && err.code === 'SY_ERR_INVALID_POLICY' && pattern.test(err.message));
    refused({}, /expected an array/);
    refused([{ model: 'm', conditions: [{ metric: 'precision', op: '<', threshold: 1 }] }], /policies\[0\]\.conditions\[0\]: "metric" must be one of/);
    refused([{ model: 'm', conditions: [{ metric: 'accuracy', op: '<=', threshold: 1 }] }], /"op"/);
    refused([{ model: 'm', conditions: [{ metric: 'feature_drift', op: '>', threshold: 0.5 }] }], /needs "feature"/);
    refused([{ model: 'm', conditions: [{ metric: 'accuracy', op: '<', threshold: 0.5, consecutive: 0 }] }], /"consecutive"/);
    refused([{ model: 'm', conditions: [{ metric: 'accuracy', op: '<', threshold: 0.5 }] }, { model: 'm', conditions: [{ metric: 'mae', op: '>', threshold: 1 }] }], /two policies/);
  });
});
