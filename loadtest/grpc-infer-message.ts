/**
 * The gRPC ModelInfer call the load clients send, encoded with protobufjs
 * straight from proto/grpc_service.proto (the published message layout, not
 * the gateway's loader, so the request stays what any Triton/KServe client
 * sends whatever the gateway does inside): the request with
 * raw_input_contents, gRPC's length-prefix framing, and the answer's named
 * output read back for the answer check.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { GRPC_PREFIX_BYTES } from '../runtime/grpc-message-counter.js';
import type { TensorPayload } from './payload.js';

export { GRPC_PREFIX_BYTES };

export const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';

// Resolved from the compiled file, dist/loadtest/, to <repo>/proto.
const PROTO_FILE = fileURLToPath(new URL('../../proto/grpc_service.proto', import.meta.url));

let root: protobuf.Root | undefined;

function messageType(name: 'ModelInferRequest' | 'ModelInferResponse'): protobuf.Type {
  // keepCase: the objects below use the .proto's snake_case field names, as Triton's clients spell them.
  root ??= new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });
  return root.lookupType(`inference.${name}`);
}

/** A serialized ModelInferRequest: one FP32 input as raw little-endian bytes, the output named. */
export function encodeModelInferRequest(payload: TensorPayload): Buffer {
  const type = messageType('ModelInferRequest');
  const message = type.fromObject({
    model_name: payload.model,
    inputs: [{ name: payload.input, datatype: 'FP32', shape: payload.shape }],
    outputs: [{ name: payload.output }],
    raw_input_contents: [Buffer.from(payload.data.buffer, payload.data.byteOffset, payload.data.byteLength)],
  });
  return Buffer.from(type.encode(message).finish());
}

/** The named output of a serialized ModelInferResponse, from raw_output_contents, as float32. */
export function decodeModelInferOutput(response: Uint8Array, output: string): Float32Array {
  const decoded = messageType('ModelInferResponse').toObject(messageType('ModelInferResponse').decode(response), { arrays: true }) as {
    outputs: Array<{ name: string }>;
    raw_output_contents: Uint8Array[];
  };
  const i = decoded.outputs.findIndex((o) => o.name === output);
  const raw = decoded.raw_output_contents[i];
  if (i < 0 || !raw) throw new Error(`gRPC answer has no raw output '${output}' (outputs: ${decoded.outputs.map((o) => o.name).join(', ') || 'none'})`);
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/** gRPC's message framing: 1 byte compressed flag (0), 4 bytes big-endian length, the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(GRPC_PREFIX_BYTES + message.byteLength);
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, GRPC_PREFIX_BYTES);
  return out;
}
