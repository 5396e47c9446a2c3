/**
 * The one request a benchmark target is driven with, as it goes on the wire:
 * path, headers and body bytes, built once per model and wire format from the
 * same seeded row. wrk's Lua script, h2load's body file, the Node client and
 * the answer check all send exactly these bytes.
 */
import { encodeModelInferRequest, grpcFrame, MODEL_INFER_PATH } from './grpc-infer-message.js';
import { httpBinaryBody, httpJsonBody, inferPath, type TensorPayload } from './payload.js';

/** Wire formats, named as the Node client's targets (targets.ts) that send them. */
export type Wire = 'http-binary' | 'http-json' | 'grpc';

export interface WireRequest {
  wire: Wire;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export function wireRequest(wire: Wire, payload: TensorPayload): WireRequest {
  switch (wire) {
    case 'http-binary':
      return { wire, path: inferPath(payload), ...httpBinaryBody(payload) };
    case 'http-json':
      return { wire, path: inferPath(payload), ...httpJsonBody(payload) };
    case 'grpc':
      return {
        wire,
        path: MODEL_INFER_PATH,
        headers: { 'content-type': 'application/grpc', te: 'trailers' },
        body: grpcFrame(encodeModelInferRequest(payload)),
      };
  }
}
