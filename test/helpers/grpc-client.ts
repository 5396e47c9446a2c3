/**
 * A small Open Inference Protocol gRPC client for tests: the gateway's own
 * .proto and loader options, promise-returning calls, and helpers to build
 * raw-tensor requests and read raw outputs back.
 */
import {
  Client,
  credentials,
  Metadata,
  type CallOptions,
  type ChannelOptions,
  type ClientDuplexStream,
  type Deadline,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { fromBytes, toBytes, type Datatype, type TypedArray } from '../../gateway/inference/tensor.js';
import type {
  InferTensorContentsMessage,
  Int64,
  ModelInferResponseMessage,
  ModelStreamInferResponseMessage,
  ParameterMap,
  TensorMetadataMessage,
} from '../../gateway/grpc/messages.js';
import { loadInferenceService } from '../../gateway/grpc/proto.js';
import type { ModelMetadata, RepositoryEntry, ServerMetadata } from '../../gateway/inference/types.js';

/** A ModelInferRequest as a client writes it: only what it needs, int64s as numbers or strings. */
export interface ModelInferRequestInit {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: ParameterMap;
  inputs: Array<{ name: string; datatype: string; shape: Int64[]; parameters?: ParameterMap; contents?: Partial<InferTensorContentsMessage> }>;
  outputs?: Array<{ name: string; parameters?: ParameterMap }>;
  raw_input_contents?: Uint8Array[];
}

/** ModelMetadataResponse as received: shapes are int64s, so decimal strings. */
export type ModelMetadataReply = Omit<ModelMetadata, 'inputs' | 'outputs'> & { inputs: TensorMetadataMessage[]; outputs: TensorMetadataMessage[] };

export interface CallSettings {
  deadline?: Deadline;
  metadata?: Record<string, string>;
}

export interface TensorValue {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TypedArray;
}

export class InferenceClient {
  readonly #service: ServiceDefinition;
  readonly #client: Client;

  constructor(address: string, options: ChannelOptions = {}) {
    this.#service = loadInferenceService();
    this.#client = new Client(address, credentials.createInsecure(), options);
  }

  async serverLive(): Promise<boolean> {
    return (await this.#unary<{ live: boolean }>('ServerLive', {})).live;
  }

  async serverReady(): Promise<boolean> {
    return (await this.#unary<{ ready: boolean }>('ServerReady', {})).ready;
  }

  async modelReady(name: string, version = ''): Promise<boolean> {
    return (await this.#unary<{ ready: boolean }>('ModelReady', { name, version })).ready;
  }

  serverMetadata(): Promise<ServerMetadata> {
    return this.#unary('ServerMetadata', {});
  }

  modelMetadata(name: string, version = ''): Promise<ModelMetadataReply> {
    return this.#unary('ModelMetadata', { name, version });
  }

  async repositoryIndex(ready = false): Promise<RepositoryEntry[]> {
    return (await this.#unary<{ models: RepositoryEntry[] }>('RepositoryIndex', { repository_name: '', ready })).models;
  }

  modelInfer(request: ModelInferRequestInit, settings: CallSettings = {}): Promise<ModelInferResponseMessage> {
    return this.#unary('ModelInfer', request, settings);
  }

  /** Write ModelInferRequestInit messages, read ModelStreamInferResponse messages, `end()` when done. */
  modelStreamInfer(settings: CallSettings = {}): ClientDuplexStream<ModelInferRequestInit, ModelStreamInferResponseMessage> {
    const method = this.#method('ModelStreamInfer');
    return this.#client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize as (bytes: Buffer) => ModelStreamInferResponseMessage,
      metadataOf(settings),
      callOptionsOf(settings),
    );
  }

  close(): void {
    this.#client.close();
  }

  #unary<Response>(name: string, request: object, settings: CallSettings = {}): Promise<Response> {
    const method = this.#method(name);
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize as (bytes: Buffer) => Response,
        request,
        metadataOf(settings),
        callOptionsOf(settings),
        (err, response) => (err ? reject(err) : resolve(response as Response)),
      );
    });
  }

  #method(name: string): ServiceDefinition[string] {
    const method = this.#service[name];
    if (!method) throw new Error(`GRPCInferenceService has no method ${name}`);
    return method;
  }
}

/** A request carrying every tensor as raw_input_contents, as Triton's clients send them. */
export function rawInferRequest(model: string, tensors: readonly TensorValue[], extra: Partial<ModelInferRequestInit> = {}): ModelInferRequestInit {
  return {
    model_name: model,
    ...extra,
    inputs: tensors.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    raw_input_contents: tensors.map((tensor) => toBytes(tensor.data)),
  };
}

/** The response's outputs, read back from raw_output_contents. */
export function outputTensors(response: ModelInferResponseMessage): TensorValue[] {
  return response.outputs.map((output, i) => {
    const datatype = output.datatype as Datatype;
    const bytes = response.raw_output_contents[i];
    if (!bytes) throw new Error(`response has no raw_output_contents[${i}] for output '${output.name}'`);
    return { name: output.name, datatype, shape: output.shape.map(Number), data: fromBytes(datatype, bytes) };
  });
}

function metadataOf(settings: CallSettings): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(settings.metadata ?? {})) metadata.set(key, value);
  return metadata;
}

function callOptionsOf(settings: CallSettings): CallOptions {
  return settings.deadline === undefined ? {} : { deadline: settings.deadline };
}
