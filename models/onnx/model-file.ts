import { ATTRIBUTE_INT, FLOAT, ModelProto } from './proto.js';
import type { ModelMessage, TensorMessage } from './proto.js';

/** The opset both models are written against; onnxruntime 1.x runs it on CPU. */
export const OPSET = 17;
/** The IR version that goes with opset 17. */
export const IR_VERSION = 8;
export const PRODUCER = 'realtime-insights models/build.ts';
/** The name of the dynamic first dimension of every input and output. */
export const BATCH_DIM = 'batch';

export interface TensorSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface NodeSpec {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer attributes only (axis, transB); enough for these graphs. */
  readonly attributes?: Readonly<Record<string, number>>;
}

/** A float32 `[batch, width]` graph input or output. */
export interface IoSpec {
  readonly name: string;
  readonly width: number;
  readonly doc: string;
}

export interface ModelSpec {
  readonly graphName: string;
  readonly doc: string;
  readonly modelVersion: number;
  readonly input: IoSpec;
  readonly output: IoSpec;
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly TensorSpec[];
  /** Written as `metadata_props`, sorted by key. */
  readonly metadata: Readonly<Record<string, string>>;
}

function floatBytes(data: Float32Array): Uint8Array {
  // Explicit little-endian, as ONNX raw_data requires, whatever the host's byte order.
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i += 1) view.setFloat32(i * 4, data[i] as number, true);
  return bytes;
}

function valueInfo(io: IoSpec): object {
  return {
    name: io.name,
    doc_string: io.doc,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_param: BATCH_DIM }, { dim_value: io.width }] } } },
  };
}

/** Serialises a model to the bytes of an `.onnx` file; the same spec always gives the same bytes. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  for (const tensor of spec.initializers) {
    const size = tensor.dims.reduce((product, dim) => product * dim, 1);
    if (size !== tensor.data.length) throw new RangeError(`initializer ${tensor.name}: dims ${tensor.dims.join('×')} need ${size} values, got ${tensor.data.length}`);
  }
  const message = {
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: PRODUCER,
    producer_version: '1',
    domain: 'realtime-insights',
    model_version: spec.modelVersion,
    doc_string: spec.doc,
    graph: {
      name: spec.graphName,
      node: spec.nodes.map((node, index) => ({
        name: `${node.opType.toLowerCase()}_${index}`,
        op_type: node.opType,
        input: [...node.inputs],
        output: [...node.outputs],
        attribute: Object.entries(node.attributes ?? {}).map(([name, value]) => ({ name, type: ATTRIBUTE_INT, i: value })),
      })),
      initializer: spec.initializers.map((tensor) => ({ name: tensor.name, dims: [...tensor.dims], data_type: FLOAT, raw_data: floatBytes(tensor.data) })),
      input: [valueInfo(spec.input)],
      output: [valueInfo(spec.output)],
    },
    metadata_props: Object.keys(spec.metadata)
      .sort()
      .map((key) => ({ key, value: spec.metadata[key] })),
  };
  const error = ModelProto.verify(message);
  if (error) throw new TypeError(`invalid ONNX model message: ${error}`);
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

/** What the loader and the parity test read back from a model file. */
export interface DecodedModel {
  readonly irVersion: number;
  readonly opset: number;
  readonly modelVersion: number;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly opTypes: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly initializers: ReadonlyMap<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;
}

const toNumber = (value: number | { toNumber(): number } | undefined): number => (value === undefined ? 0 : typeof value === 'number' ? value : value.toNumber());

function tensorData(tensor: TensorMessage): Float32Array {
  if (tensor.raw_data && tensor.raw_data.length > 0) {
    const raw = tensor.raw_data;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(raw.byteLength / 4);
    for (let i = 0; i < out.length; i += 1) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  return Float32Array.from(tensor.float_data ?? []);
}

/** Parses `.onnx` bytes; throws protobufjs's error when they are not a ModelProto. */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  const message = ModelProto.toObject(ModelProto.decode(bytes), { defaults: false, arrays: true, bytes: Uint8Array }) as ModelMessage;
  const graph = message.graph ?? {};
  const metadata: Record<string, string> = {};
  for (const entry of message.metadata_props ?? []) if (entry.key !== undefined) metadata[entry.key] = entry.value ?? '';
  const initializers = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const tensor of graph.initializer ?? []) {
    if (tensor.data_type !== FLOAT) continue;
    initializers.set(tensor.name ?? '', { dims: (tensor.dims ?? []).map(toNumber), data: tensorData(tensor) });
  }
  return {
    irVersion: toNumber(message.ir_version),
    opset: toNumber(message.opset_import?.find((entry) => (entry.domain ?? '') === '')?.version),
    modelVersion: toNumber(message.model_version),
    inputs: (graph.input ?? []).map((value) => value.name ?? ''),
    outputs: (graph.output ?? []).map((value) => value.name ?? ''),
    opTypes: (graph.node ?? []).map((node) => node.op_type ?? ''),
    metadata,
    initializers,
  };
}
