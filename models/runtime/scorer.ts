import { Tensor } from 'onnxruntime-node';
import { CATEGORIES } from '../../shared/schemas/categories.js';
import type { Category } from '../../shared/schemas/categories.js';
import type { Transaction } from '../../shared/schemas/transaction.js';
import { ScoringError } from '../errors.js';
import { BufferPool } from './buffer-pool.js';
import { ModelSet } from './loader.js';
import type { LoadModelsOptions } from './loader.js';
import type { ModelName } from './manifest.js';

/** What the models say about one transaction. */
export interface TransactionScore {
  /** The most probable category. */
  readonly category: Category;
  /** Probability per category, in `CATEGORIES` order; sums to 1. */
  readonly categoryScores: number[];
  /** In [0, 1]; higher is more unusual. */
  readonly anomalyScore: number;
  /** `anomalyScore` at or above the manifest's threshold. */
  readonly isAnomaly: boolean;
}

/**
 * Scores batches of transactions: one featurisation and one `session.run` per model per batch.
 * Holds no state between batches, so any number may run in parallel threads, each with its own.
 *
 * @example
 * // inside a worker thread
 * const scorer = await TransactionScorer.create({ intraOpNumThreads: 1 });
 * const scores = await scorer.score(transactions);
 * await scorer.close();
 */
export class TransactionScorer {
  /** `version+sha256 prefix` of each model, for the `models` field of a scored result. */
  public readonly modelIds: Readonly<Record<ModelName, string>>;
  private readonly threshold: number;
  private readonly buffers: Readonly<Record<ModelName, BufferPool>> = { categoriser: new BufferPool(), anomaly: new BufferPool() };

  public constructor(
    public readonly models: ModelSet,
    private readonly ownsModels = false,
  ) {
    const { categoriser, anomaly } = models.manifest.models;
    this.modelIds = {
      categoriser: `categoriser@${categoriser.version}+${categoriser.sha256.slice(0, 12)}`,
      anomaly: `anomaly@${anomaly.version}+${anomaly.sha256.slice(0, 12)}`,
    };
    this.threshold = anomaly.threshold;
  }

  /** Loads and verifies the models (see `ModelSet.load`) and returns a scorer that owns them. */
  public static async create(options: LoadModelsOptions = {}): Promise<TransactionScorer> {
    return new TransactionScorer(await ModelSet.load(options), true);
  }

  /** One score per transaction, in order. An empty batch runs nothing. */
  public async score(transactions: readonly Transaction[]): Promise<TransactionScore[]> {
    const rows = transactions.length;
    if (rows === 0) return [];
    const { featuriser, manifest, sessions } = this.models;
    const run = async (name: ModelName): Promise<Float32Array> => {
      const block = featuriser[name];
      const { inputs, outputs } = manifest.models[name];
      const buffer = this.buffers[name].acquire(rows * block.width);
      try {
        const input = new Tensor('float32', block.featurise(transactions, buffer), [rows, block.width]);
        const output = await sessions[name].run({ [inputs[0]?.name ?? '']: input });
        return output[outputs[0]?.name ?? '']?.data as Float32Array;
      } catch (error) {
        throw new ScoringError(name, rows, { cause: error });
      } finally {
        this.buffers[name].release(buffer);
      }
    };
    const [probabilities, anomalyScores] = await Promise.all([run('categoriser'), run('anomaly')]);

    const classes = CATEGORIES.length;
    const scores: TransactionScore[] = new Array(rows);
    for (let r = 0; r < rows; r += 1) {
      const categoryScores = Array.from(probabilities.subarray(r * classes, (r + 1) * classes));
      let best = 0;
      for (let k = 1; k < classes; k += 1) if ((categoryScores[k] as number) > (categoryScores[best] as number)) best = k;
      const anomalyScore = Math.min(1, Math.max(0, anomalyScores[r] as number));
      scores[r] = { category: CATEGORIES[best] as Category, categoryScores, anomalyScore, isAnomaly: anomalyScore >= this.threshold };
    }
    return scores;
  }

  /** Releases the sessions if this scorer loaded them; idempotent. */
  public close(): Promise<void> {
    return this.ownsModels ? this.models.close() : Promise.resolve();
  }
}
