import type { MlpModel } from '../training/mlp.js';
import type { SoftmaxModel } from '../training/softmax-regression.js';
import type { ModelSpec } from './model-file.js';

/** Names of the graphs' inputs and outputs: the contract with the scorer, pinned in the manifest. */
export const IO_NAMES = {
  categoriser: { input: 'features', output: 'probabilities' },
  anomaly: { input: 'features', output: 'score' },
} as const;

/** `probabilities = Softmax(Gemm(features, weights, bias), axis = 1)`. */
export function categoriserGraph(model: SoftmaxModel, modelVersion: number, metadata: Record<string, string>): ModelSpec {
  return {
    graphName: 'categoriser',
    doc: 'Multinomial logistic regression over hashed transaction features; one probability per category, in manifest order.',
    modelVersion,
    input: { name: IO_NAMES.categoriser.input, width: model.width, doc: 'categoriser feature rows (models/features/categoriser.ts)' },
    output: { name: IO_NAMES.categoriser.output, width: model.classes, doc: 'probability per category' },
    initializers: [
      { name: 'weights', dims: [model.width, model.classes], data: model.weights },
      { name: 'bias', dims: [model.classes], data: model.bias },
    ],
    nodes: [
      { opType: 'Gemm', inputs: [IO_NAMES.categoriser.input, 'weights', 'bias'], outputs: ['logits'] },
      { opType: 'Softmax', inputs: ['logits'], outputs: [IO_NAMES.categoriser.output], attributes: { axis: 1 } },
    ],
    metadata,
  };
}

/** `score = Sigmoid(Gemm(Relu(Gemm((features - mean) * inv_std, w1, b1)), w2, b2))`. */
export function anomalyGraph(model: MlpModel, modelVersion: number, metadata: Record<string, string>): ModelSpec {
  return {
    graphName: 'anomaly',
    doc: 'One-hidden-layer perceptron over standardised anomaly features; the score is in [0, 1].',
    modelVersion,
    input: { name: IO_NAMES.anomaly.input, width: model.inputs, doc: 'anomaly feature rows (models/features/anomaly.ts)' },
    output: { name: IO_NAMES.anomaly.output, width: 1, doc: 'anomaly score in [0, 1]' },
    initializers: [
      { name: 'mean', dims: [model.inputs], data: model.mean },
      { name: 'inv_std', dims: [model.inputs], data: model.invStd },
      { name: 'w1', dims: [model.inputs, model.hidden], data: model.w1 },
      { name: 'b1', dims: [model.hidden], data: model.b1 },
      { name: 'w2', dims: [model.hidden, 1], data: model.w2 },
      { name: 'b2', dims: [1], data: model.b2 },
    ],
    nodes: [
      { opType: 'Sub', inputs: [IO_NAMES.anomaly.input, 'mean'], outputs: ['centred'] },
      { opType: 'Mul', inputs: ['centred', 'inv_std'], outputs: ['standardised'] },
      { opType: 'Gemm', inputs: ['standardised', 'w1', 'b1'], outputs: ['hidden_linear'] },
      { opType: 'Relu', inputs: ['hidden_linear'], outputs: ['hidden'] },
      { opType: 'Gemm', inputs: ['hidden', 'w2', 'b2'], outputs: ['logit'] },
      { opType: 'Sigmoid', inputs: ['logit'], outputs: [IO_NAMES.anomaly.output] },
    ],
    metadata,
  };
}

/** Rebuilds a `SoftmaxModel` from a decoded file's initializers (for the parity check). */
export function softmaxFromInitializers(initializers: ReadonlyMap<string, { dims: readonly number[]; data: Float32Array }>): SoftmaxModel {
  const weights = initializers.get('weights');
  const bias = initializers.get('bias');
  if (!weights || !bias) throw new TypeError('categoriser graph lacks weights or bias');
  return { width: weights.dims[0] ?? 0, classes: weights.dims[1] ?? 0, weights: weights.data, bias: bias.data };
}

/** Rebuilds an `MlpModel` from a decoded file's initializers (for the parity check). */
export function mlpFromInitializers(initializers: ReadonlyMap<string, { dims: readonly number[]; data: Float32Array }>): MlpModel {
  const get = (name: string) => {
    const tensor = initializers.get(name);
    if (!tensor) throw new TypeError(`anomaly graph lacks ${name}`);
    return tensor;
  };
  const w1 = get('w1');
  return {
    inputs: w1.dims[0] ?? 0,
    hidden: w1.dims[1] ?? 0,
    mean: get('mean').data,
    invStd: get('inv_std').data,
    w1: w1.data,
    b1: get('b1').data,
    w2: get('w2').data,
    b2: get('b2').data,
  };
}
