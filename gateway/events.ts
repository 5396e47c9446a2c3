/**
 * What the gateway's core reports. Core code calls these; the metrics layer
 * (gateway/metrics.ts) turns them into Prometheus series. Keeping the core free
 * of prom-client keeps the registry out of the hot path's types and lets tests
 * observe events directly.
 */
import type { ErrorCode } from '../runtime/errors.js';
import type { Protocol, Role } from './inference/types.js';

export type Outcome = 'OK' | ErrorCode;

export interface GatewayEvents {
  /** Once per inference request, whichever way it ended. `model`/`version`/`role` are '' when unknown. */
  requestFinished(protocol: Protocol, model: string, version: string, role: Role | '', outcome: Outcome, seconds: number): void;
  /** Once per ONNX run: rows and requests in the batch, time spent queued by each request, compute time. */
  batchExecuted(model: string, version: string, provider: string, rows: number, queueSeconds: readonly number[], computeSeconds: number): void;
  /** Requests waiting in a batcher's queue changed. */
  queueDepthChanged(model: string, version: string, depth: number): void;
  /** Batches handed to workers and not yet returned. */
  inflightChanged(model: string, version: string, batches: number): void;
}
