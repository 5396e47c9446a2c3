/**
 * The contract every load client implements, whatever the wire: a client
 * opens connections; a connection sends one pre-encoded request at a time per
 * free slot and says how it ended. Drivers (closed loop, open loop) only see
 * this, so a new protocol or a baseline server needs no new driver.
 */

/** `undefined`: a valid 2xx / gRPC OK answer. Otherwise a short error kind, e.g. `http 429`, `grpc 8`, `socket closed`. */
export type Outcome = string | undefined;

export interface InferConnection {
  /** Requests this connection carries at once: 1 for HTTP/1.1 (no pipelining), many for HTTP/2. */
  readonly maxInflight: number;
  /** False once the connection failed or was closed; a driver stops using it. */
  readonly alive: boolean;
  /** Sends the client's request; `done` is called exactly once, when the answer is complete or the request failed. */
  send(done: (outcome: Outcome) => void): void;
  close(): void;
}

export interface InferClient {
  /** What is measured, for tables: e.g. `http-binary`. */
  readonly label: string;
  connect(): Promise<InferConnection>;
  /**
   * One request decoded in full (not on the hot path), for the correctness check
   * before a run: the first output tensor's values.
   */
  probe(): Promise<Float32Array>;
}
