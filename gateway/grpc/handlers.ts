/**
 * The GRPCInferenceService methods, each a thin call into the inference
 * service: decode, call, encode. Errors become gRPC statuses in one place.
 */
import type { handleUnaryCall, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { asSwitchyardError } from '../../runtime/errors.js';
import type { InferenceService, InferRequest } from '../inference/types.js';
import { decodeInferRequest, encodeInferResponse } from './codec.js';
import type { FeedbackRequestMessage, ModelInferRequestMessage, ModelInferResponseMessage, ModelRefMessage, RepositoryIndexRequestMessage } from './messages.js';
import { statusOf } from './status.js';
import type { CallContext, InferStreamCall, InferStreams, RunInfer } from './stream.js';
import { applyRoutingHeaders, PIN_HEADER } from '../inference/routing-headers.js';
import { parseFeedback } from '../inference/feedback.js';

export function inferenceHandlers(service: InferenceService, streams: InferStreams): UntypedServiceImplementation {
  const runInfer = inferRunner(service);
  return {
    ServerLive: unary(() => ({ live: service.isLive() })),
    ServerReady: unary(() => ({ ready: service.isReady() })),
    ModelReady: unary((call: ServerUnaryCall<ModelRefMessage, unknown>) => ({
      ready: service.isModelReady(call.request.name, versionOf(call.request)),
    })),
    ServerMetadata: unary(() => service.serverMetadata()),
    ModelMetadata: unary((call: ServerUnaryCall<ModelRefMessage, unknown>) => service.modelMetadata(call.request.name, versionOf(call.request))),
    RepositoryIndex: unary((call: ServerUnaryCall<RepositoryIndexRequestMessage, unknown>) => ({
      models: service.repositoryIndex().filter((entry) => !call.request.ready || entry.state === 'READY'),
    })),
    ModelInfer: unary((call: ServerUnaryCall<ModelInferRequestMessage, unknown>) => runInfer(call.request, call)),
    ModelStreamInfer: (call: InferStreamCall) => streams.serve(call, runInfer),
  };
}

/** SendFeedback: labels for earlier requests, checked like the REST body. */
export function feedbackHandlers(service: InferenceService): UntypedServiceImplementation {
  return {
    SendFeedback: unary((call: ServerUnaryCall<FeedbackRequestMessage, unknown>) => {
      const items = parseFeedback(call.request.items.map((item) => ({ id: item.id, label: item.labels })));
      service.feedback(call.request.model_name, items);
      return { accepted: items.length };
    }),
  };
}

/**
 * Decode failures are reported here; everything that reaches `service.infer`
 * is reported by the service, so each request is counted once.
 */
function inferRunner(service: InferenceService): RunInfer {
  return async (message: ModelInferRequestMessage, call: CallContext): Promise<ModelInferResponseMessage> => {
    const started = performance.now();
    let request: InferRequest;
    try {
      request = decodeInferRequest(message, call.getDeadline());
      const first = (key: string): string => String(call.metadata.get(key)[0] ?? '');
      applyRoutingHeaders(request, first(PIN_HEADER), first(service.stickyHeader(message.model_name)));
    } catch (err) {
      const error = asSwitchyardError(err);
      service.recordRefused('grpc', message.model_name, error, (performance.now() - started) / 1000);
      throw error;
    }
    return encodeInferResponse(await service.infer(request));
  };
}

function unary<Request, Response>(answer: (call: ServerUnaryCall<Request, Response>) => Response | Promise<Response>): handleUnaryCall<Request, Response> {
  const run = async (call: ServerUnaryCall<Request, Response>): Promise<Response> => answer(call);
  return (call, callback) => {
    run(call).then(
      (response) => callback(null, response),
      (err: unknown) => callback(statusOf(err)),
    );
  };
}

/** Empty version: the one the service chooses. */
function versionOf(ref: ModelRefMessage): string | undefined {
  return ref.version === '' ? undefined : ref.version;
}
