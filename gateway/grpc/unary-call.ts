/**
 * A unary call: exactly one request message, answered once the client has
 * half-closed, with one message or an error status.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { CallContext, CallHandler, ServerCall } from './server-call.js';

/** Decodes the request, answers it and encodes the answer into a frame. */
export type UnaryAnswer = (request: Buffer, context: CallContext) => Promise<Buffer>;

export class UnaryCall implements CallHandler {
  readonly #call: ServerCall;
  readonly #answer: UnaryAnswer;
  #request: Buffer | undefined;
  #messages = 0;

  constructor(call: ServerCall, answer: UnaryAnswer) {
    this.#call = call;
    this.#answer = answer;
  }

  onMessage(message: Buffer): void {
    this.#messages++;
    this.#request = message;
  }

  onHalfClose(): void {
    if (this.#messages !== 1) {
      this.#call.end(new SwitchyardError('SY_ERR_INVALID_REQUEST', `a unary call carries exactly one request message; this one carried ${this.#messages}`));
      return;
    }
    void respond(this.#call, this.#answer, this.#request!);
  }
}

async function respond(call: ServerCall, answer: UnaryAnswer, request: Buffer): Promise<void> {
  try {
    call.send(await answer(request, call));
    call.end();
  } catch (err) {
    call.end(err);
  }
}
