/**
 * The .proto files the gRPC server speaks, and protobufjs codecs (reflection,
 * from those files) for every message off the inference path: health,
 * metadata, repository index, feedback. ModelInferRequest and the inference
 * responses have hand-written codecs (infer-request-decoder,
 * infer-response-encoder); these stay exactly as the .proto says.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { SwitchyardError } from '../../runtime/errors.js';
import { GRPC_PREFIX_BYTES } from '../../runtime/grpc-message-counter.js';
import { allocateFrame } from './framing.js';

/** Resolved from the compiled file (dist/gateway/grpc/) back to the repo's proto/. */
export const PROTO_FILE = fileURLToPath(new URL('../../../proto/grpc_service.proto', import.meta.url));
export const FEEDBACK_PROTO_FILE = fileURLToPath(new URL('../../../proto/feedback.proto', import.meta.url));

export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';
export const FEEDBACK_SERVICE = 'switchyard.feedback.Feedback';

/** A message type's bytes to messages.ts shapes and back; encoded messages come framed, ready to send. */
export interface MessageCodec<T> {
  decode(bytes: Buffer): T;
  encode(message: T): Buffer;
}

/**
 * Decoded as @grpc/proto-loader hands messages over (messages.ts): absent
 * fields defaulted, 64-bit integers as decimal strings, a oneof naming its
 * choice.
 */
const AS_PLAIN_OBJECT: protobuf.IConversionOptions = Object.freeze({ longs: String, enums: String, defaults: true, arrays: true, objects: true, oneofs: true });

let root: protobuf.Root | undefined;

export function messageCodec<T>(typeName: string): MessageCodec<T> {
  root ??= new protobuf.Root().loadSync([PROTO_FILE, FEEDBACK_PROTO_FILE], { keepCase: true });
  const type = root.lookupType(typeName);
  return {
    decode(bytes) {
      try {
        return type.toObject(type.decode(bytes), AS_PLAIN_OBJECT) as T;
      } catch (err) {
        throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `the ${type.name} message is not valid protobuf: ${(err as Error).message}`);
      }
    },
    encode(message) {
      const encoded = type.encode(message as protobuf.Message).finish();
      const frame = allocateFrame(encoded.length);
      frame.set(encoded, GRPC_PREFIX_BYTES);
      return frame;
    },
  };
}
