import type { Transaction } from '../../shared/schemas/transaction.js';

/** Rows in compressed sparse row form: row r's entries are `[indptr[r], indptr[r + 1])`. */
export interface SparseRows {
  readonly rows: number;
  readonly width: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

const CHUNK = 1024;

/**
 * Runs the scorer's own dense featurisation chunk by chunk and keeps the non-zeros: training
 * sees exactly the float32 values inference will, at a fraction of the memory.
 */
export function sparseFromDense(
  transactions: readonly Transaction[],
  width: number,
  featurise: (batch: readonly Transaction[], out: Float32Array) => Float32Array,
): SparseRows {
  const indptr = new Int32Array(transactions.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const buffer = new Float32Array(CHUNK * width);
  for (let start = 0; start < transactions.length; start += CHUNK) {
    const batch = transactions.slice(start, start + CHUNK);
    const dense = featurise(batch, buffer);
    for (let r = 0; r < batch.length; r += 1) {
      const base = r * width;
      for (let c = 0; c < width; c += 1) {
        const value = dense[base + c] as number;
        if (value !== 0) {
          indices.push(c);
          values.push(value);
        }
      }
      indptr[start + r + 1] = indices.length;
    }
  }
  return { rows: transactions.length, width, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}
