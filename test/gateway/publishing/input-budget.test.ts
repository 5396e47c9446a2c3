/**
 * The inputs budget: up to `perSecond` requests keep their inputs in a burst, then as many per
 * second as the rate refills, never more than a second's worth saved up.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InputBudget } from '../../../gateway/publishing/input-budget.js';

function taken(budget: InputBudget, tries: number): number {
  let n = 0;
  for (let i = 0; i < tries; i++) if (budget.take()) n++;
  return n;
}

it('lets a burst of perSecond through, then refills at perSecond, capped at one second', () => {
  let now = 0;
  const budget = new InputBudget(100, () => now);
  assert.equal(taken(budget, 250), 100, 'the first second');
  now += 250;
  assert.equal(taken(budget, 250), 25, 'a quarter second later');
  now += 10_000;
  assert.equal(taken(budget, 250), 100, 'after a long pause: one second saved, no more');
});

it('Infinity never refuses', () => {
  const budget = new InputBudget(Infinity, () => 0);
  assert.equal(taken(budget, 100_000), 100_000);
});
