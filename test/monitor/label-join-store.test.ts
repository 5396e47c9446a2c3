/** The label join store's edge cases: early, late, duplicate, unknown and invalid labels; capacity and TTL; shadows. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RemovalReason } from '../../monitor/labels/expiring-map.js';
import { LabelJoinStore, type JoinablePrediction, type LabelJoinEvents, type LabelOutcome } from '../../monitor/labels/label-join-store.js';

class Recorder implements LabelJoinEvents {
  readonly outcomes: Partial<Record<LabelOutcome, number>> = {};
  readonly expired: Partial<Record<RemovalReason, number>> = {};
  duplicates = 0;
  labelOutcome(outcome: LabelOutcome): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }
  predictionExpired(reason: RemovalReason): void {
    this.expired[reason] = (this.expired[reason] ?? 0) + 1;
  }
  duplicatePrediction(): void {
    this.duplicates++;
  }
  /** Labels that ended in `outcome` so far. */
  n(outcome: LabelOutcome): number {
    return this.outcomes[outcome] ?? 0;
  }
}

const CONFIG = { ttlMs: 1000, maxEntries: 3, earlyTtlMs: 100, maxEarly: 2 };

function store(): { store: LabelJoinStore<JoinablePrediction>; events: Recorder } {
  const events = new Recorder();
  return { store: new LabelJoinStore<JoinablePrediction>(CONFIG, events), events };
}

const p = (version = '1', rows = 1): JoinablePrediction => ({ version, rows });

describe('label join store', () => {
  it('joins a label to its prediction, once', () => {
    const { store: s, events } = store();
    assert.deepEqual(s.addPrediction('a', p(), 0), []);
    const joins = s.addLabels('a', [1], 10);
    assert.equal(joins.length, 1);
    assert.deepEqual(joins[0]!.labels, [1]);
    assert.deepEqual(s.addLabels('a', [0], 20), [], 'a second label for the id is not joined');
    assert.deepEqual(events.outcomes, { joined: 1, duplicate: 1 });
  });

  it('parks a label that comes before its prediction and joins it on arrival', () => {
    const { store: s, events } = store();
    assert.deepEqual(s.addLabels('a', [1], 0), []);
    assert.equal(s.earlyLabels, 1);
    const joins = s.addPrediction('a', p(), 50);
    assert.equal(joins.length, 1);
    assert.equal(s.earlyLabels, 0);
    assert.deepEqual(events.outcomes, { early: 1, joined: 1 });
    assert.deepEqual(s.addLabels('a', [1], 60), []);
    assert.equal(events.n('duplicate'), 1, 'the same label again after the join is a duplicate');
  });

  it('counts a parked label whose prediction never comes as unknown, at its TTL', () => {
    const { store: s, events } = store();
    s.addLabels('ghost', [1], 0);
    s.addLabels('ghost', [1], 10);
    assert.equal(events.n('duplicate'), 1, 'a second early label for the id');
    s.expire(99);
    assert.equal(events.n('unknown'), 0);
    s.expire(100);
    assert.equal(events.n('unknown'), 1);
    assert.equal(s.earlyLabels, 0);
    assert.deepEqual(s.addPrediction('ghost', p(), 150), [], 'a prediction after the label expired does not join it');
  });

  it('evicts the oldest parked label beyond maxEarly, counted', () => {
    const { store: s, events } = store();
    for (const id of ['a', 'b', 'c']) s.addLabels(id, [1], 0);
    assert.equal(s.earlyLabels, 2);
    assert.equal(events.n('evicted'), 1);
    assert.deepEqual(s.addPrediction('a', p(), 1), [], "the evicted label ('a') is gone");
    assert.equal(s.addPrediction('c', p(), 1).length, 1);
  });

  it('tells a label long after its prediction (late) from one for an id never seen', () => {
    const { store: s, events } = store();
    s.addPrediction('old', p(), 0);
    s.expire(1000);
    assert.equal(s.predictions, 0);
    assert.deepEqual(events.expired, { ttl: 1 });
    assert.deepEqual(s.addLabels('old', [1], 1500), []);
    assert.equal(events.n('late'), 1);
    assert.equal(s.earlyLabels, 0, 'a late label is not parked');
    s.addLabels('never-seen', [1], 1500);
    assert.equal(events.n('early'), 1);
  });

  it('a second label after the joined prediction expired is still a duplicate', () => {
    const { store: s, events } = store();
    s.addPrediction('a', p(), 0);
    s.addLabels('a', [1], 10);
    s.expire(2000);
    s.addLabels('a', [1], 2000);
    assert.deepEqual(events.outcomes, { joined: 1, duplicate: 1 });
    assert.deepEqual(events.expired, {}, 'a labelled prediction leaving is not an expiry');
  });

  it('evicts the oldest prediction beyond maxEntries, counted, and its label is then late', () => {
    const { store: s, events } = store();
    for (const id of ['a', 'b', 'c', 'd']) s.addPrediction(id, p(), 0);
    assert.equal(s.predictions, 3);
    assert.deepEqual(events.expired, { capacity: 1 });
    s.addLabels('a', [1], 1);
    assert.equal(events.n('late'), 1);
    assert.equal(s.addLabels('d', [1], 1).length, 1);
  });

  it('refuses a label record whose length is not the prediction rows, and accepts a right one after', () => {
    const { store: s, events } = store();
    s.addPrediction('a', p('1', 2), 0);
    assert.deepEqual(s.addLabels('a', [1], 1), []);
    assert.equal(events.n('invalid'), 1);
    assert.equal(s.addLabels('a', [1, 0], 2).length, 1);
    s.addLabels('b', [], 3);
    assert.equal(events.n('invalid'), 2, 'an empty label list');
  });

  it('joins one label to the primary and its shadow (same id), each for its version', () => {
    const { store: s, events } = store();
    s.addPrediction('a', p('1'), 0);
    s.addPrediction('a', p('3'), 1);
    const joins = s.addLabels('a', [1], 2);
    assert.deepEqual(joins.map((j) => j.prediction.version), ['1', '3']);
    // a shadow record arriving after the label joins at once, without a second outcome
    assert.equal(s.addPrediction('a', p('4'), 3).length, 1);
    assert.deepEqual(events.outcomes, { joined: 1 });
  });

  it('ignores a redelivered prediction (same id and version), counted', () => {
    const { store: s, events } = store();
    s.addPrediction('a', p('1'), 0);
    s.addPrediction('a', p('1'), 1);
    assert.equal(events.duplicates, 1);
    assert.equal(s.addLabels('a', [0], 2).length, 1, 'joined once, not twice');
  });

  it('holds bounded memory under a flood of distinct ids', () => {
    const { store: s, events } = store();
    for (let i = 0; i < 10_000; i++) {
      s.addPrediction(`p${i}`, p(), i);
      s.addLabels(`l${i}`, [1], i);
    }
    assert.ok(s.predictions <= CONFIG.maxEntries);
    assert.ok(s.earlyLabels <= CONFIG.maxEarly);
    assert.equal(events.n('early'), 10_000);
    assert.equal(events.n('evicted') + events.n('unknown') + s.earlyLabels, 10_000, 'every parked label ends in one outcome');
  });
});
