/**
 * What one measured window of closed-loop load gives, whichever client drove
 * it (wrk, h2load or the project's Node client): the successful answers, the
 * others by kind, and the latency percentiles in µs.
 */
export type LoadClientName = 'wrk' | 'h2load' | 'node';

export interface ClientWindow {
  client: LoadClientName;
  /** Connections the requests were spread over. */
  connections: number;
  /** 2xx answers (gRPC through h2load: HTTP 200 — it never reads grpc-status; bench-client.ts takes the gateway's refusals off). */
  requests: number;
  /** Everything else by kind: `http 429`, `connect`, `timeout`, `stream failed`, ... */
  errors: Record<string, number>;
  seconds: number;
  /** Latency of every answer in the window (errors included), µs. */
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/** Adds `n` of `kind` to an error tally. */
export function countError(errors: Record<string, number>, kind: string, n = 1): void {
  if (n > 0) errors[kind] = (errors[kind] ?? 0) + n;
}
