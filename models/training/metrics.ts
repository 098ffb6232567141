/** Held-out quality figures. All functions are pure and deterministic. */

export interface ClassificationReport {
  readonly accuracy: number;
  readonly macroF1: number;
  /** F1 per class, in class order. */
  readonly f1: readonly number[];
  /** `confusion[truth][predicted]` counts. */
  readonly confusion: readonly (readonly number[])[];
}

export function classificationReport(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): ClassificationReport {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i += 1) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    (confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + 1;
    if (t === p) correct += 1;
  }
  const f1 = confusion.map((row, c) => {
    const tp = row[c] as number;
    const fn = row.reduce((sum, value) => sum + value, 0) - tp;
    const fp = confusion.reduce((sum, other) => sum + (other[c] as number), 0) - tp;
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return { accuracy: correct / Math.max(1, truth.length), macroF1: f1.reduce((sum, value) => sum + value, 0) / classes, f1, confusion };
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting half (the Mann–Whitney statistic, exact with ties).
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number]) end += 1;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k += 1) {
      if (positive[order[k] as number]) {
        positives += 1;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface ThresholdReport {
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Precision, recall and F1 when everything scoring at least `threshold` is flagged. */
export function atThreshold(scores: ArrayLike<number>, positive: ArrayLike<boolean>, threshold: number): ThresholdReport {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i += 1) {
    const flagged = (scores[i] as number) >= threshold;
    if (flagged && positive[i]) tp += 1;
    else if (flagged) fp += 1;
    else if (positive[i]) fn += 1;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { threshold, precision, recall, f1 };
}

/** The threshold (one of the scores) that maximises F1; ties go to the higher threshold. */
export function bestF1Threshold(scores: ArrayLike<number>, positive: ArrayLike<boolean>): ThresholdReport {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let totalPositives = 0;
  for (let i = 0; i < positive.length; i += 1) if (positive[i]) totalPositives += 1;
  let best: ThresholdReport = { threshold: 1, precision: 0, recall: 0, f1: 0 };
  let tp = 0;
  for (let k = 0; k < order.length; k += 1) {
    const index = order[k] as number;
    if (positive[index]) tp += 1;
    const next = order[k + 1];
    // Only a cut between two different scores is a real threshold.
    if (next !== undefined && scores[next] === scores[index]) continue;
    const precision = tp / (k + 1);
    const recall = totalPositives === 0 ? 0 : tp / totalPositives;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (f1 > best.f1) best = { threshold: scores[index] as number, precision, recall, f1 };
  }
  return best;
}
