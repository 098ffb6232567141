import { InvalidRecordError } from '../../shared/kinesis/index.js';
import type { ProducerRecord, PutResult } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { CATEGORIES } from '../../shared/schemas/categories.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { RejectStage, buildRejectRecord } from '../../shared/rejects/reject-record.js';
import { SCORED_RESULT_VERSION } from '../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { streamPartitionKey } from '../../shared/schemas/stream-partition-key.js';
import { normaliseValidatedBrokerTransaction } from '../../shared/schemas/transaction.js';
import type { Transaction } from '../../shared/schemas/transaction.js';
import type { RejectStore } from '../../shared/rejects/reject-store.js';
import { ScoringWriteError } from './errors.js';
import type { BatchScores, ModelVersions } from './inference/messages.js';
import { laneOf } from '../../shared/scoring-job.js';
import type { ScoringJobData, ScoringJobRecord, ScoringJobResult } from '../../shared/scoring-job.js';
import type { LaneName } from '../../shared/schemas/transaction-change.js';

/** What scores a batch: the inference pool, or a stand-in in tests. */
export interface BatchScorer {
  score(transactions: readonly Transaction[]): Promise<BatchScores>;
  readonly modelVersions: ModelVersions;
}

/** Where results go: the Kinesis producer on a results stream. */
export interface ResultWriter {
  put(record: ProducerRecord): Promise<PutResult>;
}

/** A result writer per lane: a backfill's results go to the history lane's stream, so they never stand ahead of live ones on a results shard. */
export type LaneResultWriters = Readonly<Record<LaneName, ResultWriter>>;

export interface ScoringProcessorOptions {
  readonly scorer: BatchScorer;
  /** Producers on RESULTS_STREAM_NAME (live) and RESULTS_HISTORY_STREAM_NAME (history). */
  readonly results: LaneResultWriters;
  readonly rejectStore: RejectStore;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/** A record that can never be scored as it is, and why. */
interface Unscorable {
  readonly entry: ScoringJobRecord;
  readonly message: string;
}

/** Scores are probabilities; float32 arithmetic may overshoot [0, 1] by a few ulps. */
const SCORE_TOLERANCE = 1e-6;

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/**
 * Runs one scoring job: normalises each record, featurises and scores them in one batch on the
 * inference pool, and writes one `ScoredResult` per record to the results stream (partition key
 * user and month, see `streamPartitionKey`), its change envelope carried over unchanged. A record that can never be scored (it does not normalise, its scores are not finite
 * probabilities, its result cannot be put) goes to the reject store as
 * `unscorable` and the rest proceed; the job resolves only once every result and reject is
 * durable, and rejects (so BullMQ retries it) if any write failed.
 *
 * @example
 * const processor = new ScoringProcessor({ scorer: pool, results: { live, history }, rejectStore });
 * const { scored, rejected } = await processor.process(job.data, job.id);
 */
export class ScoringProcessor {
  private readonly scorer: BatchScorer;
  private readonly results: LaneResultWriters;
  private readonly rejectStore: RejectStore;
  private readonly now: () => Date;
  private readonly log: Logger;
  /** One copy shared by every result (results are serialised, never mutated), taken at the first result. */
  private models: ModelVersions | undefined;

  public constructor(options: ScoringProcessorOptions) {
    this.scorer = options.scorer;
    this.results = options.results;
    this.rejectStore = options.rejectStore;
    this.now = options.now ?? (() => new Date());
    this.log = options.logger ?? silentLogger();
  }

  public async process(data: ScoringJobData, jobId: string): Promise<ScoringJobResult> {
    const unscorable: Unscorable[] = [];
    const valid: { entry: ScoringJobRecord; transaction: Transaction }[] = [];
    const now = this.now();
    for (const entry of data.records) {
      try {
        valid.push({ entry, transaction: normaliseValidatedBrokerTransaction(entry.record.transaction, now) });
      } catch (error) {
        const code = (error as { code?: string }).code;
        unscorable.push({ entry, message: `does not normalise: ${code === undefined ? '' : `${code}: `}${(error as Error).message}` });
      }
    }

    const results: { entry: ScoringJobRecord; result: ScoredResult }[] = [];
    if (valid.length > 0) {
      // A whole-batch failure (thread died, pool closing) throws: transient, BullMQ retries the job.
      const scores = await this.scorer.score(valid.map((v) => v.transaction));
      const failed = new Map(scores.failures.map((f) => [f.index, f.message]));
      const scoredAt = now.toISOString();
      valid.forEach(({ entry, transaction }, index) => {
        const failure = failed.get(index);
        if (failure !== undefined) return void unscorable.push({ entry, message: `scoring failed: ${failure}` });
        const built = this.buildResult(entry, transaction, scores, index, scoredAt);
        if (typeof built === 'string') unscorable.push({ entry, message: built });
        else results.push({ entry, result: built });
      });
    }

    const writes = [
      ...results.map(({ entry, result }) =>
        this.results[data.lane ?? laneOf(entry.record)].put({ data: JSON.stringify(result), partitionKey: streamPartitionKey(result) }).then(
          () => 'scored' as const,
          async (error: unknown) => {
            // A record the producer can never send (it says so at once) is unscorable, not a retry.
            if (!(error instanceof InvalidRecordError)) throw error;
            await this.reject(data, { entry, message: `result cannot be put: ${error.message}` });
            return 'rejected' as const;
          },
        ),
      ),
      ...unscorable.map((item) => this.reject(data, item).then(() => 'rejected' as const)),
    ];
    const settled = await Promise.allSettled(writes);
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failures.length > 0) throw new ScoringWriteError(jobId, failures.length, settled.length, { cause: failures[0]?.reason });
    const rejected = settled.filter((s) => s.status === 'fulfilled' && s.value === 'rejected').length;
    if (rejected > 0) this.log.warn({ jobId, rejected, shardId: data.shardId }, 'unscorable records set aside');
    return { scored: settled.length - rejected, rejected };
  }

  /**
   * The record's result, or why it cannot have one. Built to the contract from checked parts (a
   * normalised transaction, the scores checked here in one pass over the batch's typed array, the
   * raw record's validated envelope), so it is not parsed again: the projector parses every result
   * it reads, and a zod pass per record was a tenth of the scorer's CPU.
   */
  private buildResult(entry: ScoringJobRecord, transaction: Transaction, scores: BatchScores, index: number, scoredAt: string): ScoredResult | string {
    const width = scores.categories;
    if (width !== CATEGORIES.length) return `categoriser gave ${width} scores, expected ${CATEGORIES.length}`;
    const categoryScores = new Array<number>(width);
    const offset = index * width;
    for (let c = 0; c < width; c += 1) {
      const p = scores.categoryScores[offset + c] as number;
      if (!(p >= -SCORE_TOLERANCE && p <= 1 + SCORE_TOLERANCE)) {
        return `category scores are not probabilities: ${JSON.stringify(Array.from(scores.categoryScores.subarray(offset, offset + width)))}`;
      }
      categoryScores[c] = clamp01(p);
    }
    const anomaly = scores.anomalyScores[index];
    if (anomaly === undefined || !(anomaly >= -SCORE_TOLERANCE && anomaly <= 1 + SCORE_TOLERANCE)) return `anomaly score is not in [0, 1]: ${anomaly}`;
    const category = CATEGORIES[scores.categoryIndex[index] ?? CATEGORIES.length];
    if (category === undefined) return `categoriser gave no category (index ${scores.categoryIndex[index]})`;
    const { contentHash, ingestedAt, change } = entry.record;
    const { merchant, amount } = transaction;
    const result: ScoredResult = {
      v: SCORED_RESULT_VERSION,
      transactionId: transaction.transactionId,
      userId: transaction.userId,
      accountId: transaction.accountId,
      bookedAt: transaction.bookedAt,
      amount: { minor: amount.minor, currency: amount.currency },
      merchant: merchant.mcc === undefined ? { name: merchant.name } : { name: merchant.name, mcc: merchant.mcc },
      category,
      categoryScores,
      anomalyScore: clamp01(anomaly),
      isAnomaly: scores.isAnomaly[index] === 1,
      models: (this.models ??= Object.freeze({ ...this.scorer.modelVersions })),
      contentHash,
      ingestedAt,
      scoredAt,
    };
    // Which version of the transaction this is: passed on untouched for the view to collapse.
    if (change !== undefined) result.change = change;
    return result;
  }

  private async reject(data: ScoringJobData, { entry, message }: Unscorable): Promise<void> {
    await this.rejectStore.put(
      buildRejectRecord({
        code: RejectCode.Unscorable,
        message,
        stage: RejectStage.Scorer,
        source: { stream: data.stream, shardId: data.shardId, sequenceNumber: entry.sequenceNumber },
        raw: JSON.stringify(entry.record),
        transactionId: entry.record.transaction.transactionId,
      }),
    );
  }
}
