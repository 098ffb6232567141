import { InvalidRecordError } from '../../shared/kinesis/index.js';
import type { ProducerRecord, PutResult } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { CATEGORIES } from '../../shared/schemas/categories.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { RejectStage, buildRejectRecord } from '../../shared/rejects/reject-record.js';
import { SCORED_RESULT_VERSION } from '../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { RESULTS_RECORD_MAX_BYTES, packScoredResults } from '../../shared/schemas/scored-results-record.js';
import type { PackedResults } from '../../shared/schemas/scored-results-record.js';
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
  /** Largest results-stream record the results are packed into. @default RESULTS_RECORD_MAX_BYTES (one PUT payload unit, 25 KB) */
  readonly resultsRecordMaxBytes?: number;
}

/** A record that can never be scored as it is, and why. */
interface Unscorable {
  readonly entry: ScoringJobRecord;
  readonly message: string;
}

/** A result and the job record it was scored from. */
interface Scored {
  readonly entry: ScoringJobRecord;
  readonly result: ScoredResult;
}

/** What one write settled: results now on the stream, records set aside. */
interface WriteOutcome {
  readonly scored: number;
  readonly rejected: number;
}

function sumOutcomes(outcomes: readonly WriteOutcome[]): WriteOutcome {
  return outcomes.reduce((sum, o) => ({ scored: sum.scored + o.scored, rejected: sum.rejected + o.rejected }), { scored: 0, rejected: 0 });
}

/** Scores are probabilities; float32 arithmetic may overshoot [0, 1] by a few ulps. */
const SCORE_TOLERANCE = 1e-6;

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/**
 * Runs one scoring job: normalises each record, featurises and scores them in one batch on the
 * inference pool, and writes one `ScoredResult` per record, its change envelope carried over
 * unchanged, to its lane's results stream, packed many to a Kinesis record (see
 * `scored-results-record.ts`). A record that can never be scored (it does not normalise, its scores
 * are not finite probabilities, its result cannot be put) goes to the reject store as
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
  private readonly resultsRecordMaxBytes: number;
  /** One copy shared by every result (results are serialised, never mutated), taken at the first result. */
  private models: ModelVersions | undefined;

  public constructor(options: ScoringProcessorOptions) {
    this.scorer = options.scorer;
    this.results = options.results;
    this.rejectStore = options.rejectStore;
    this.now = options.now ?? (() => new Date());
    this.log = options.logger ?? silentLogger();
    this.resultsRecordMaxBytes = options.resultsRecordMaxBytes ?? RESULTS_RECORD_MAX_BYTES;
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

    const results: Scored[] = [];
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

    const byLane = new Map<LaneName, Scored[]>();
    for (const scored of results) {
      const lane = data.lane ?? laneOf(scored.entry.record);
      const list = byLane.get(lane);
      if (list === undefined) byLane.set(lane, [scored]);
      else list.push(scored);
    }
    const writes: Promise<WriteOutcome>[] = [
      ...[...byLane].flatMap(([lane, scored]) => packScoredResults(scored.map((s) => s.result), this.resultsRecordMaxBytes).map((packed) => this.write(data, lane, packed, scored.slice(packed.first, packed.first + packed.count)))),
      ...unscorable.map((item) => this.reject(data, item).then(() => ({ scored: 0, rejected: 1 }))),
    ];
    const settled = await Promise.allSettled(writes);
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failures.length > 0) throw new ScoringWriteError(jobId, failures.length, settled.length, { cause: failures[0]?.reason });
    const outcome = sumOutcomes((settled as PromiseFulfilledResult<WriteOutcome>[]).map((s) => s.value));
    if (outcome.rejected > 0) this.log.warn({ jobId, rejected: outcome.rejected, shardId: data.shardId }, 'unscorable records set aside');
    return outcome;
  }

  /**
   * Puts one packed record. A record the producer can never send (it says so at once) is retried
   * one result to a record, so only a result that cannot be put alone is set aside, as unscorable.
   */
  private async write(data: ScoringJobData, lane: LaneName, packed: Pick<PackedResults, 'data' | 'partitionKey'>, carried: readonly Scored[]): Promise<WriteOutcome> {
    try {
      await this.results[lane].put({ data: packed.data, partitionKey: packed.partitionKey });
      return { scored: carried.length, rejected: 0 };
    } catch (error) {
      if (!(error instanceof InvalidRecordError)) throw error;
      if (carried.length > 1) {
        return sumOutcomes(await Promise.all(carried.map((one) => this.write(data, lane, packScoredResults([one.result])[0] as PackedResults, [one]))));
      }
      await Promise.all(carried.map(({ entry }) => this.reject(data, { entry, message: `result cannot be put: ${error.message}` })));
      return { scored: 0, rejected: carried.length };
    }
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
