import type { MlpModel } from './mlp.js';
import type { SoftmaxModel } from './softmax-regression.js';
import { softmaxInPlace } from './softmax-regression.js';

/**
 * Plain TypeScript forward passes of the exported weights. Training reports its metrics with
 * them, and the parity test holds onnxruntime's outputs to them.
 */

/** Class probabilities, `rows × classes` row-major. */
export function softmaxForward(model: SoftmaxModel, x: Float32Array, rows: number): Float64Array {
  const { width, classes, weights, bias } = model;
  const out = new Float64Array(rows * classes);
  const logits = new Float64Array(classes);
  for (let r = 0; r < rows; r += 1) {
    for (let k = 0; k < classes; k += 1) logits[k] = bias[k] as number;
    const base = r * width;
    for (let c = 0; c < width; c += 1) {
      const value = x[base + c] as number;
      if (value === 0) continue;
      const at = c * classes;
      for (let k = 0; k < classes; k += 1) logits[k] = (logits[k] as number) + value * (weights[at + k] as number);
    }
    softmaxInPlace(logits);
    out.set(logits, r * classes);
  }
  return out;
}

/** Anomaly scores in [0, 1], one per row. */
export function mlpForward(model: MlpModel, x: Float32Array, rows: number): Float64Array {
  const { inputs, hidden, mean, invStd, w1, b1, w2, b2 } = model;
  const out = new Float64Array(rows);
  const z = new Float64Array(inputs);
  for (let r = 0; r < rows; r += 1) {
    // Standardise in float32, as the graph's Sub and Mul do.
    for (let c = 0; c < inputs; c += 1) z[c] = Math.fround(Math.fround((x[r * inputs + c] as number) - (mean[c] as number)) * (invStd[c] as number));
    let logit = b2[0] as number;
    for (let h = 0; h < hidden; h += 1) {
      let sum = b1[h] as number;
      for (let c = 0; c < inputs; c += 1) sum += (z[c] as number) * (w1[c * hidden + h] as number);
      if (sum > 0) logit += sum * (w2[h] as number);
    }
    out[r] = 1 / (1 + Math.exp(-logit));
  }
  return out;
}

/** Index of the largest value in each row. */
export function argmaxRows(values: ArrayLike<number>, rows: number, width: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r += 1) {
    let best = 0;
    for (let k = 1; k < width; k += 1) if ((values[r * width + k] as number) > (values[r * width + best] as number)) best = k;
    out[r] = best;
  }
  return out;
}
