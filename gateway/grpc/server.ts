/**
 * The gRPC transport: inference.GRPCInferenceService (Open Inference Protocol
 * v2) and switchyard.feedback.Feedback on @grpc/grpc-js, answering from the
 * inference service.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { InferenceService } from '../inference/types.js';
import { feedbackHandlers, inferenceHandlers } from './handlers.js';
import { loadFeedbackService, loadInferenceService } from './proto.js';
import { InferStreams } from './stream.js';

export interface GrpcTransportOptions {
  service: InferenceService;
  /** Largest message received or sent, in bytes. */
  maxMessageBytes: number;
}

export class GrpcTransport {
  readonly #server: Server;
  readonly #streams = new InferStreams();

  constructor(options: GrpcTransportOptions) {
    const { maxMessageBytes } = options;
    if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1) {
      throw new RangeError(`GrpcTransport: maxMessageBytes must be a positive integer, got ${maxMessageBytes}`);
    }
    this.#server = new Server({
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
      'grpc.enable_channelz': 0,
    });
    this.#server.addService(loadInferenceService(), inferenceHandlers(options.service, this.#streams));
    this.#server.addService(loadFeedbackService(), feedbackHandlers(options.service));
  }

  /** Resolves with the bound port (the chosen one when `port` is 0). */
  listen(host: string, port: number): Promise<number> {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, ServerCredentials.createInsecure(), (err, boundPort) => {
        if (err) reject(new Error(`gRPC server cannot listen on ${address}: ${err.message}`, { cause: err }));
        else resolve(boundPort);
      });
    });
  }

  /**
   * Graceful: stops accepting calls, lets calls in flight finish, and ends
   * open streams once their pending requests are answered (an idle stream
   * would otherwise hold shutdown forever).
   */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.tryShutdown((err) => (err ? reject(err) : resolve()));
      this.#streams.drain();
    });
  }
}
