import type { Transaction } from '../../shared/schemas/transaction.js';
import { ANOMALY_WIDTH, featuriseAnomaly } from './anomaly.js';
import type { AnomalyStats } from './anomaly.js';
import { CATEGORISER_WIDTH, featuriseCategoriser } from './categoriser.js';
import { anomalySchemaHash, categoriserSchemaHash } from './schema.js';

/** One model's input: how wide a row is, the schema's hash, and how to fill rows. */
export interface FeatureBlock {
  readonly width: number;
  readonly schemaHash: string;
  /** Row-major float32, `transactions.length × width`; `out` is reused when given. */
  featurise(transactions: readonly Transaction[], out?: Float32Array): Float32Array;
}

/**
 * Both models' featurisation, bound to the anomaly statistics shipped with the models. Pure and
 * stateless: safe to share within a thread and to build once per worker thread.
 *
 * @example
 * const featuriser = new Featuriser(stats);
 * const input = featuriser.categoriser.featurise(transactions); // N × featuriser.categoriser.width
 */
export class Featuriser {
  public readonly categoriser: FeatureBlock;
  public readonly anomaly: FeatureBlock;

  public constructor(public readonly stats: AnomalyStats) {
    this.categoriser = {
      width: CATEGORISER_WIDTH,
      schemaHash: categoriserSchemaHash(),
      featurise: (transactions, out) => featuriseCategoriser(transactions, out),
    };
    this.anomaly = {
      width: ANOMALY_WIDTH,
      schemaHash: anomalySchemaHash(stats),
      featurise: (transactions, out) => featuriseAnomaly(transactions, stats, out),
    };
  }
}
