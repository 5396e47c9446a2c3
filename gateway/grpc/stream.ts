/**
 * ModelStreamInfer: each request message is answered by one response message,
 * as soon as it completes (Triton does not keep order either; the response's
 * id says which request it answers). A failed request — undecodable, invalid,
 * or failed in the service — is answered with `error_message` and the stream
 * stays open, as in Triton.
 */
import { asSwitchyardError, SwitchyardError } from '../../runtime/errors.js';
import { encodeModelStreamInferResponse } from './infer-response-encoder.js';
import type { InferRunner } from './infer-runner.js';
import type { ModelInferRequestMessage, ModelStreamInferResponseMessage } from './messages.js';
import type { CallHandler, ServerCall } from './server-call.js';

/** The open streams of one server, so that shutdown can end them once their requests are answered. */
export class InferStreams {
  readonly #open = new Set<InferStream>();
  #draining = false;

  constructor(private readonly runner: InferRunner) {}

  serve(call: ServerCall): void {
    const stream = new InferStream(call, this.runner, () => this.#open.delete(stream));
    this.#open.add(stream);
    call.receive(stream);
    if (this.#draining) stream.drain();
  }

  /** Answers what is in flight, refuses what arrives after, then ends each stream. */
  drain(): void {
    this.#draining = true;
    for (const stream of this.#open) stream.drain();
  }
}

/** What an undecodable request is answered with: no id, model or version to echo. */
const UNKNOWN_REQUEST: Pick<ModelInferRequestMessage, 'id' | 'model_name' | 'model_version'> = Object.freeze({ id: '', model_name: '', model_version: '' });

class InferStream implements CallHandler {
  readonly #call: ServerCall;
  readonly #runner: InferRunner;
  readonly #onFinished: () => void;
  #pending = 0;
  #clientDone = false;
  #draining = false;
  #finished = false;

  constructor(call: ServerCall, runner: InferRunner, onFinished: () => void) {
    this.#call = call;
    this.#runner = runner;
    this.#onFinished = onFinished;
  }

  onMessage(message: Buffer): void {
    void this.#answer(message);
  }

  onHalfClose(): void {
    this.#clientDone = true;
    this.#endWhenIdle();
  }

  /** The client cancelled or went away (or the call ended): nothing more is sent. */
  onClose(): void {
    this.#finish();
  }

  drain(): void {
    this.#draining = true;
    this.#endWhenIdle();
  }

  async #answer(bytes: Buffer): Promise<void> {
    let message: ModelInferRequestMessage;
    try {
      message = this.#runner.decode(bytes);
    } catch (err) {
      return this.#write(failure(UNKNOWN_REQUEST, err));
    }
    if (this.#draining) {
      return this.#write(failure(message, new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'the gateway is shutting down; this stream takes no new requests')));
    }
    this.#pending++;
    try {
      this.#write({ error_message: '', infer_response: await this.#runner.run(message, this.#call) });
    } catch (err) {
      this.#write(failure(message, err));
    } finally {
      this.#pending--;
      this.#endWhenIdle();
    }
  }

  #write(response: ModelStreamInferResponseMessage): void {
    this.#call.send(encodeModelStreamInferResponse(response));
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
function failure(message: Pick<ModelInferRequestMessage, 'id' | 'model_name' | 'model_version'>, err: unknown): ModelStreamInferResponseMessage {
  return {
    error_message: asSwitchyardError(err).message,
    infer_response: { id: message.id, model_name: message.model_name, model_version: message.model_version, outputs: [], raw_output_contents: [] },
  };
}
