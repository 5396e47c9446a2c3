import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRequestId } from '../../../gateway/inference/request-id.js';

describe('newRequestId', () => {
  it('makes random version-4 UUIDs, distinct across many pool refills', () => {
    const ids = Array.from({ length: 10_000 }, () => newRequestId());
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
    // every hex digit turns up in every free position: the bytes are random, not a pattern
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (const id of ids) [...id].forEach((c, i) => seen[i]!.add(c));
    seen.forEach((chars, i) => {
      if ([8, 13, 18, 23].includes(i)) assert.deepEqual([...chars], ['-']);
      else if (i === 14) assert.deepEqual([...chars], ['4']);
      else if (i === 19) assert.equal(chars.size, 4, 'variant digit 8, 9, a or b');
      else assert.equal(chars.size, 16, `position ${i}`);
    });
  });
});
