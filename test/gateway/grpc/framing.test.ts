/** gRPC message framing out of DATA chunks cut anywhere. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageReader } from '../../../gateway/grpc/framing.js';
import { mulberry32 } from '../../../models/examples.js';
import { SwitchyardError } from '../../../runtime/errors.js';
import { framed as frame } from '../../helpers/raw-grpc-client.js';

function read(reader: MessageReader, chunks: readonly Buffer[]): Array<[number[], boolean]> {
  const messages: Array<[number[], boolean]> = [];
  for (const chunk of chunks) reader.push(chunk, { message: (bytes, compressed) => messages.push([[...bytes], compressed]) });
  return messages;
}

describe('MessageReader', () => {
  const random = mulberry32(0xf4a3e);
  const messages = Array.from({ length: 30 }, (_, i) => Uint8Array.from({ length: i % 7 === 0 ? 0 : Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
  const stream = Buffer.concat(messages.map((m, i) => frame(m, i % 3 === 0)));
  const expected = messages.map((m, i) => [[...m], i % 3 === 0]);

  it('finds the same messages however the bytes are cut: one chunk, single bytes, random cuts', () => {
    assert.deepEqual(read(new MessageReader(1000), [stream]), expected);
    assert.deepEqual(read(new MessageReader(1000), Array.from(stream, (byte) => Buffer.of(byte))), expected);
    for (let round = 0; round < 50; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const take = 1 + Math.floor(random() * 400);
        chunks.push(stream.subarray(at, at + take));
        at += take;
      }
      const reader = new MessageReader(1000);
      assert.deepEqual(read(reader, chunks), expected, `round ${round}`);
      assert.equal(reader.partial, false);
    }
  });

  it('hands a message within one chunk on as a view of it', () => {
    const chunk = frame(Uint8Array.of(1, 2, 3));
    new MessageReader(10).push(chunk, { message: (bytes) => assert.equal(bytes.buffer, chunk.buffer) });
  });

  it('says when the bytes end inside a message', () => {
    const reader = new MessageReader(1000);
    read(reader, [stream.subarray(0, 3)]);
    assert.equal(reader.partial, true);
  });

  it('refuses a message over the limit from its prefix, and a flag other than 0 or 1', () => {
    assert.throws(() => read(new MessageReader(299), [frame(new Uint8Array(300)).subarray(0, 5)]), (err: unknown) => err instanceof SwitchyardError && err.code === 'SY_ERR_BODY_TOO_LARGE' && /300 bytes.*299 bytes/.test(err.message));
    assert.throws(() => read(new MessageReader(299), [Buffer.from([2, 0, 0, 0, 0])]), (err: unknown) => err instanceof SwitchyardError && err.code === 'SY_ERR_INVALID_REQUEST');
  });
});
