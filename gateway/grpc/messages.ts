/**
 * The protocol's messages as plain objects: snake_case names as on the wire,
 * absent fields as their defaults ('', [], {}, null), 64-bit integers as
 * numbers where exact and decimal strings otherwise. The server's decoders
 * (infer-request-decoder, schema) produce these shapes, and so does
 * @grpc/proto-loader with the clients' LOADER_OPTIONS (always strings there).
 */
export type Int64 = string | number;

export interface InferParameterMessage {
  /** Which value is set (the oneof); absent when none is. */
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: Int64;
  string_param?: string;
  double_param?: number;
  uint64_param?: Int64;
}

export type ParameterMap = Readonly<Record<string, InferParameterMessage>>;

export interface InferTensorContentsMessage {
  bool_contents: readonly boolean[];
  int_contents: readonly number[];
  int64_contents: readonly Int64[];
  uint_contents: readonly number[];
  uint64_contents: readonly Int64[];
  fp32_contents: readonly number[];
  fp64_contents: readonly number[];
  bytes_contents: readonly Uint8Array[];
}

export type ContentsField = keyof InferTensorContentsMessage;

export interface InferInputTensorMessage {
  name: string;
  datatype: string;
  shape: readonly Int64[];
  parameters: ParameterMap;
  contents: InferTensorContentsMessage | null;
}

export interface RequestedOutputMessage {
  name: string;
  parameters: ParameterMap;
}

export interface ModelInferRequestMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: ParameterMap;
  inputs: readonly InferInputTensorMessage[];
  outputs: readonly RequestedOutputMessage[];
  /** One entry per input, in the order of `inputs`. */
  raw_input_contents: readonly Uint8Array[];
}

export interface TensorMetadataMessage {
  name: string;
  datatype: string;
  shape: Int64[];
}

export interface ModelInferResponseMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters?: ParameterMap;
  outputs: TensorMetadataMessage[];
  /** One entry per output, in the order of `outputs`. */
  raw_output_contents: Uint8Array[];
}

export interface ModelStreamInferResponseMessage {
  /** Empty when the request succeeded. */
  error_message: string;
  infer_response: ModelInferResponseMessage | null;
}

/** ModelReadyRequest and ModelMetadataRequest. */
export interface ModelRefMessage {
  name: string;
  /** Empty: the version the service would choose. */
  version: string;
}

export interface RepositoryIndexRequestMessage {
  repository_name: string;
  /** True: only models ready for inferencing. */
  ready: boolean;
}

/** switchyard.feedback.FeedbackRequest. */
export interface FeedbackRequestMessage {
  model_name: string;
  items: Array<{ id: string; labels: number[] }>;
}
