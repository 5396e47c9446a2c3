/**
 * The hand-written ModelInferRequest decoder against protobufjs (reflection
 * from the same .proto) on random messages, on encodings protobufjs does not
 * produce (unpacked repeated fields, unknown fields, repeated oneof values),
 * and on damaged bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeModelInferRequest } from '../../../gateway/grpc/infer-request-decoder.js';
import { mulberry32 } from '../../../models/examples.js';
import { SwitchyardError } from '../../../runtime/errors.js';
import { randomInferRequest, schema } from './random-messages.js';

const ModelInferRequest = schema.lookupType('inference.ModelInferRequest');
const AS_PLAIN = { longs: String, enums: String, defaults: true, arrays: true, objects: true, oneofs: true };

function encode(request: Record<string, unknown>): Buffer {
  return Buffer.from(ModelInferRequest.encode(ModelInferRequest.fromObject(request)).finish());
}

/** Both decodings in one comparable form: 64-bit integers (numbers or strings) and all numbers as strings, bytes as arrays. */
function comparable(message: unknown): unknown {
  return JSON.parse(JSON.stringify(message, (_key, value: unknown) => (typeof value === 'number' ? String(value) : value)));
}

function protobufjsDecoded(bytes: Buffer): unknown {
  return comparable(ModelInferRequest.toObject(ModelInferRequest.decode(bytes), AS_PLAIN));
}

const varint = (n: number): number[] => {
  const out: number[] = [];
  for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
  return [...out, n];
};
const delimited = (field: number, body: number[]): number[] => [(field << 3) | 2, ...varint(body.length), ...body];
const text = (field: number, value: string): number[] => delimited(field, [...Buffer.from(value)]);

describe('decodeModelInferRequest', () => {
  it('agrees with protobufjs on 2000 random messages', () => {
    const random = mulberry32(0x1f0e12);
    for (let i = 0; i < 2000; i++) {
      const bytes = encode(randomInferRequest(random));
      assert.deepEqual(comparable(decodeModelInferRequest(bytes)), protobufjsDecoded(bytes), `message #${i}: ${bytes.toString('hex')}`);
    }
  });

  it('keeps 64-bit integers exact: numbers while safe, decimal strings beyond', () => {
    const bytes = encode({ inputs: [{ name: 'x', shape: [5, '9007199254740993', -1, '-9223372036854775808'] }] });
    assert.deepEqual(decodeModelInferRequest(bytes).inputs[0]!.shape, [5, '9007199254740993', -1, '-9223372036854775808']);
  });

  it('hands raw_input_contents on as views of the received buffer', () => {
    const bytes = encode({ raw_input_contents: [Buffer.from([1, 2, 3])] });
    const [raw] = decodeModelInferRequest(bytes).raw_input_contents;
    assert.equal(raw!.buffer, bytes.buffer);
    assert.deepEqual([...raw!], [1, 2, 3]);
  });

  it('reads repeated scalars sent unpacked, skips unknown fields, and keeps the last value of a oneof', () => {
    const parameter = delimited(2, [...[0x10, 0x07], ...text(3, 'last')]); // int64_param 7, then string_param 'last'
    const input = [...text(1, 'x'), 0x18, 2, 0x18, 8, ...delimited(4, [...text(1, 'p'), ...parameter])];
    const unknown = [0x78, 0x05, 0x7d, 1, 2, 3, 4, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, ...delimited(14, [9, 9])];
    const message = decodeModelInferRequest(Buffer.from([...unknown, ...text(1, 'm'), ...delimited(5, input), ...unknown]));
    assert.equal(message.model_name, 'm');
    assert.deepEqual(message.inputs[0]!.shape, [2, 8]);
    assert.deepEqual({ ...message.inputs[0]!.parameters['p'] }, { parameter_choice: 'string_param', string_param: 'last' });
  });

  it('refuses damaged bytes with SY_ERR_INVALID_REQUEST naming the message, never another error', () => {
    const random = mulberry32(0xda6a9e);
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      const bytes = encode(randomInferRequest(random));
      const damaged = Buffer.from(bytes.subarray(0, Math.floor(random() * bytes.length)));
      if (damaged.length > 0 && random() < 0.5) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      try {
        decodeModelInferRequest(damaged);
      } catch (err) {
        assert.ok(err instanceof SwitchyardError && err.code === 'SY_ERR_INVALID_REQUEST', `#${i} ${damaged.toString('hex')}: ${String(err)}`);
        assert.match(err.message, /^the ModelInferRequest message is not valid protobuf: .+ \(at byte \d+ of \d+\)$/);
        refused++;
      }
    }
    assert.ok(refused > 300, `most damaged messages are refused (${refused})`);
  });
});
