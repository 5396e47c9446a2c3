/**
 * Ids for requests that came without one: random (version 4) UUIDs, like
 * crypto.randomUUID(), but made from bytes into a flat string. randomUUID()
 * joins twenty pieces into a rope, and reading a rope back character by
 * character (as the record encoder does with every id) costs more than making
 * the id; a flat string reads at array speed.
 */
import { randomFillSync } from 'node:crypto';

/** Random bytes for 256 ids, refilled when spent. */
const pool = Buffer.alloc(16 * 256);
let taken = pool.length;
const text = Buffer.alloc(36);
/** ASCII of the two hex digits of every byte value. */
const HEX = Buffer.from(Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0')).join(''), 'latin1');

export function newRequestId(): string {
  if (taken === pool.length) {
    randomFillSync(pool);
    taken = 0;
  }
  pool[taken + 6] = (pool[taken + 6]! & 0x0f) | 0x40; // version 4
  pool[taken + 8] = (pool[taken + 8]! & 0x3f) | 0x80; // RFC 9562 variant
  let o = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[o++] = 0x2d; // '-'
    const at = pool[taken + i]! * 2;
    text[o++] = HEX[at]!;
    text[o++] = HEX[at + 1]!;
  }
  taken += 16;
  return text.toString('latin1', 0, 36);
}
