/**
 * The methods the gRPC server answers, by :path: every RPC of
 * inference.GRPCInferenceService — each a thin call into the inference
 * service (decode, call, encode), or UNIMPLEMENTED with what to use instead —
 * and switchyard.feedback.Feedback/SendFeedback.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import { parseFeedback } from '../inference/feedback.js';
import type { InferenceService } from '../inference/types.js';
import { encodeModelInferResponse } from './infer-response-encoder.js';
import type { InferRunner } from './infer-runner.js';
import type { FeedbackRequestMessage, ModelRefMessage, RepositoryIndexRequestMessage } from './messages.js';
import { FEEDBACK_SERVICE, INFERENCE_SERVICE, messageCodec, type MessageCodec } from './schema.js';
import type { CallContext, ServerCall } from './server-call.js';
import type { InferStreams } from './stream.js';
import type { UnaryAnswer } from './unary-call.js';

export type Method =
  | { readonly kind: 'unary'; readonly answer: UnaryAnswer }
  | { readonly kind: 'stream'; readonly serve: (call: ServerCall) => void }
  /** Known to the protocol, not served here: answered UNIMPLEMENTED with this error. */
  | { readonly kind: 'unimplemented'; readonly error: SwitchyardError };

/** Triton's RPCs the gateway does not serve, and what a caller can do instead. */
const NOT_SERVED: Readonly<Record<string, string>> = {
  ModelConfig: 'models are described by ModelMetadata (inputs, outputs, datatypes, shapes)',
  ModelStatistics: 'per-model request, queue and compute statistics are Prometheus metrics on the gateway\'s metrics port',
  RepositoryModelLoad: 'models are loaded from the repository directory or the registry the gateway follows; register or change versions there',
  RepositoryModelUnload: 'models are loaded from the repository directory or the registry the gateway follows; register or change versions there',
  SystemSharedMemoryStatus: 'shared-memory tensors are not supported; send tensors in raw_input_contents',
  SystemSharedMemoryRegister: 'shared-memory tensors are not supported; send tensors in raw_input_contents',
  SystemSharedMemoryUnregister: 'shared-memory tensors are not supported; send tensors in raw_input_contents',
  CudaSharedMemoryStatus: 'CUDA shared-memory tensors are not supported; send tensors in raw_input_contents',
  CudaSharedMemoryRegister: 'CUDA shared-memory tensors are not supported; send tensors in raw_input_contents',
  CudaSharedMemoryUnregister: 'CUDA shared-memory tensors are not supported; send tensors in raw_input_contents',
  TraceSetting: 'request tracing is not supported',
  LogSettings: 'logging is set when the gateway starts (SWITCHYARD_LOG_LEVEL)',
};

export function grpcMethods(service: InferenceService, runner: InferRunner, streams: InferStreams): Map<string, Method> {
  const codec = <T>(name: string): MessageCodec<T> => messageCodec<T>(`inference.${name}`);
  const inference: Record<string, Method> = {
    ServerLive: unary(codec('ServerLiveRequest'), codec('ServerLiveResponse'), () => ({ live: service.isLive() })),
    ServerReady: unary(codec('ServerReadyRequest'), codec('ServerReadyResponse'), () => ({ ready: service.isReady() })),
    ModelReady: unary(codec<ModelRefMessage>('ModelReadyRequest'), codec('ModelReadyResponse'), (ref) => ({ ready: service.isModelReady(ref.name, versionOf(ref)) })),
    ServerMetadata: unary(codec('ServerMetadataRequest'), codec('ServerMetadataResponse'), () => service.serverMetadata()),
    ModelMetadata: unary(codec<ModelRefMessage>('ModelMetadataRequest'), codec('ModelMetadataResponse'), (ref) => service.modelMetadata(ref.name, versionOf(ref))),
    RepositoryIndex: unary(codec<RepositoryIndexRequestMessage>('RepositoryIndexRequest'), codec('RepositoryIndexResponse'), (request) => ({
      models: service.repositoryIndex().filter((entry) => !request.ready || entry.state === 'READY'),
    })),
    ModelInfer: { kind: 'unary', answer: async (bytes, call) => encodeModelInferResponse(await runner.run(runner.decode(bytes), call)) },
    ModelStreamInfer: { kind: 'stream', serve: (call) => streams.serve(call) },
  };
  for (const [name, instead] of Object.entries(NOT_SERVED)) {
    inference[name] = { kind: 'unimplemented', error: new SwitchyardError('SY_ERR_NOT_IMPLEMENTED', `${INFERENCE_SERVICE}/${name} is not implemented by this server: ${instead}`) };
  }
  const methods = new Map(Object.entries(inference).map(([name, method]) => [`/${INFERENCE_SERVICE}/${name}`, method]));
  methods.set(`/${FEEDBACK_SERVICE}/SendFeedback`, sendFeedback(service));
  return methods;
}

/** SendFeedback: labels for earlier requests, checked like the REST body. */
function sendFeedback(service: InferenceService): Method {
  const request = messageCodec<FeedbackRequestMessage>('switchyard.feedback.FeedbackRequest');
  return unary(request, messageCodec('switchyard.feedback.FeedbackResponse'), (feedback) => {
    const items = parseFeedback(feedback.items.map((item) => ({ id: item.id, label: item.labels })));
    service.feedback(feedback.model_name, items);
    return { accepted: items.length };
  });
}

function unary<Request, Response>(
  request: MessageCodec<Request>,
  response: MessageCodec<Response>,
  answer: (request: Request, call: CallContext) => Response | Promise<Response>,
): Method {
  return { kind: 'unary', answer: async (bytes, call) => response.encode(await answer(request.decode(bytes), call)) };
}

/** Empty version: the one the service chooses. */
function versionOf(ref: ModelRefMessage): string | undefined {
  return ref.version === '' ? undefined : ref.version;
}
