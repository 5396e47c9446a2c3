/**
 * Sticky keys must not depend on the order in which the operator lists the
 * variants. README: "keeps a caller on one variant while the weights are
 * unchanged (moving weight from stable to canary moves only stable keys)".
 * The registry stores a policy's variants in the order they were sent
 * (`switchyard traffic set tabular v2=20 v1=80` and `... v1=80 v2=20` are the
 * same policy to an operator), and they may name versions or aliases
 * (`stable=80 canary=20`). The router lays the variants' hash ranges out in
 * the listed order, so the same change, listed the other way round, moves
 * nearly every key — canary keys back to stable included.
 *
 * Exercised through `registryPlan` + `TrafficRouter`, the two functions a
 * gateway applies to each registry view: 10,000 keys, weights 90/10 → 80/20.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registryPlan, type RegistryModelState } from '../../gateway/routing/model-plan.js';
import { TrafficRouter } from '../../gateway/routing/traffic-router.js';
import type { TrafficVariant } from '../../models/registry/traffic-policy.js';

const KEYS = 10_000;
const load = async (): Promise<never> => {
  throw new Error('not loaded in this test');
};

function router(revision: number, variants: TrafficVariant[]): TrafficRouter {
  const state: RegistryModelState = {
    name: 'tabular',
    revision,
    aliases: { stable: '1', canary: '2' },
    ready: ['1', '2'],
    traffic: { model: 'tabular', revision, variants, shadow: [], sticky_header: 'x-switchyard-key' },
  };
  return new TrafficRouter(registryPlan(state, load).policy);
}

/** Moves of 10,000 keys between two policies, e.g. {"1→2": 1000}. */
function moves(before: TrafficRouter, after: TrafficRouter): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 0; k < KEYS; k++) {
    const a = before.pick(`user-${k}`).version;
    const b = after.pick(`user-${k}`).version;
    if (a !== b) out[`${a}→${b}`] = (out[`${a}→${b}`] ?? 0) + 1;
  }
  return out;
}

function assertOnlyStableToCanary(moved: Record<string, number>): void {
  assert.equal(moved['2→1'] ?? 0, 0, `no key may move from the canary back to stable; moves: ${JSON.stringify(moved)}`);
  const share = (moved['1→2'] ?? 0) / KEYS;
  assert.ok(Math.abs(share - 0.1) < 0.015, `about 10% of keys move stable → canary; moves: ${JSON.stringify(moved)}`);
}

describe('sticky keys do not depend on how the policy lists its variants', () => {
  it('control: 90/10 → 80/20 listed in the same order moves only ~10% of keys, stable → canary', () => {
    assertOnlyStableToCanary(moves(router(3, [{ target: '1', weight: 90 }, { target: '2', weight: 10 }]), router(4, [{ target: '1', weight: 80 }, { target: '2', weight: 20 }])));
  });

  it('90/10 → 80/20 with the new policy listed canary first (v2=20 v1=80) moves only ~10% of keys, stable → canary', () => {
    assertOnlyStableToCanary(moves(router(3, [{ target: '1', weight: 90 }, { target: '2', weight: 10 }]), router(4, [{ target: '2', weight: 20 }, { target: '1', weight: 80 }])));
  });

  it('the same policy written with aliases in the other order (canary=10 stable=90) keeps every key where it was', () => {
    assert.deepEqual(moves(router(3, [{ target: '1', weight: 90 }, { target: '2', weight: 10 }]), router(4, [{ target: 'canary', weight: 10 }, { target: 'stable', weight: 90 }])), {});
  });
});
