/** Minimal Open Inference Protocol REST calls for tests, JSON and binary tensor extension. */
import { fromBytes, toBytes, type Datatype, type TypedArray } from '../../gateway/inference/tensor.js';

export interface JsonReply {
  status: number;
  headers: Headers;
  body: any;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonReply> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

export interface BinaryTensor {
  name: string;
  shape: number[];
  datatype: Datatype;
  data: TypedArray;
}

export interface BinaryReply {
  status: number;
  headers: Headers;
  headerLength: number | undefined;
  json: any;
  /** Binary outputs by name, decoded with their datatype. */
  outputs: Map<string, ArrayLike<number>>;
}

/** One binary input; outputs requested as binary unless `binaryOutput` is false. */
export async function postBinary(url: string, tensor: BinaryTensor, options: { binaryOutput?: boolean } = {}): Promise<BinaryReply> {
  const bytes = toBytes(tensor.data);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: tensor.name, shape: tensor.shape, datatype: tensor.datatype, parameters: { binary_data_size: bytes.byteLength } }],
      parameters: { binary_data_output: options.binaryOutput ?? true },
    }),
  );
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.byteLength) },
    body: Buffer.concat([header, bytes]),
  });
  const body = new Uint8Array(await res.arrayBuffer());
  const declared = res.headers.get('inference-header-content-length');
  const headerLength = declared === null ? undefined : Number(declared);
  const json = JSON.parse(Buffer.from(body.subarray(0, headerLength ?? body.byteLength)).toString('utf8'));
  const outputs = new Map<string, ArrayLike<number>>();
  let at = headerLength ?? body.byteLength;
  for (const out of json.outputs ?? []) {
    const size = out.parameters?.binary_data_size;
    if (size === undefined) continue;
    outputs.set(out.name, fromBytes(out.datatype, body.subarray(at, at + size)) as unknown as ArrayLike<number>);
    at += size;
  }
  return { status: res.status, headers: res.headers, headerLength, json, outputs };
}
