/**
 * The Open Inference Protocol gRPC service definition, loaded at run time from
 * proto/grpc_service.proto. The gateway and every client in this repo load it
 * through here, so both ends see messages in the same shape.
 */
import { fileURLToPath } from 'node:url';
import { loadSync, type Options } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** Resolved from the compiled file (dist/gateway/grpc/) back to the repo's proto/. */
export const PROTO_FILE = fileURLToPath(new URL('../../../proto/grpc_service.proto', import.meta.url));

export const SERVICE_NAME = 'inference.GRPCInferenceService';

/**
 * - keepCase: field names as on the wire (`raw_input_contents`), as every
 *   Triton/KServe client and document spells them.
 * - longs: String keeps int64/uint64 exact (INT64 tensor contents need all 64
 *   bits); the codec turns shapes into numbers after checking them.
 * - defaults, arrays, objects: absent fields read as '', [], {} or null, so the
 *   codec needs no guard on every access.
 * - oneofs: an InferParameter says which of its values is set.
 * - bytes stay Buffers (the default): views into the received message, no copy.
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

export const FEEDBACK_PROTO_FILE = fileURLToPath(new URL('../../../proto/feedback.proto', import.meta.url));
export const FEEDBACK_SERVICE_NAME = 'switchyard.feedback.Feedback';

export function loadInferenceService(): ServiceDefinition {
  return loadService(PROTO_FILE, SERVICE_NAME);
}

export function loadFeedbackService(): ServiceDefinition {
  return loadService(FEEDBACK_PROTO_FILE, FEEDBACK_SERVICE_NAME);
}

function loadService(file: string, name: string): ServiceDefinition {
  const definition = loadSync(file, { ...LOADER_OPTIONS })[name];
  if (!definition) throw new Error(`${file} does not define ${name}`);
  // proto-loader's ServiceDefinition is grpc-js' with looser method types.
  return definition as unknown as ServiceDefinition;
}
