/**
 * The gRPC services as @grpc/grpc-js clients load them (@grpc/proto-loader,
 * from the same .proto files the server speaks): the test clients and the load
 * generator build their calls through here, so requests are encoded the way
 * grpc-js encodes them, independently of the server's own codecs.
 */
import { loadSync, type Options } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { FEEDBACK_PROTO_FILE, FEEDBACK_SERVICE, INFERENCE_SERVICE, PROTO_FILE } from './schema.js';

/**
 * - keepCase: field names as on the wire (`raw_input_contents`), as every
 *   Triton/KServe client and document spells them.
 * - longs: String keeps int64/uint64 exact (INT64 tensor contents need all 64
 *   bits).
 * - defaults, arrays, objects: absent fields read as '', [], {} or null.
 * - oneofs: an InferParameter says which of its values is set.
 */
export const LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
});

export function loadInferenceService(): ServiceDefinition {
  return loadService(PROTO_FILE, INFERENCE_SERVICE);
}

export function loadFeedbackService(): ServiceDefinition {
  return loadService(FEEDBACK_PROTO_FILE, FEEDBACK_SERVICE);
}

function loadService(file: string, name: string): ServiceDefinition {
  const definition = loadSync(file, { ...LOADER_OPTIONS })[name];
  if (!definition) throw new Error(`${file} does not define ${name}`);
  // proto-loader's ServiceDefinition is grpc-js' with looser method types.
  return definition as unknown as ServiceDefinition;
}
