import { Random } from '../synthetic/random.js';

/**
 * A one-hidden-layer perceptron with a sigmoid output, inputs standardised first:
 * `sigmoid(relu(((x - mean) * invStd) · w1 + b1) · w2 + b2)`. Matrices row-major `[in × out]`.
 */
export interface MlpModel {
  readonly inputs: number;
  readonly hidden: number;
  readonly mean: Float32Array;
  readonly invStd: Float32Array;
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

export interface MlpTrainingOptions {
  /** Hidden units. @default 16 */
  readonly hidden?: number;
  /** Passes over the training rows. @default 20 */
  readonly epochs?: number;
  /** Rows per Adam step. @default 64 */
  readonly batchSize?: number;
  /** Adam step size. @default 0.003 */
  readonly learningRate?: number;
  /** L2 penalty on the weight matrices. @default 1e-4 */
  readonly l2?: number;
  /** Seeds the initial weights and the visiting order. */
  readonly seed: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private step = 0;
  public constructor(
    private readonly params: Float64Array,
    private readonly learningRate: number,
  ) {
    this.m = new Float64Array(params.length);
    this.v = new Float64Array(params.length);
  }
  public apply(grad: Float64Array, t: number): void {
    this.step = t;
    const correction1 = 1 - BETA1 ** this.step;
    const correction2 = 1 - BETA2 ** this.step;
    for (let i = 0; i < this.params.length; i += 1) {
      const g = grad[i] as number;
      this.m[i] = BETA1 * (this.m[i] as number) + (1 - BETA1) * g;
      this.v[i] = BETA2 * (this.v[i] as number) + (1 - BETA2) * g * g;
      const mHat = (this.m[i] as number) / correction1;
      const vHat = (this.v[i] as number) / correction2;
      this.params[i] = (this.params[i] as number) - (this.learningRate * mHat) / (Math.sqrt(vHat) + EPSILON);
    }
  }
}

/** Column means and inverse standard deviations (1 for constant columns). */
function standardisation(x: Float32Array, rows: number, inputs: number): { mean: Float32Array; invStd: Float32Array } {
  const mean = new Float64Array(inputs);
  const squares = new Float64Array(inputs);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < inputs; c += 1) {
      const value = x[r * inputs + c] as number;
      mean[c] = (mean[c] as number) + value;
      squares[c] = (squares[c] as number) + value * value;
    }
  }
  const invStd = new Float64Array(inputs);
  for (let c = 0; c < inputs; c += 1) {
    mean[c] = (mean[c] as number) / rows;
    const variance = (squares[c] as number) / rows - (mean[c] as number) ** 2;
    invStd[c] = variance > 1e-12 ? 1 / Math.sqrt(variance) : 1;
  }
  return { mean: Float32Array.from(mean), invStd: Float32Array.from(invStd) };
}

/**
 * Trains with binary cross-entropy and Adam on mini-batches, in float64, then rounds the weights
 * to float32 (what ONNX carries). Deterministic for a given seed.
 */
export function trainMlp(x: Float32Array, targets: ArrayLike<boolean>, inputs: number, options: MlpTrainingOptions): MlpModel {
  const hidden = options.hidden ?? 16;
  const epochs = options.epochs ?? 20;
  const batchSize = options.batchSize ?? 64;
  const learningRate = options.learningRate ?? 0.003;
  const l2 = options.l2 ?? 1e-4;
  const rows = targets.length;
  const random = new Random(options.seed, 0x4d4c);
  const { mean, invStd } = standardisation(x, rows, inputs);

  // Standardise once, in float32 as the ONNX graph will.
  const z = new Float32Array(rows * inputs);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < inputs; c += 1) z[r * inputs + c] = Math.fround(Math.fround((x[r * inputs + c] as number) - (mean[c] as number)) * (invStd[c] as number));
  }

  // Parameters in one array so one Adam serves them all: w1 | b1 | w2 | b2.
  const w1At = 0;
  const b1At = inputs * hidden;
  const w2At = b1At + hidden;
  const b2At = w2At + hidden;
  const params = new Float64Array(b2At + 1);
  const scale1 = Math.sqrt(2 / inputs);
  for (let i = 0; i < inputs * hidden; i += 1) params[w1At + i] = random.normal() * scale1;
  const scale2 = Math.sqrt(1 / hidden);
  for (let i = 0; i < hidden; i += 1) params[w2At + i] = random.normal() * scale2;

  const adam = new Adam(params, learningRate);
  const grad = new Float64Array(params.length);
  const activation = new Float64Array(hidden);
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  let step = 0;

  for (let epoch = 0; epoch < epochs; epoch += 1) {
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random.next() * (i + 1));
      const swap = order[i] as number;
      order[i] = order[j] as number;
      order[j] = swap;
    }
    for (let start = 0; start < rows; start += batchSize) {
      const end = Math.min(rows, start + batchSize);
      grad.fill(0);
      for (let k = start; k < end; k += 1) {
        const row = order[k] as number;
        const base = row * inputs;
        let logit = params[b2At] as number;
        for (let h = 0; h < hidden; h += 1) {
          let sum = params[b1At + h] as number;
          for (let c = 0; c < inputs; c += 1) sum += (z[base + c] as number) * (params[w1At + c * hidden + h] as number);
          const a = sum > 0 ? sum : 0;
          activation[h] = a;
          logit += a * (params[w2At + h] as number);
        }
        const p = 1 / (1 + Math.exp(-logit));
        const delta = p - (targets[row] ? 1 : 0);
        grad[b2At] = (grad[b2At] as number) + delta;
        for (let h = 0; h < hidden; h += 1) {
          const a = activation[h] as number;
          grad[w2At + h] = (grad[w2At + h] as number) + delta * a;
          if (a <= 0) continue;
          const back = delta * (params[w2At + h] as number);
          grad[b1At + h] = (grad[b1At + h] as number) + back;
          for (let c = 0; c < inputs; c += 1) grad[w1At + c * hidden + h] = (grad[w1At + c * hidden + h] as number) + back * (z[base + c] as number);
        }
      }
      const n = end - start;
      for (let i = 0; i < params.length; i += 1) grad[i] = (grad[i] as number) / n;
      for (let i = 0; i < inputs * hidden; i += 1) grad[w1At + i] = (grad[w1At + i] as number) + l2 * (params[w1At + i] as number);
      for (let i = 0; i < hidden; i += 1) grad[w2At + i] = (grad[w2At + i] as number) + l2 * (params[w2At + i] as number);
      step += 1;
      adam.apply(grad, step);
    }
  }
  return {
    inputs,
    hidden,
    mean,
    invStd,
    w1: Float32Array.from(params.subarray(w1At, b1At)),
    b1: Float32Array.from(params.subarray(b1At, w2At)),
    w2: Float32Array.from(params.subarray(w2At, b2At)),
    b2: Float32Array.from(params.subarray(b2At, b2At + 1)),
  };
}
