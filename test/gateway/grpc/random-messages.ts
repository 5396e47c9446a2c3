/**
 * Random Open Inference Protocol messages for checking the hand-written codecs
 * against protobufjs: every field and oneof choice, strings beyond ASCII,
 * 64-bit integers at the edges, empty and long (multi-byte length) fields.
 */
import protobuf from 'protobufjs';
import { PROTO_FILE } from '../../../gateway/grpc/schema.js';
import type { InferParameterMessage, Int64, ModelInferResponseMessage, ParameterMap } from '../../../gateway/grpc/messages.js';

export type Random = () => number;

export const schema = new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });

const int = (random: Random, n: number): number => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;
const many = <T>(random: Random, max: number, make: () => T): T[] => Array.from({ length: int(random, max + 1) }, make);

const STRINGS = ['', 'tabular', 'FP32', 'x'.repeat(200), 'größe', '模型', '🙂 emoji', 'role'];
const INT64S: readonly Int64[] = [0, 1, 127, 128, 2 ** 31, 2 ** 53 - 1, '9007199254740993', '9223372036854775807', -1, '-9223372036854775808', -300];
const UINT64S: readonly Int64[] = [0, 1, 300, 2 ** 53 - 1, '18446744073709551615', '9007199254740993'];

export function randomString(random: Random): string {
  return random() < 0.7 ? pick(random, STRINGS) : Array.from({ length: int(random, 40) }, () => String.fromCharCode(32 + int(random, 95))).join('');
}

function randomBytes(random: Random, max: number): Uint8Array {
  return Uint8Array.from({ length: int(random, max + 1) }, () => int(random, 256));
}

export function randomParameter(random: Random): InferParameterMessage {
  switch (int(random, 5)) {
    case 0:
      return { bool_param: random() < 0.5 };
    case 1:
      return { int64_param: pick(random, INT64S) };
    case 2:
      return { string_param: randomString(random) };
    case 3:
      return { double_param: pick(random, [0, -0.5, 1e300, Math.PI]) };
    default:
      return { uint64_param: pick(random, UINT64S) };
  }
}

export function randomParameters(random: Random): ParameterMap {
  return Object.fromEntries(many(random, 3, () => [randomString(random), randomParameter(random)]));
}

function randomContents(random: Random): Record<string, unknown[]> {
  const contents: Record<string, unknown[]> = {};
  const fields: Array<[string, () => unknown]> = [
    ['bool_contents', () => random() < 0.5],
    ['int_contents', () => pick(random, [0, -1, 2147483647, -2147483648, 300])],
    ['int64_contents', () => pick(random, INT64S)],
    ['uint_contents', () => pick(random, [0, 1, 4294967295, 70000])],
    ['uint64_contents', () => pick(random, UINT64S)],
    ['fp32_contents', () => Math.fround(random() * 100 - 50)],
    ['fp64_contents', () => random() * 1e6 - 5e5],
    ['bytes_contents', () => randomBytes(random, 20)],
  ];
  for (const [field, value] of fields) if (random() < 0.4) contents[field] = many(random, 5, value);
  return contents;
}

/** A ModelInferRequest as a client writes it (any field may be absent). */
export function randomInferRequest(random: Random): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  if (random() < 0.8) request['model_name'] = randomString(random);
  if (random() < 0.5) request['model_version'] = randomString(random);
  if (random() < 0.5) request['id'] = randomString(random);
  if (random() < 0.5) request['parameters'] = randomParameters(random);
  request['inputs'] = many(random, 3, () => ({
    name: randomString(random),
    datatype: pick(random, ['FP32', 'INT64', 'BOOL', '']),
    shape: many(random, 4, () => pick(random, INT64S)),
    ...(random() < 0.3 ? { parameters: randomParameters(random) } : {}),
    ...(random() < 0.5 ? { contents: randomContents(random) } : {}),
  }));
  if (random() < 0.5) request['outputs'] = many(random, 2, () => ({ name: randomString(random), ...(random() < 0.3 ? { parameters: randomParameters(random) } : {}) }));
  if (random() < 0.6) request['raw_input_contents'] = many(random, 3, () => randomBytes(random, random() < 0.2 ? 400 : 16));
  return request;
}

/** A ModelInferResponse as the gateway writes it. */
export function randomInferResponse(random: Random): ModelInferResponseMessage {
  return {
    model_name: randomString(random),
    model_version: randomString(random),
    id: randomString(random),
    parameters: randomParameters(random),
    outputs: many(random, 3, () => ({ name: randomString(random), datatype: pick(random, ['FP32', 'INT64', '']), shape: many(random, 40, () => pick(random, INT64S)) })),
    raw_output_contents: many(random, 3, () => randomBytes(random, random() < 0.2 ? 400 : 16)),
  };
}
