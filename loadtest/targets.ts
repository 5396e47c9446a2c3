/**
 * The named ways a benchmark reaches a server (`http-binary`, `grpc`, ...):
 * each name is one client over one wire format, built from the server's
 * address and the tensor to send.
 */
import { grpcClient } from './clients/grpc.js';
import { grpcJsClient } from './clients/grpc-js.js';
import { httpClient, type HttpClientOptions } from './clients/http.js';
import { fetchClient, nodeHttpClient } from './clients/http-node.js';
import type { InferClient } from './clients/types.js';
import { httpBinaryBody, httpJsonBody, inferPath, type TensorPayload } from './payload.js';

export const TARGETS = {
  /** REST, binary tensor extension in and out, lean HTTP/1.1 client. */
  'http-binary': 'http',
  /** REST, JSON tensors in and out, lean HTTP/1.1 client. */
  'http-json': 'http',
  /** gRPC ModelInfer with raw_input_contents, lean HTTP/2 client. */
  grpc: 'grpc',
  /** Client-cost comparisons: the same requests through stock clients. */
  'http-binary-node': 'http',
  'http-binary-fetch': 'http',
  'grpc-js': 'grpc',
} as const;

export type TargetName = keyof typeof TARGETS;

export interface Endpoints {
  host: string;
  httpPort: number;
  grpcPort: number;
}

export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}

export function makeClient(target: TargetName, endpoints: Endpoints, payload: TensorPayload): InferClient {
  const http = (body: HttpClientOptions['body']): HttpClientOptions => ({
    label: target,
    host: endpoints.host,
    port: endpoints.httpPort,
    path: inferPath(payload),
    body,
    output: payload.output,
  });
  const grpc = { label: target, host: endpoints.host, port: endpoints.grpcPort, payload };
  switch (target) {
    case 'http-binary':
      return httpClient(http(httpBinaryBody(payload)));
    case 'http-json':
      return httpClient(http(httpJsonBody(payload)));
    case 'grpc':
      return grpcClient(grpc);
    case 'http-binary-node':
      return nodeHttpClient(http(httpBinaryBody(payload)));
    case 'http-binary-fetch':
      return fetchClient(http(httpBinaryBody(payload)));
    case 'grpc-js':
      return grpcJsClient(grpc);
  }
}
