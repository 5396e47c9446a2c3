/**
 * Writes ONNX models: a small graph builder over protobufjs and the schema in
 * proto/onnx.proto, plus `mlpToOnnx` for the dense networks of ./forward.ts.
 * Only float32 tensors and the handful of operators the project's models use.
 */
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { checkLayers, type DenseLayer } from './forward.js';

export const IR_VERSION = 8;
export const OPSET_VERSION = 17;
export const PRODUCER_NAME = 'switchyard';
/** The symbolic name of every graph input's and output's first dimension. */
export const BATCH_DIM = 'batch';

// Resolved from the compiled file, dist/models/onnx/writer.js, to <repo>/proto.
const ONNX_PROTO = fileURLToPath(new URL('../../../proto/onnx.proto', import.meta.url));
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTRIBUTE_FLOAT = 1; // AttributeProto.AttributeType.FLOAT
const ATTRIBUTE_INT = 2; // AttributeProto.AttributeType.INT

let modelProto: protobuf.Type | undefined;

function loadModelProto(): protobuf.Type {
  // keepCase: the objects below use the .proto's snake_case field names.
  modelProto ??= new protobuf.Root().loadSync(ONNX_PROTO, { keepCase: true }).lookupType('onnx.ModelProto');
  return modelProto;
}

type Attribute = { name: string; type: number; f?: number; i?: number };

interface Node {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
}

export interface GemmOptions {
  alpha?: number;
  beta?: number;
  /** Set when B is stored [out, in], as PyTorch's Linear stores it. */
  transB?: boolean;
}

/** Builds one graph; each method returns the name of the value it produced, for chaining. */
export class OnnxGraphBuilder {
  private readonly initializers: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly nodes: Node[] = [];
  private readonly names = new Set<string>();

  constructor(private readonly graphName: string) {}

  /** A constant float32 tensor; `data` is row-major and stored as little-endian raw_data. */
  addInitializer(name: string, data: Float32Array, dims: readonly number[]): string {
    const count = dims.reduce((n, d) => n * d, 1);
    if (data.length !== count) throw new Error(`initializer '${name}': ${data.length} values do not fill dims [${dims.join(', ')}] (${count} values)`);
    this.claim(name);
    this.initializers.push({ name, data_type: FLOAT, dims: [...dims], raw_data: littleEndianBytes(data) });
    return name;
  }

  /** A float32 graph input of shape [batch, ...featureDims]. */
  addInput(name: string, featureDims: readonly number[]): string {
    this.claim(name);
    this.inputs.push(batchedValueInfo(name, featureDims));
    return name;
  }

  /** Declares an already produced value as a float32 graph output of shape [batch, ...featureDims]. */
  addOutput(name: string, featureDims: readonly number[]): string {
    if (!this.names.has(name)) throw new Error(`output '${name}' is not produced by any node, input or initializer of graph '${this.graphName}'`);
    this.outputs.push(batchedValueInfo(name, featureDims));
    return name;
  }

  /** output = alpha · a · b (or bᵀ with transB) + beta · c */
  gemm(a: string, b: string, c: string, output: string, options: GemmOptions = {}): string {
    const attributes: Attribute[] = [
      { name: 'alpha', type: ATTRIBUTE_FLOAT, f: options.alpha ?? 1 },
      { name: 'beta', type: ATTRIBUTE_FLOAT, f: options.beta ?? 1 },
      { name: 'transB', type: ATTRIBUTE_INT, i: options.transB ? 1 : 0 },
    ];
    return this.addNode('Gemm', [a, b, c], output, attributes);
  }

  matMul(a: string, b: string, output: string): string {
    return this.addNode('MatMul', [a, b], output);
  }

  add(a: string, b: string, output: string): string {
    return this.addNode('Add', [a, b], output);
  }

  relu(x: string, output: string): string {
    return this.addNode('Relu', [x], output);
  }

  sigmoid(x: string, output: string): string {
    return this.addNode('Sigmoid', [x], output);
  }

  softmax(x: string, output: string, axis = -1): string {
    return this.addNode('Softmax', [x], output, [{ name: 'axis', type: ATTRIBUTE_INT, i: axis }]);
  }

  /** The serialized ModelProto. */
  encode(): Uint8Array {
    if (this.inputs.length === 0 || this.outputs.length === 0) throw new Error(`graph '${this.graphName}' needs at least one input and one output`);
    const ModelProto = loadModelProto();
    const model = ModelProto.fromObject({
      ir_version: IR_VERSION,
      producer_name: PRODUCER_NAME,
      opset_import: [{ domain: '', version: OPSET_VERSION }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return ModelProto.encode(model).finish();
  }

  private addNode(opType: string, inputs: string[], output: string, attribute: Attribute[] = []): string {
    for (const input of inputs) {
      if (!this.names.has(input)) throw new Error(`${opType} node: input '${input}' is not produced by any earlier node, input or initializer`);
    }
    this.claim(output);
    this.nodes.push({ name: `${opType}_${this.nodes.length}`, op_type: opType, input: inputs, output: [output], attribute });
    return output;
  }

  /** ONNX values are single-assignment; a reused name would silently rewire the graph. */
  private claim(name: string): void {
    if (name === '') throw new Error(`graph '${this.graphName}': value names must not be empty`);
    if (this.names.has(name)) throw new Error(`graph '${this.graphName}': value '${name}' is defined twice`);
    this.names.add(name);
  }
}

export interface MlpNames {
  inputName: string;
  outputName: string;
  graphName?: string;
}

/** The network as ONNX: one Gemm per layer (weights [in, out], no transpose) and its activation. */
export function mlpToOnnx(layers: readonly DenseLayer[], names: MlpNames): Uint8Array {
  checkLayers(layers);
  const graph = new OnnxGraphBuilder(names.graphName ?? 'mlp');
  let value = graph.addInput(names.inputName, [layers[0].inFeatures]);
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    const weights = graph.addInitializer(`layer${i}.weight`, layer.weights, [layer.inFeatures, layer.outFeatures]);
    const bias = graph.addInitializer(`layer${i}.bias`, layer.bias, [layer.outFeatures]);
    const result = last && layer.activation === 'none' ? names.outputName : `layer${i}.linear`;
    value = graph.gemm(value, weights, bias, result);
    if (layer.activation !== 'none') value = activate(graph, layer.activation, value, last ? names.outputName : `layer${i}.${layer.activation}`);
  });
  graph.addOutput(value, [layers[layers.length - 1].outFeatures]);
  return graph.encode();
}

function activate(graph: OnnxGraphBuilder, activation: Exclude<DenseLayer['activation'], 'none'>, x: string, output: string): string {
  switch (activation) {
    case 'relu':
      return graph.relu(x, output);
    case 'sigmoid':
      return graph.sigmoid(x, output);
    case 'softmax':
      return graph.softmax(x, output);
  }
}

function batchedValueInfo(name: string, featureDims: readonly number[]): object {
  const dim = [{ dim_param: BATCH_DIM }, ...featureDims.map((d) => ({ dim_value: d }))];
  return { name, type: { tensor_type: { elem_type: FLOAT, shape: { dim } } } };
}

/** ONNX raw_data is little-endian whatever the host; DataView writes it so on any host. */
function littleEndianBytes(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return bytes;
}
