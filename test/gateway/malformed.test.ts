/**
 * Acceptance: "Every malformed input answers a precise 4xx; the server keeps
 * serving afterwards (a short fuzz loop over random bytes and mutated valid
 * requests)."
 *
 * A table of malformed HTTP and gRPC requests, each with the status and the
 * words its error must contain, then a seeded fuzz loop over both transports.
 * Besides the two examples the repository holds `pair` (sum = a + b), a model
 * with two inputs, so that a missing input and unequal batch sizes can be sent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODE_METADATA_KEY } from '../../gateway/grpc/status.js';
import { decodeInferBody } from '../../gateway/http/infer-codec.js';
import { SwitchyardError } from '../../runtime/errors.js';
import { loadInferenceService } from '../../gateway/grpc/proto.js';
import { mulberry32 } from '../../models/examples.js';
import { OnnxGraphBuilder } from '../../models/onnx/writer.js';
import { writeModelVersion } from '../../models/repository-writer.js';
import { exampleRepository, metricValue, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest, type ModelInferRequestInit } from '../helpers/grpc-client.js';
import { assertClose, errorOf, expectedMlp, expectedTabular, featuresBody, post, probabilitiesOf, seededRows, type HttpAnswer } from '../helpers/infer-fixtures.js';

// ---- the repository --------------------------------------------------------

/** `pair`: sum = a + b over [-1, 4] FP32 inputs, batching up to 8 rows. */
async function writePairModel(repository: string): Promise<void> {
  const graph = new OnnxGraphBuilder('pair');
  graph.addInput('a', [4]);
  graph.addInput('b', [4]);
  graph.add('a', 'b', 'sum');
  graph.addOutput('sum', [4]);
  await writeModelVersion(
    repository,
    {
      name: 'pair',
      version: '1',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [-1, 4] },
        { name: 'b', datatype: 'FP32', shape: [-1, 4] },
      ],
      outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1, 4] }],
      batching: { max_batch_size: 8, max_queue_delay_us: 0, max_queue_size: 64 },
      execution: { instances: 1, intra_op_threads: 1, providers: ['cpu'] },
    },
    graph.encode(),
  );
}

let repository: Awaited<ReturnType<typeof exampleRepository>>;
let tg: TestGateway;
/** A second gateway on the same repository with a 4 KiB body limit. */
let small: TestGateway;
let grpc: InferenceClient;

const SMALL_LIMIT = 4096;

before(async () => {
  repository = await exampleRepository();
  await writePairModel(repository.dir);
  [tg, small] = await Promise.all([startTestGateway({}, repository.dir), startTestGateway({ maxBodyBytes: SMALL_LIMIT }, repository.dir)]);
  grpc = new InferenceClient(tg.grpc);
});

after(async () => {
  grpc?.close();
  await Promise.all([tg?.stop(), small?.stop()]);
  await repository?.remove();
});

// ---- request builders ------------------------------------------------------

const MLP = 256;
const TAB = 8;
const ones = (n: number): number[] => Array.from({ length: n }, () => 1);
const json = (value: unknown): string => JSON.stringify(value);
const tensor = (name: string, datatype: string, shape: unknown, data: unknown): Record<string, unknown> => ({ name, datatype, shape, data });
const features = (datatype: string, shape: unknown, data: unknown): string => json({ inputs: [tensor('features', datatype, shape, data)] });

function nested(depth: number): unknown {
  let value: unknown = [1];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

/** JSON header + raw bytes, as the binary tensor extension lays them out. */
function binary(header: unknown, payload: number, headerLength?: (jsonBytes: number, total: number) => string): { body: Uint8Array; headers: Record<string, string> } {
  const head = Buffer.from(JSON.stringify(header));
  const body = Buffer.concat([head, Buffer.alloc(payload, 1)]);
  const length = headerLength ? headerLength(head.byteLength, body.byteLength) : String(head.byteLength);
  return { body: new Uint8Array(body), headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': length } };
}

const binaryHeader = (size: number, shape: number[] = [1, MLP]): unknown => ({
  inputs: [{ name: 'features', datatype: 'FP32', shape, parameters: { binary_data_size: size } }],
});

// ---- HTTP table ------------------------------------------------------------

interface HttpCase {
  name: string;
  /** Default: POST /v2/models/mlp/infer */
  method?: string;
  path?: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  /** Every one must match the `error` message. */
  says: RegExp[];
  gateway?: () => TestGateway;
}

const INFER = '/v2/models/mlp/infer';

const HTTP_CASES: HttpCase[] = [
  // The body as a whole
  { name: 'malformed JSON', body: '{"inputs": [', status: 400, says: [/not valid JSON/] },
  { name: 'empty body', body: '', status: 400, says: [/not valid JSON/] },
  { name: 'body is a JSON list, not an object', body: '[1, 2, 3]', status: 400, says: [/must be a JSON object/, /"inputs"/] },
  { name: 'body is JSON null', body: 'null', status: 400, says: [/must be a JSON object/] },
  { name: 'no "inputs"', body: '{}', status: 400, says: [/"inputs" must be a non-empty list/] },
  { name: '"inputs" is empty', body: '{"inputs": []}', status: 400, says: [/"inputs" must be a non-empty list/] },
  { name: '"inputs" is an object', body: '{"inputs": {"name": "features"}}', status: 400, says: [/"inputs" must be a non-empty list/] },
  { name: '"id" is a number', body: json({ id: 7, inputs: [tensor('features', 'FP32', [1, MLP], ones(MLP))] }), status: 400, says: [/"id" must be a string/] },
  { name: '"parameters" is a list', body: json({ parameters: [1], inputs: [tensor('features', 'FP32', [1, MLP], ones(MLP))] }), status: 400, says: [/parameters/, /must be an object/] },
  { name: 'a parameter holds an object', body: json({ parameters: { priority: { high: true } }, inputs: [tensor('features', 'FP32', [1, MLP], ones(MLP))] }), status: 400, says: [/"priority" must be a string, number or boolean/] },
  // One input tensor
  { name: 'an input is not an object', body: '{"inputs": [5]}', status: 400, says: [/inputs\[0\] must be an object/] },
  { name: 'an input has no name', body: json({ inputs: [{ datatype: 'FP32', shape: [1, MLP], data: ones(MLP) }] }), status: 400, says: [/inputs\[0\]\.name must be a non-empty string/] },
  { name: 'unknown input name', body: json({ inputs: [tensor('pixels', 'FP32', [1, MLP], ones(MLP))] }), status: 400, says: [/unexpected input 'pixels'/, /'features'/] },
  { name: 'the same input twice', body: json({ inputs: [tensor('features', 'FP32', [1, MLP], ones(MLP)), tensor('features', 'FP32', [1, MLP], ones(MLP))] }), status: 400, says: [/'features' is given twice/] },
  {
    name: 'missing input (a model with inputs a and b, given only a)',
    path: '/v2/models/pair/infer',
    body: json({ inputs: [tensor('a', 'FP32', [1, 4], ones(4))] }),
    status: 400,
    says: [/missing input 'b'/, /FP32 \[-1,4\]/],
  },
  { name: 'wrong datatype (FP64 for FP32)', body: features('FP64', [1, MLP], ones(MLP)), status: 400, says: [/input 'features'/, /datatype FP64 does not match the model's FP32/] },
  { name: 'unsupported datatype BYTES', body: features('BYTES', [1, 1], ['abc']), status: 400, says: [/input 'features'/, /datatype "BYTES" is not supported/, /FP32/] },
  { name: 'unsupported datatype FP16', body: features('FP16', [1, MLP], ones(MLP)), status: 400, says: [/input 'features'/, /datatype "FP16" is not supported/] },
  { name: 'datatype missing', body: json({ inputs: [{ name: 'features', shape: [1, MLP], data: ones(MLP) }] }), status: 400, says: [/input 'features'/, /datatype undefined is not supported/] },
  { name: 'no data and no binary_data_size', body: json({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, MLP] }] }), status: 400, says: [/input 'features'/, /neither "data" nor parameters\.binary_data_size/] },
  { name: 'negative dimension in the shape', body: features('FP32', [1, -256], ones(MLP)), status: 400, says: [/input 'features'/, /shape must be a list of non-negative integers/, /-256/] },
  { name: 'shape is a string', body: features('FP32', '1,256', ones(MLP)), status: 400, says: [/input 'features'/, /shape must be a list of non-negative integers/] },
  { name: 'shape mismatch', body: features('FP32', [1, 255], ones(255)), status: 400, says: [/input 'features'/, /shape \[1,255\] does not match the model's \[-1,256\]/] },
  { name: 'rank mismatch', body: features('FP32', [MLP], ones(MLP)), status: 400, says: [/input 'features'/, /shape \[256\] does not match the model's \[-1,256\]/] },
  { name: 'data length does not match the shape', body: features('FP32', [1, MLP], ones(255)), status: 400, says: [/input 'features'/, /shape \[1,256\] needs 256 elements, got 255/] },
  { name: 'zero rows', body: features('FP32', [0, MLP], []), status: 400, says: [/input 'features'/, /batch dimension is 0/] },
  {
    name: 'batch larger than max_batch_size',
    path: '/v2/models/tabular/infer',
    body: features('FP32', [65, TAB], ones(65 * TAB)),
    status: 400,
    says: [/input 'features'/, /batch size 65 exceeds the model's max_batch_size 64/],
  },
  {
    name: 'inputs with different batch sizes',
    path: '/v2/models/pair/infer',
    body: json({ inputs: [tensor('a', 'FP32', [2, 4], ones(8)), tensor('b', 'FP32', [1, 4], ones(4))] }),
    status: 400,
    says: [/input 'b'/, /batch size 1 differs from input 'a' \(2\)/],
  },
  {
    name: 'nested data with a short row',
    path: '/v2/models/tabular/infer',
    body: features('FP32', [2, TAB], [ones(TAB), ones(TAB - 1)]),
    status: 400,
    says: [/input 'features'/, /needs 16 elements, got 15/],
  },
  { name: 'data nested 40 levels deep', body: features('FP32', [1, MLP], nested(40)), status: 400, says: [/input 'features'/, /nested more than 32 levels/] },
  { name: 'a string element', body: features('FP32', [1, MLP], [1, 2, 3, '1.5', ...ones(MLP - 4)]), status: 400, says: [/input 'features'/, /element 3 is "1\.5", expected a number/] },
  { name: 'a null element', body: features('FP32', [1, MLP], [null, ...ones(MLP - 1)]), status: 400, says: [/input 'features'/, /element 0 is null, expected a number/] },
  { name: 'an object inside nested data', body: features('FP32', [1, MLP], [[{}, ...ones(MLP - 1)]]), status: 400, says: [/input 'features'/, /element 0 is \{\}, expected a number/] },
  { name: 'BOOL element that is not a boolean', body: features('BOOL', [1, MLP], ones(MLP)), status: 400, says: [/input 'features' \(BOOL\)/, /element 0 is 1, expected true or false/] },
  { name: 'INT32 element that is not an integer', body: features('INT32', [1, MLP], [0.5, ...ones(MLP - 1)]), status: 400, says: [/input 'features' \(INT32\)/, /element 0 is 0\.5, expected an integer/] },
  { name: 'INT8 element out of range', body: features('INT8', [1, MLP], [300, ...ones(MLP - 1)]), status: 400, says: [/input 'features' \(INT8\)/, /element 0 is 300/, /in range of INT8/] },
  // Outputs
  {
    name: 'unknown requested output',
    body: json({ inputs: [tensor('features', 'FP32', [1, MLP], ones(MLP))], outputs: [{ name: 'logits' }] }),
    status: 400,
    says: [/requested output 'logits' does not exist/, /'probabilities'/],
  },
  { name: '"outputs" is not a list', body: json({ inputs: [tensor('features', 'FP32', [1, MLP], ones(MLP))], outputs: 'probabilities' }), status: 400, says: [/"outputs" must be a list/] },
  // Where the request goes
  { name: 'unknown model', path: '/v2/models/nope/infer', body: features('FP32', [1, MLP], ones(MLP)), status: 404, says: [/model 'nope' not found/, /mlp/] },
  { name: 'unknown version', path: '/v2/models/mlp/versions/7/infer', body: features('FP32', [1, MLP], ones(MLP)), status: 404, says: [/model 'mlp' has no version '7'/, /versions: 1/] },
  { name: 'bad percent-encoding in the model name', path: '/v2/models/%E0%A4%A/infer', body: features('FP32', [1, MLP], ones(MLP)), status: 400, says: [/percent-encoding/] },
  { name: 'unknown route', method: 'GET', path: '/v2/nothing/here', status: 404, says: [/no route for GET \/v2\/nothing\/here/] },
  { name: 'unknown model metadata', method: 'GET', path: '/v2/models/nope', status: 404, says: [/model 'nope' not found/] },
  // Body size
  {
    name: 'body over maxBodyBytes (declared Content-Length)',
    gateway: () => small,
    body: features('FP32', [1, MLP], ones(MLP).map((_, i) => i / 7)),
    status: 413,
    says: [/request body of \d+ bytes exceeds the limit of 4096 bytes/],
  },
  // Binary tensor extension
  {
    name: 'binary: Inference-Header-Content-Length larger than the body',
    ...binary(binaryHeader(1024), 1024, (_, total) => String(total + 10)),
    status: 400,
    says: [/Inference-Header-Content-Length is \d+ but the body has only \d+ bytes/],
  },
  { name: 'binary: Inference-Header-Content-Length not a number', ...binary(binaryHeader(1024), 1024, () => 'abc'), status: 400, says: [/Inference-Header-Content-Length must be a non-negative integer, got 'abc'/] },
  { name: 'binary: Inference-Header-Content-Length negative', ...binary(binaryHeader(1024), 1024, () => '-5'), status: 400, says: [/Inference-Header-Content-Length must be a non-negative integer, got '-5'/] },
  { name: 'binary: Inference-Header-Content-Length cuts the JSON short', ...binary(binaryHeader(1024), 1024, (head) => String(head - 3)), status: 400, says: [/not valid JSON/] },
  {
    name: 'binary: binary_data_size runs past the end of the body',
    ...binary(binaryHeader(1024), 1000),
    status: 400,
    says: [/input 'features'/, /binary_data_size 1024 runs past the end of the body \(1000 bytes left\)/],
  },
  {
    name: 'binary: binary_data_size not a multiple of the element size',
    ...binary(binaryHeader(1023), 1023),
    status: 400,
    says: [/input 'features'/, /binary_data_size 1023 is not a multiple of 4 bytes \(FP32\)/],
  },
  { name: 'binary: binary_data_size negative', ...binary(binaryHeader(-4), 1024), status: 400, says: [/input 'features'/, /binary_data_size must be a non-negative integer/] },
  {
    name: 'binary: extra bytes after the tensors',
    ...binary(binaryHeader(1024), 1030),
    status: 400,
    says: [/the body has 1030 bytes of binary tensor data but the inputs' binary_data_size add up to 1024/],
  },
  { name: 'binary: tensor bytes do not fill the shape', ...binary(binaryHeader(1020), 1020), status: 400, says: [/input 'features'/, /shape \[1,256\] needs 256 elements, got 255/] },
];

async function send(c: HttpCase): Promise<HttpAnswer> {
  const gateway = c.gateway?.() ?? tg;
  const method = c.method ?? 'POST';
  const url = `${gateway.http}${c.path ?? INFER}`;
  if (method === 'POST') return post(url, c.body ?? '', c.headers);
  const res = await fetch(url, { method, headers: c.headers, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('malformed HTTP requests: a precise 4xx each', () => {
  for (const c of HTTP_CASES) {
    it(`${c.name} → ${c.status}`, async () => {
      const answer = await send(c);
      assert.equal(answer.status, c.status, `${c.name}: ${answer.text}`);
      const message = errorOf(answer);
      for (const pattern of c.says) assert.match(message, pattern, `${c.name}: the error says ${JSON.stringify(message)}`);
    });
  }

  it('a chunked body over maxBodyBytes (no Content-Length) → 413, read by the client every time', async () => {
    // Answered and closed while the client still sends, the 413 was lost to a reset about half the time.
    for (let attempt = 0; attempt < 20; attempt++) {
      const chunk = new TextEncoder().encode(' '.repeat(1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 6) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const res = await fetch(`${small.http}${INFER}`, { method: 'POST', body: stream, duplex: 'half', signal: AbortSignal.timeout(10_000) } as RequestInit);
      const answer = { status: res.status, headers: res.headers, text: await res.text() };
      assert.equal(answer.status, 413, answer.text);
      assert.match(errorOf(answer), /exceeds the limit of 4096 bytes/);
    }
  });

  it('the wrong method on a known route → a 4xx naming the method and the route', async () => {
    for (const [method, path] of [
      ['GET', INFER],
      ['PUT', INFER],
      ['DELETE', '/v2/health/ready'],
      ['POST', '/v2/health/live'],
    ] as const) {
      const answer = await send({ name: `${method} ${path}`, method, path, status: 0, says: [] });
      assert.ok(answer.status >= 400 && answer.status < 500, `${method} ${path}: ${answer.status} ${answer.text}`);
      const message = errorOf(answer);
      assert.ok(message.includes(method) && message.includes(path), `${method} ${path}: the error names neither: ${message}`);
    }
  });

  it(
    'the wrong method on a known route → 405 Method Not Allowed with an Allow header',
    async () => {
      for (const [method, path, allow] of [
        ['GET', INFER, 'POST'],
        ['DELETE', '/v2/health/ready', 'GET'],
      ] as const) {
        const answer = await send({ name: `${method} ${path}`, method, path, status: 405, says: [] });
        assert.equal(answer.status, 405, `${method} ${path}: ${answer.text}`);
        assert.match(answer.headers.get('allow') ?? '', new RegExp(allow));
        assert.match(errorOf(answer), new RegExp(method));
      }
    },
  );

  it('refusals are counted, none as an internal error, and the gateway still answers correctly', async () => {
    const input = seededRows(3, TAB, 11);
    const answer = await post(`${tg.http}/v2/models/tabular/infer`, featuresBody(input, 3));
    assertClose(probabilitiesOf(answer).data, expectedTabular(input, 3), 'tabular after the malformed table');
    const small1 = seededRows(1, TAB, 12);
    assertClose(probabilitiesOf(await post(`${small.http}/v2/models/tabular/infer`, featuresBody(small1, 1))).data, expectedTabular(small1, 1), 'small gateway after 413s');
    assert.ok((await metricValue(tg.gateway, 'switchyard_requests_total', { protocol: 'http', status: 'SY_ERR_INVALID_TENSOR' })) > 0);
    assert.equal(await metricValue(tg.gateway, 'switchyard_requests_total', { status: 'SY_ERR_INTERNAL' }), 0);
  });
});

// ---- gRPC table ------------------------------------------------------------

const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).fill(1).buffer);

interface GrpcCase {
  name: string;
  request: ModelInferRequestInit;
  code: status;
  says: RegExp[];
}

const GRPC_CASES: GrpcCase[] = [
  {
    name: 'typed contents in the wrong field',
    request: { model_name: 'mlp', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, MLP], contents: { int_contents: ones(MLP) } }] },
    code: status.INVALID_ARGUMENT,
    says: [/input 'features'/, /contents\.int_contents/, /contents\.fp32_contents/],
  },
  {
    name: 'raw_input_contents count does not match the inputs',
    request: { model_name: 'mlp', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, MLP] }], raw_input_contents: [f32(MLP), f32(MLP)] },
    code: status.INVALID_ARGUMENT,
    says: [/raw_input_contents has 2 entries but the request has 1 inputs/],
  },
  {
    name: 'raw length does not match the shape',
    request: rawInferRequest('mlp', [{ name: 'features', datatype: 'FP32', shape: [1, MLP], data: new Float32Array(255) }]),
    code: status.INVALID_ARGUMENT,
    says: [/input 'features'/, /needs 256 elements \(1024 bytes\), got 255 elements \(1020 bytes\)/],
  },
  {
    name: 'raw length not a multiple of the element size',
    request: { model_name: 'mlp', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, MLP] }], raw_input_contents: [new Uint8Array(1022)] },
    code: status.INVALID_ARGUMENT,
    says: [/input 'features'/, /1022 bytes, not a multiple of the 4-byte element size/],
  },
  {
    name: 'both raw and typed contents',
    request: { model_name: 'mlp', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, MLP], contents: { fp32_contents: ones(MLP) } }], raw_input_contents: [f32(MLP)] },
    code: status.INVALID_ARGUMENT,
    says: [/input 'features' has contents\.fp32_contents and the request also has raw_input_contents/],
  },
  {
    name: 'typed contents too short for the shape',
    request: { model_name: 'mlp', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, MLP], contents: { fp32_contents: ones(255) } }] },
    code: status.INVALID_ARGUMENT,
    says: [/input 'features'/, /needs 256 elements/, /got 255 elements/],
  },
  {
    name: 'unsupported datatype FP16',
    request: { model_name: 'mlp', inputs: [{ name: 'features', datatype: 'FP16', shape: [1, MLP] }], raw_input_contents: [new Uint8Array(512)] },
    code: status.INVALID_ARGUMENT,
    says: [/input 'features'/, /datatype 'FP16' is not supported/],
  },
  {
    name: 'wrong datatype',
    request: rawInferRequest('mlp', [{ name: 'features', datatype: 'FP64', shape: [1, MLP], data: new Float64Array(MLP) }]),
    code: status.INVALID_ARGUMENT,
    says: [/input 'features'/, /datatype FP64 does not match the model's FP32/],
  },
  {
    name: 'missing input',
    request: rawInferRequest('pair', [{ name: 'a', datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) }]),
    code: status.INVALID_ARGUMENT,
    says: [/missing input 'b'/],
  },
  { name: 'empty model name', request: { model_name: '', inputs: [] }, code: status.INVALID_ARGUMENT, says: [/model_name is empty/] },
  {
    name: 'unknown model',
    request: rawInferRequest('nope', [{ name: 'features', datatype: 'FP32', shape: [1, MLP], data: new Float32Array(MLP) }]),
    code: status.NOT_FOUND,
    says: [/model 'nope' not found/],
  },
  {
    name: 'unknown version',
    request: rawInferRequest('mlp', [{ name: 'features', datatype: 'FP32', shape: [1, MLP], data: new Float32Array(MLP) }], { model_version: '9' }),
    code: status.NOT_FOUND,
    says: [/no version '9'/],
  },
];

describe('64-bit integer JSON elements that do not fit', () => {
  // No example model takes INT64, so these are decoded directly: the JSON codec runs before any model is involved.
  it(
    'are refused naming the element, never wrapped around',
    () => {
      for (const [datatype, value] of [
        ['UINT64', -1],
        ['INT64', 1e20],
        ['UINT64', 2 ** 64],
      ] as const) {
        const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'ids', datatype, shape: [1], data: [value] }] }));
        assert.throws(
          () => decodeInferBody(body, '', 'm', undefined),
          (err: unknown) => err instanceof SwitchyardError && err.code === 'SY_ERR_INVALID_TENSOR' && /'ids'/.test(err.message) && /element 0/.test(err.message),
          `${datatype} ${value} is accepted`,
        );
      }
    },
  );
});

describe('malformed gRPC requests: a precise status each', () => {
  for (const c of GRPC_CASES) {
    it(`${c.name} → ${status[c.code]}`, async () => {
      await assert.rejects(grpc.modelInfer(c.request), (err: ServiceError) => {
        assert.equal(err.code, c.code, `${c.name}: ${err.code} ${err.details}`);
        for (const pattern of c.says) assert.match(err.details, pattern, `${c.name}: the details say ${JSON.stringify(err.details)}`);
        assert.match(String(err.metadata.get(ERROR_CODE_METADATA_KEY)[0] ?? ''), /^SY_ERR_/, 'the stable error code travels in the trailers');
        return true;
      });
    });
  }

  it('a message over the size limit → RESOURCE_EXHAUSTED', async () => {
    const client = new InferenceClient(small.grpc);
    try {
      const request = rawInferRequest('mlp', [{ name: 'features', datatype: 'FP32', shape: [8, MLP], data: new Float32Array(8 * MLP) }]);
      await assert.rejects(client.modelInfer(request), (err: ServiceError) => {
        assert.equal(err.code, status.RESOURCE_EXHAUSTED, `${err.code} ${err.details}`);
        return true;
      });
    } finally {
      client.close();
    }
  });
});

// ---- fuzz ------------------------------------------------------------------

const SEED = 0x5eed_2026;
type Random = () => number;

const int = (random: Random, n: number): number => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

function randomBytes(random: Random, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = int(random, 256);
  return out;
}

/** Byte-level damage: flip, delete, insert, duplicate, truncate; one to three of them. */
function mutateBytes(random: Random, input: Uint8Array): Uint8Array {
  let bytes = Uint8Array.from(input);
  for (let k = 1 + int(random, 3); k > 0; k--) {
    const at = int(random, bytes.length + 1);
    switch (int(random, 5)) {
      case 0:
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = int(random, 256);
        break;
      case 1:
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + int(random, 16))]);
        break;
      case 2:
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...randomBytes(random, 1 + int(random, 8)), ...bytes.subarray(at)]);
        break;
      case 3: {
        const from = int(random, bytes.length + 1);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(from, from + int(random, 32)), ...bytes.subarray(at)]);
        break;
      }
      default:
        bytes = bytes.subarray(0, at);
    }
  }
  return bytes;
}

const DATATYPES = ['FP32', 'FP64', 'INT8', 'INT32', 'INT64', 'UINT8', 'UINT64', 'BOOL', 'BYTES', 'FP16', '', 'fp32'];
const ODD_VALUES: unknown[] = [null, -1, 0, 1.5, 2 ** 53, -(2 ** 63), 'x', '', true, [], {}, [[]], [null], 1e308];

/** Structural damage to a valid JSON request: numbers to strings, fields dropped or replaced, shapes and datatypes changed. */
function mutateJson(random: Random, value: Record<string, unknown>): Record<string, unknown> {
  const request = structuredClone(value) as { inputs: Array<Record<string, unknown>>; [key: string]: unknown };
  const input = request.inputs[int(random, request.inputs.length)]!;
  for (let k = 1 + int(random, 3); k > 0; k--) {
    switch (int(random, 8)) {
      case 0: {
        const data = input.data as unknown[] | undefined;
        if (Array.isArray(data) && data.length > 0) data[int(random, data.length)] = String(data[int(random, data.length)]);
        break;
      }
      case 1:
        delete input[pick(random, ['name', 'datatype', 'shape', 'data', 'parameters'])];
        break;
      case 2:
        delete request[pick(random, ['inputs', 'outputs', 'parameters', 'id'])];
        break;
      case 3:
        input.datatype = pick(random, DATATYPES);
        break;
      case 4:
        input.shape = Array.from({ length: int(random, 4) }, () => pick(random, [0, 1, 2, 4, 8, 64, 65, 256, -1, 2 ** 31, 2 ** 53 + 2]));
        break;
      case 5:
        input[pick(random, ['name', 'datatype', 'shape', 'data', 'parameters'])] = pick(random, ODD_VALUES);
        break;
      case 6: {
        const data = input.data as unknown[] | undefined;
        if (Array.isArray(data)) input.data = [data.slice(0, data.length >> 1), data.slice(data.length >> 1)];
        break;
      }
      default:
        request[pick(random, ['outputs', 'parameters', 'id'])] = pick(random, [...ODD_VALUES, [{ name: 'nope' }], { binary_data_output: true }, { timeout: 'x' }]);
    }
  }
  return request;
}

interface FuzzRequest {
  path: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

function httpFuzzRequests(random: Random): FuzzRequest[] {
  const tabular = { inputs: [tensor('features', 'FP32', [2, TAB], Array.from(seededRows(2, TAB, 21)))] };
  const pair = { inputs: [tensor('a', 'FP32', [1, 4], [1, 2, 3, 4]), tensor('b', 'FP32', [1, 4], [5, 6, 7, 8])] };
  const binaryTemplate = binary(binaryHeader(TAB * 8, [2, TAB]), TAB * 8);
  const paths = ['/v2/models/tabular/infer', '/v2/models/pair/infer', '/v2/models/mlp/infer'];
  const headerLength = (length: number): Record<string, string> =>
    random() < 0.5 ? {} : { 'Inference-Header-Content-Length': pick(random, [String(int(random, length + 20)), String(length), '0', 'x1', '-3', '1e3', '18446744073709551616']) };
  const out: FuzzRequest[] = [];
  const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  for (let i = 0; i < 120; i++) {
    const body = randomBytes(random, int(random, 1500));
    out.push({ path: pick(random, paths), body, headers: headerLength(body.length) });
  }
  for (let i = 0; i < 120; i++) {
    const [path, template] = random() < 0.6 ? ['/v2/models/tabular/infer', tabular] : ['/v2/models/pair/infer', pair];
    out.push({ path, body: encode(mutateJson(random, template)), headers: {} });
  }
  for (let i = 0; i < 120; i++) {
    const [path, template] = random() < 0.6 ? ['/v2/models/tabular/infer', encode(tabular)] : ['/v2/models/pair/infer', encode(pair)];
    out.push({ path, body: mutateBytes(random, template), headers: {} });
  }
  for (let i = 0; i < 80; i++) {
    const body = mutateBytes(random, binaryTemplate.body);
    const headers = random() < 0.5 ? binaryTemplate.headers : { 'Inference-Header-Content-Length': String(int(random, body.length + 20)) };
    out.push({ path: '/v2/models/tabular/infer', body, headers });
  }
  return out;
}

/** Runs `tasks` with at most `width` in flight. */
async function pool<T>(items: readonly T[], width: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await task(items[i]!, i);
      }
    }),
  );
}

const describeBody = (body: Uint8Array): string => JSON.stringify(Buffer.from(body.subarray(0, 160)).toString('latin1'));

describe('fuzz: random bytes and mutated valid requests never get a 5xx, a hang or a reset', () => {
  it('HTTP', async (t) => {
    const random = mulberry32(SEED);
    const requests = httpFuzzRequests(random);
    const statuses = new Map<number, number>();
    await pool(requests, 8, async (request, i) => {
      let answer: HttpAnswer;
      try {
        answer = await post(`${tg.http}${request.path}`, request.body, request.headers, 10_000);
      } catch (err) {
        assert.fail(`fuzz HTTP #${i} (seed ${SEED}) got no answer (${(err as Error).message}, ${String((err as Error).cause)}): ${request.path} ${JSON.stringify(request.headers)} ${describeBody(request.body)}`);
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const what = `fuzz HTTP #${i} (seed ${SEED}): ${request.path} ${JSON.stringify(request.headers)} ${describeBody(request.body)} → ${answer.status} ${answer.text.slice(0, 300)}`;
      assert.ok((answer.status >= 200 && answer.status < 300) || (answer.status >= 400 && answer.status < 500), what);
      if (answer.status >= 400) errorOf(answer);
    });
    t.diagnostic(`HTTP statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.ok((statuses.get(400) ?? 0) > requests.length / 2, `most fuzzed requests are refused as invalid: ${JSON.stringify([...statuses])}`);
  });

  it('gRPC', async (t) => {
    const random = mulberry32(SEED + 1);
    const method = loadInferenceService()['ModelInfer']!;
    const client = new Client(tg.grpc, credentials.createInsecure());
    const sendBytes = (bytes: Uint8Array): Promise<{ code: status; details: string; switchyard: boolean }> =>
      new Promise((resolve) => {
        client.makeUnaryRequest(
          method.path,
          (b: Uint8Array) => Buffer.from(b),
          (b: Buffer) => b,
          bytes,
          new Metadata(),
          { deadline: Date.now() + 10_000 },
          (err) => resolve(err ? { code: err.code, details: err.details, switchyard: err.metadata.get(ERROR_CODE_METADATA_KEY).length > 0 } : { code: status.OK, details: '', switchyard: true }),
        );
      });
    const valid = (): ModelInferRequestInit =>
      random() < 0.5
        ? rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [2, TAB], data: seededRows(2, TAB, 31) }])
        : { model_name: 'pair', inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }, { name: 'b', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [5, 6, 7, 8] } }] };
    const serialize = (request: ModelInferRequestInit): Uint8Array => method.requestSerialize(request);
    const structured = (): ModelInferRequestInit => {
      const request = valid();
      const input = request.inputs[int(random, request.inputs.length)]!;
      switch (int(random, 6)) {
        case 0:
          input.shape = Array.from({ length: int(random, 4) }, () => pick(random, [0, 1, 2, 8, '9223372036854775807', '-1', '-9223372036854775808', 4294967296]));
          break;
        case 1:
          input.datatype = pick(random, DATATYPES);
          break;
        case 2:
          input.contents = { [pick(random, ['bool_contents', 'int_contents', 'int64_contents', 'uint_contents', 'fp64_contents', 'bytes_contents'])]: [] };
          break;
        case 3:
          request.raw_input_contents = Array.from({ length: int(random, 3) }, () => randomBytes(random, int(random, 80)));
          break;
        case 4:
          request.model_name = pick(random, ['tabular', 'pair', 'mlp', 'nope', ' ', 'tabular/1']);
          break;
        default:
          request.outputs = [{ name: pick(random, ['probabilities', 'sum', 'nope', '']) }];
      }
      return request;
    };
    const bodies: Uint8Array[] = [
      ...Array.from({ length: 100 }, () => randomBytes(random, int(random, 600))),
      ...Array.from({ length: 150 }, () => mutateBytes(random, serialize(valid()))),
      ...Array.from({ length: 100 }, () => serialize(structured())),
    ];
    const codes = new Map<string, number>();
    try {
      await pool(bodies, 8, async (bytes, i) => {
        const answer = await sendBytes(bytes);
        codes.set(status[answer.code]!, (codes.get(status[answer.code]!) ?? 0) + 1);
        const what = `fuzz gRPC #${i} (seed ${SEED + 1}) ${Buffer.from(bytes.subarray(0, 120)).toString('hex')} → ${status[answer.code]} ${answer.details}`;
        // Bytes that are not a ModelInferRequest at all: grpc-js answers INTERNAL itself, as the gRPC status-code guide prescribes for an unparsable request.
        if (answer.code === status.INTERNAL && answer.details === 'Error deserializing request') return;
        assert.ok([status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND].includes(answer.code), what);
        assert.ok(answer.switchyard, `${what}: the refusal carries no ${ERROR_CODE_METADATA_KEY}`);
      });
      t.diagnostic(`gRPC statuses: ${JSON.stringify(Object.fromEntries(codes))}`);
      assert.ok((codes.get('INVALID_ARGUMENT') ?? 0) > 0 && (codes.get('OK') ?? 0) > 0, 'the fuzz reaches the gateway\'s own decoding, not only the protobuf parser');
    } finally {
      client.close();
    }
  });

  it('afterwards, valid requests get the right answers over both transports, and nothing was an internal error', async () => {
    const input = seededRows(4, TAB, 41);
    assertClose(probabilitiesOf(await post(`${tg.http}/v2/models/tabular/infer`, featuresBody(input, 4))).data, expectedTabular(input, 4), 'HTTP tabular');
    const [probabilities] = outputTensors(await grpc.modelInfer(rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [4, TAB], data: input }])));
    assertClose(probabilities!.data as Float32Array, expectedTabular(input, 4), 'gRPC tabular');
    const mlpInput = seededRows(1, MLP, 42);
    assertClose(probabilitiesOf(await post(`${tg.http}/v2/models/mlp/infer`, featuresBody(mlpInput, 1))).data, expectedMlp(mlpInput, 1), 'HTTP mlp');
    const [sum] = outputTensors(
      await grpc.modelInfer(
        rawInferRequest('pair', [
          { name: 'a', datatype: 'FP32', shape: [1, 4], data: Float32Array.from([1, 2, 3, 4]) },
          { name: 'b', datatype: 'FP32', shape: [1, 4], data: Float32Array.from([0.5, 0.25, -3, 10]) },
        ]),
      ),
    );
    assert.deepEqual(Array.from(sum!.data as Float32Array), [1.5, 2.25, 0, 14]);
    for (const outcome of ['SY_ERR_INTERNAL', 'SY_ERR_MODEL_EXECUTION', 'SY_ERR_WORKER_CRASHED']) {
      assert.equal(await metricValue(tg.gateway, 'switchyard_requests_total', { status: outcome }), 0, `no request ended in ${outcome}`);
    }
  });
});
