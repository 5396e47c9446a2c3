/** A tree of label values: one child per value, made once, labelled in the order of the walk. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LabelNode } from '../../../gateway/metrics/label-node.js';
import type { Labels } from '../../../gateway/metrics/metric-family.js';

it('makes a child once per value, with the labels of its path in walk order', () => {
  const made: Labels[] = [];
  const leaf = (labels: Labels): Labels => {
    made.push(labels);
    return labels;
  };
  const tree = new LabelNode({}, 'model', (l) => new LabelNode(l, 'version', leaf));
  const first = tree.child('m').child('2');
  assert.equal(tree.child('m').child('2'), first, 'the same child again');
  tree.child('m').child('1');
  tree.child('').child('2');
  assert.deepEqual(made, [
    { model: 'm', version: '2' },
    { model: 'm', version: '1' },
    { model: '', version: '2' },
  ]);
  assert.deepEqual(Object.keys(first), ['model', 'version']);
  assert.ok(Object.isFrozen(first), 'shared by every sample of the series: never changed');
});
