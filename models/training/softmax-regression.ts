import { Random } from '../synthetic/random.js';
import type { SparseRows } from './sparse.js';

/** Multinomial logistic regression: `softmax(x · weights + bias)`, weights `[width × classes]` row-major. */
export interface SoftmaxModel {
  readonly width: number;
  readonly classes: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

export interface SoftmaxTrainingOptions {
  /** Passes over the training rows. @default 8 */
  readonly epochs?: number;
  /** AdaGrad base step. @default 0.4 */
  readonly learningRate?: number;
  /** L2 penalty per weight, applied where a row touches it. @default 1e-6 */
  readonly l2?: number;
  /** Seeds the order rows are visited in. */
  readonly seed: number;
}

const EPSILON = 1e-8;

/**
 * Trains by per-row AdaGrad over sparse rows: each row touches only its few dozen non-zero
 * columns, so an epoch over tens of thousands of rows takes a fraction of a second. Rows are
 * visited in a seeded shuffled order, so training is reproducible to the bit.
 */
export function trainSoftmaxRegression(data: SparseRows, labels: ArrayLike<number>, classes: number, options: SoftmaxTrainingOptions): SoftmaxModel {
  const epochs = options.epochs ?? 8;
  const learningRate = options.learningRate ?? 0.4;
  const l2 = options.l2 ?? 1e-6;
  const { width, indptr, indices, values } = data;
  const weights = new Float64Array(width * classes);
  const bias = new Float64Array(classes);
  const weightSquares = new Float64Array(width * classes);
  const biasSquares = new Float64Array(classes);
  const logits = new Float64Array(classes);
  const random = new Random(options.seed, 0x534d);
  const order = Int32Array.from({ length: data.rows }, (_, i) => i);

  for (let epoch = 0; epoch < epochs; epoch += 1) {
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random.next() * (i + 1));
      const swap = order[i] as number;
      order[i] = order[j] as number;
      order[j] = swap;
    }
    for (const row of order) {
      const start = indptr[row] as number;
      const end = indptr[row + 1] as number;
      for (let k = 0; k < classes; k += 1) logits[k] = bias[k] as number;
      for (let e = start; e < end; e += 1) {
        const base = (indices[e] as number) * classes;
        const x = values[e] as number;
        for (let k = 0; k < classes; k += 1) logits[k] = (logits[k] as number) + x * (weights[base + k] as number);
      }
      softmaxInPlace(logits);
      const label = labels[row] as number;
      for (let k = 0; k < classes; k += 1) {
        const g = (logits[k] as number) - (k === label ? 1 : 0);
        biasSquares[k] = (biasSquares[k] as number) + g * g;
        bias[k] = (bias[k] as number) - (learningRate * g) / (Math.sqrt(biasSquares[k] as number) + EPSILON);
        for (let e = start; e < end; e += 1) {
          const at = (indices[e] as number) * classes + k;
          const grad = g * (values[e] as number) + l2 * (weights[at] as number);
          weightSquares[at] = (weightSquares[at] as number) + grad * grad;
          weights[at] = (weights[at] as number) - (learningRate * grad) / (Math.sqrt(weightSquares[at] as number) + EPSILON);
        }
      }
    }
  }
  return { width, classes, weights: Float32Array.from(weights), bias: Float32Array.from(bias) };
}

export function softmaxInPlace(values: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > max) max = value;
  let sum = 0;
  for (let k = 0; k < values.length; k += 1) {
    const e = Math.exp((values[k] as number) - max);
    values[k] = e;
    sum += e;
  }
  for (let k = 0; k < values.length; k += 1) values[k] = (values[k] as number) / sum;
}
