/**
 * The same unary ModelInfer calls through @grpc/grpc-js, as an application
 * would make them. The message is pre-serialized and answers are left
 * undecoded (identity (de)serializers), so the difference to the lean client
 * (grpc.ts) is grpc-js' own per-call cost, measured by client-cost.ts.
 */
import { Client, credentials } from '@grpc/grpc-js';
import type { TensorPayload } from '../payload.js';
import { MODEL_INFER_PATH } from '../grpc-infer-message.js';
import { encodeGrpcInfer } from './grpc.js';
import type { InferClient, InferConnection, Outcome } from './types.js';

export interface GrpcJsClientOptions {
  label: string;
  host: string;
  port: number;
  payload: TensorPayload;
}

const identity = (b: Buffer): Buffer => b;

export function grpcJsClient(options: GrpcJsClientOptions): InferClient {
  const encoded = encodeGrpcInfer(options.payload);
  const address = `${options.host}:${options.port}`;
  const open = (): GrpcJsConnection => new GrpcJsConnection(new Client(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }), encoded.message);
  return {
    label: options.label,
    connect: async () => {
      const connection = open();
      await connection.ready();
      return connection;
    },
    probe: async () => {
      const connection = open();
      try {
        return encoded.decodeOutput(await connection.call());
      } finally {
        connection.close();
      }
    },
  };
}

class GrpcJsConnection implements InferConnection {
  readonly maxInflight = 1_000;
  private live = true;

  constructor(private readonly client: Client, private readonly message: Buffer) {}

  get alive(): boolean {
    return this.live;
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => this.client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
  }

  send(done: (outcome: Outcome) => void): void {
    this.client.makeUnaryRequest(MODEL_INFER_PATH, identity, identity, this.message, (err) => done(err ? `grpc ${err.code}` : undefined));
  }

  call(): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      this.client.makeUnaryRequest(MODEL_INFER_PATH, identity, identity, this.message, (err, value) => (err ? reject(err) : resolve(value!))),
    );
  }

  close(): void {
    this.live = false;
    this.client.close();
  }
}
