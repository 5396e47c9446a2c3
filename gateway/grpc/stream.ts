/**
 * ModelStreamInfer: each request message is answered by one response message,
 * as soon as it completes (Triton does not keep order either; the response's
 * id says which request it answers). A failed request is answered with
 * `error_message` and the stream stays open, as in Triton.
 */
import type { Deadline, Metadata, ServerDuplexStream } from '@grpc/grpc-js';
import { asSwitchyardError, SwitchyardError } from '../../runtime/errors.js';
import type { ModelInferRequestMessage, ModelInferResponseMessage, ModelStreamInferResponseMessage } from './messages.js';

/** What a unary call and a stream have in common: the deadline and the request metadata. */
export interface CallContext {
  getDeadline(): Deadline;
  metadata: Metadata;
}

export type RunInfer = (message: ModelInferRequestMessage, call: CallContext) => Promise<ModelInferResponseMessage>;

export type InferStreamCall = ServerDuplexStream<ModelInferRequestMessage, ModelStreamInferResponseMessage>;

/** The open streams of one server, so that shutdown can end them once their requests are answered. */
export class InferStreams {
  readonly #open = new Set<InferStream>();
  #draining = false;

  serve(call: InferStreamCall, run: RunInfer): void {
    const stream = new InferStream(call, run, () => this.#open.delete(stream));
    this.#open.add(stream);
    if (this.#draining) stream.drain();
  }

  /** Answers what is in flight, refuses what arrives after, then ends each stream. */
  drain(): void {
    this.#draining = true;
    for (const stream of this.#open) stream.drain();
  }
}

class InferStream {
  readonly #call: InferStreamCall;
  readonly #run: RunInfer;
  readonly #onFinished: () => void;
  #pending = 0;
  #clientDone = false;
  #draining = false;
  #finished = false;

  constructor(call: InferStreamCall, run: RunInfer, onFinished: () => void) {
    this.#call = call;
    this.#run = run;
    this.#onFinished = onFinished;
    call.on('data', (message: ModelInferRequestMessage) => void this.#answer(message));
    call.on('end', () => {
      this.#clientDone = true;
      this.#endWhenIdle();
    });
    call.on('cancelled', () => this.#finish());
  }

  drain(): void {
    this.#draining = true;
    this.#endWhenIdle();
  }

  async #answer(message: ModelInferRequestMessage): Promise<void> {
    if (this.#draining) {
      this.#write(failure(message, new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'the gateway is shutting down; this stream takes no new requests')));
      return;
    }
    this.#pending++;
    try {
      this.#write({ error_message: '', infer_response: await this.#run(message, this.#call) });
    } catch (err) {
      this.#write(failure(message, err));
    } finally {
      this.#pending--;
      this.#endWhenIdle();
    }
  }

  #write(response: ModelStreamInferResponseMessage): void {
    if (!this.#finished && !this.#call.cancelled) this.#call.write(response);
  }

  #endWhenIdle(): void {
    if ((this.#clientDone || this.#draining) && this.#pending === 0 && !this.#finished) {
      this.#call.end();
      this.#finish();
    }
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#onFinished();
  }
}

/** The request's id, model and version go back with the error so the client can match it. */
function failure(message: ModelInferRequestMessage, err: unknown): ModelStreamInferResponseMessage {
  return {
    error_message: asSwitchyardError(err).message,
    infer_response: { id: message.id, model_name: message.model_name, model_version: message.model_version, outputs: [], raw_output_contents: [] },
  };
}
