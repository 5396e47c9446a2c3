/**
 * What ModelInfer and ModelStreamInfer share: a request message decoded from
 * its bytes, then to an InferRequest (with the call's deadline and routing
 * metadata), then run by the inference service. Failures before `service.infer`
 * are counted here, as refused; everything after is counted by the service, so
 * each request is counted once.
 */
import { performance } from 'node:perf_hooks';
import { asSwitchyardError } from '../../runtime/errors.js';
import { applyRoutingHeaders, PIN_HEADER } from '../inference/routing-headers.js';
import type { InferenceService, InferRequest } from '../inference/types.js';
import { decodeInferRequest, encodeInferResponse } from './codec.js';
import { decodeModelInferRequest } from './infer-request-decoder.js';
import type { ModelInferRequestMessage, ModelInferResponseMessage } from './messages.js';
import type { CallContext } from './server-call.js';

export class InferRunner {
  constructor(private readonly service: InferenceService) {}

  /** The ModelInferRequest in `bytes`; throws (counted as refused) when it is not one. */
  decode(bytes: Buffer): ModelInferRequestMessage {
    const started = performance.now();
    try {
      return decodeModelInferRequest(bytes);
    } catch (err) {
      throw this.refused('', err, started);
    }
  }

  async run(message: ModelInferRequestMessage, call: CallContext): Promise<ModelInferResponseMessage> {
    const started = performance.now();
    let request: InferRequest;
    try {
      request = decodeInferRequest(message, call.deadline);
      applyRoutingHeaders(request, call.metadata(PIN_HEADER), call.metadata(this.service.stickyHeader(message.model_name)));
    } catch (err) {
      throw this.refused(message.model_name, err, started);
    }
    return encodeInferResponse(await this.service.infer(request));
  }

  private refused(model: string, err: unknown, started: number): Error {
    const error = asSwitchyardError(err);
    this.service.recordRefused('grpc', model, error, (performance.now() - started) / 1000);
    return error;
  }
}
