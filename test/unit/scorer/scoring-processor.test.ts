import { expect } from 'chai';
import { InvalidRecordError } from '../../../shared/kinesis/index.js';
import type { ProducerRecord, PutResult } from '../../../shared/kinesis/index.js';
import { CATEGORIES } from '../../../shared/schemas/categories.js';
import { RejectCode } from '../../../shared/schemas/reject-codes.js';
import type { RejectRecord } from '../../../shared/rejects/reject-record.js';
import { scoredResultSchema } from '../../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { RESULTS_RECORD_MAX_BYTES, unpackScoredResults } from '../../../shared/schemas/scored-results-record.js';
import type { Transaction } from '../../../shared/schemas/transaction.js';
import type { RejectStore } from '../../../shared/rejects/reject-store.js';
import { ScoringWriteError } from '../../../workers/scorer/errors.js';
import type { BatchScores } from '../../../workers/scorer/inference/messages.js';
import { ScoringProcessor } from '../../../workers/scorer/scoring-processor.js';
import type { BatchScorer, LaneResultWriters, ResultWriter } from '../../../workers/scorer/scoring-processor.js';
import type { ScoringJobData } from '../../../shared/scoring-job.js';
import { rawRecord, sequenceNumber } from '../stream-reader/raw-records.js';

const NOW = new Date('2026-11-21T00:00:00Z');
const VERSIONS = { categoriser: 'categoriser@test', anomaly: 'anomaly@test' } as const;

/** Scores every transaction as `groceries` with anomaly 0.25, unless `override` says otherwise for its id. */
function fakeScorer(override: (t: Transaction) => Partial<{ scores: number[]; anomaly: number; fail: string }> = () => ({})): BatchScorer & { batches: number[] } {
  const batches: number[] = [];
  return {
    batches,
    modelVersions: VERSIONS,
    score: async (transactions) => {
      batches.push(transactions.length);
      const k = CATEGORIES.length;
      const categoryScores = new Float32Array(transactions.length * k);
      const anomalyScores = new Float32Array(transactions.length);
      const failures: { index: number; message: string }[] = [];
      transactions.forEach((t, i) => {
        const o = override(t);
        if (o.fail !== undefined) failures.push({ index: i, message: o.fail });
        categoryScores.set(o.scores ?? CATEGORIES.map((_, c) => (c === 0 ? 0.75 : 0.25 / (k - 1))), i * k);
        anomalyScores[i] = o.anomaly ?? 0.25;
      });
      const scores: BatchScores = { categoryScores, categories: k, categoryIndex: new Uint8Array(transactions.length), anomalyScores, isAnomaly: new Uint8Array(transactions.length), failures, threadId: 1, busyMs: 0 };
      return scores;
    },
  };
}

function fakeRejects(): RejectStore & { stored: RejectRecord[] } {
  const stored: RejectRecord[] = [];
  return { stored, put: async (reject: RejectRecord) => (stored.push(reject), true), list: async () => stored } as unknown as RejectStore & { stored: RejectRecord[] };
}

function sink(fail: (record: ProducerRecord) => Error | undefined = () => undefined): { put: (r: ProducerRecord) => Promise<PutResult>; put_: ProducerRecord[] } {
  const put_: ProducerRecord[] = [];
  return {
    put_,
    put: async (record) => {
      const error = fail(record);
      if (error !== undefined) throw error;
      put_.push(record);
      return { shardId: 'shardId-000000000000', sequenceNumber: String(put_.length) };
    },
  };
}

/** Every result a writer was given, in order, unpacked from its records and checked against the contract. */
function resultsOf(writer: { put_: ProducerRecord[] }): ScoredResult[] {
  return writer.put_.flatMap((r) => unpackScoredResults(typeof r.data === 'string' ? Buffer.from(r.data) : r.data).values.map((v) => scoredResultSchema.parse(v)));
}

/** One writer for both lanes, where a test is not about lanes. */
function bothLanes(writer: ResultWriter): LaneResultWriters {
  return { live: writer, history: writer };
}

function job(ids: readonly string[], overrides: Record<string, Record<string, unknown>> = {}): ScoringJobData {
  return {
    v: 1,
    stream: 'raw',
    shardId: 'shardId-000000000007',
    firstSequenceNumber: sequenceNumber(0),
    lastSequenceNumber: sequenceNumber(ids.length - 1),
    records: ids.map((id, i) => ({ sequenceNumber: sequenceNumber(i), record: rawRecord({ transactionId: id, ...overrides[id] }, i) })),
  };
}

describe('Class: ScoringProcessor', () => {
  describe('Method: process', () => {
    it("scores the whole job in one batch and writes one contract-valid result per record, packed in one results record keyed by its first result's user and month", async () => {
      // Prepare
      const scorer = fakeScorer();
      const results = sink();
      const processor = new ScoringProcessor({ scorer, results: bothLanes(results), rejectStore: fakeRejects(), now: () => NOW });

      // Act
      const outcome = await processor.process(job(['a', 'b', 'c']), 'job-1');

      // Assess
      expect(outcome).to.deep.equal({ scored: 3, rejected: 0 });
      expect(scorer.batches).to.deep.equal([3]);
      const parsed = resultsOf(results);
      expect(parsed.map((r) => r.transactionId)).to.deep.equal(['a', 'b', 'c']);
      expect(results.put_.map((r) => r.partitionKey)).to.deep.equal(['user-1#2026-11']);
      expect(parsed[0]).to.deep.include({ category: 'groceries', anomalyScore: 0.25, isAnomaly: false, models: VERSIONS, scoredAt: NOW.toISOString(), amount: { minor: -1250, currency: 'EUR' } });
      expect(parsed[0]?.ingestedAt).to.equal(job(['a']).records[0]?.record.ingestedAt);
    });

    it('passes each record\'s change envelope on to its result unchanged, and adds none where the record has none', async () => {
      // Prepare
      const results = sink();
      const processor = new ScoringProcessor({ scorer: fakeScorer(), results: bothLanes(results), rejectStore: fakeRejects(), now: () => NOW });
      const data = job(['plain', 'posted', 'gone']);
      const changes = {
        posted: { kind: 'added', revision: 7, connectionId: 'conn-1', lane: 'history', pendingTransactionId: 'pending-1' },
        gone: { kind: 'removed', revision: 9, connectionId: 'conn-1', lane: 'live' },
      } as const;
      const records = data.records.map((r) => {
        const change = changes[r.record.transaction.transactionId as keyof typeof changes];
        return change === undefined ? r : { ...r, record: { ...r.record, change } };
      });

      // Act
      await processor.process({ ...data, records }, 'job-changes');

      // Assess
      const parsed = new Map(resultsOf(results).map((r) => [r.transactionId, r]));
      expect(parsed.get('posted')?.change).to.deep.equal(changes.posted);
      expect(parsed.get('gone')?.change).to.deep.equal(changes.gone);
      expect(parsed.get('plain')).to.not.have.property('change');
    });

    it("writes each result of a job without a lane (added before lanes had streams) to its record's lane", async () => {
      // Prepare
      const live = sink();
      const history = sink();
      const processor = new ScoringProcessor({ scorer: fakeScorer(), results: { live, history }, rejectStore: fakeRejects(), now: () => NOW });
      const data = job(['plain', 'backfill-1', 'live-1', 'backfill-2']);
      const laneOfId: Record<string, 'live' | 'history'> = { 'backfill-1': 'history', 'live-1': 'live', 'backfill-2': 'history' };
      const records = data.records.map((r) => {
        const lane = laneOfId[r.record.transaction.transactionId];
        return lane === undefined ? r : { ...r, record: { ...r.record, change: { kind: 'added' as const, revision: 1, connectionId: 'conn-1', lane } } };
      });

      // Act
      const outcome = await processor.process({ ...data, records }, 'job-lanes');

      // Assess
      const ids = (writer: ReturnType<typeof sink>) => resultsOf(writer).map((r) => r.transactionId);
      expect(outcome).to.deep.equal({ scored: 4, rejected: 0 });
      expect(ids(history)).to.deep.equal(['backfill-1', 'backfill-2']);
      expect(ids(live)).to.deep.equal(['plain', 'live-1']);
    });

    it("writes a job's results to the job's lane (the stream it was read from), whatever each record's envelope says", async () => {
      // Prepare: a replayed live record on the history lane
      const live = sink();
      const history = sink();
      const processor = new ScoringProcessor({ scorer: fakeScorer(), results: { live, history }, rejectStore: fakeRejects(), now: () => NOW });
      const data = job(['replayed-1', 'replayed-2']);
      const records = data.records.map((r) => ({ ...r, record: { ...r.record, change: { kind: 'added' as const, revision: 1, connectionId: 'conn-1', lane: 'live' as const } } }));

      // Act
      await processor.process({ ...data, lane: 'history', records }, 'job-replay');

      // Assess
      expect(resultsOf(history).map((r) => r.transactionId)).to.deep.equal(['replayed-1', 'replayed-2']);
      expect(live.put_).to.have.length(0);
    });

    it('sets aside records that do not normalise, score NaN, fail alone in the thread or can never be put alone, and writes the rest', async () => {
      // Prepare
      const scorer = fakeScorer((t) => (t.transactionId === 'nan' ? { anomaly: Number.NaN } : t.transactionId === 'thread' ? { fail: 'featurisation threw' } : {}));
      const rejectStore = fakeRejects();
      const results = sink((r) => (String(r.data).includes('"transactionId":"huge"') ? new InvalidRecordError('user-1', 'too large') : undefined));
      const processor = new ScoringProcessor({ scorer, results: bothLanes(results), rejectStore, now: () => NOW });
      const data = job(['ok', 'bad-amount', 'nan', 'thread', 'huge'], { 'bad-amount': { amount: { value: '-1.234', currency: 'EUR' } } });

      // Act
      const outcome = await processor.process(data, 'job-2');

      // Assess
      expect(outcome).to.deep.equal({ scored: 1, rejected: 4 });
      expect(resultsOf(results).map((r) => r.transactionId)).to.deep.equal(['ok']);
      const byId = new Map(rejectStore.stored.map((r) => [r.transactionId, r]));
      expect([...byId.keys()].sort()).to.deep.equal(['bad-amount', 'huge', 'nan', 'thread']);
      for (const reject of rejectStore.stored) expect(reject).to.deep.include({ code: RejectCode.Unscorable, stage: 'scorer' });
      expect(byId.get('bad-amount')?.message).to.contain('bad-amount');
      expect(byId.get('nan')?.message).to.contain('anomaly score');
      expect(byId.get('thread')?.message).to.contain('featurisation threw');
      expect(byId.get('nan')?.source).to.deep.equal({ stream: 'raw', shardId: 'shardId-000000000007', sequenceNumber: sequenceNumber(2) });
    });

    it('fails the job (for BullMQ to retry) when a write fails for a transient reason, after every other write settled', async () => {
      // Prepare: records of one result each, so the job makes three writes
      const results = sink((r) => (String(r.data).includes('"transactionId":"b"') ? new Error('ProvisionedThroughputExceededException') : undefined));
      const processor = new ScoringProcessor({ scorer: fakeScorer(), results: bothLanes(results), rejectStore: fakeRejects(), now: () => NOW, resultsRecordMaxBytes: 1 });

      // Act
      const error = await processor.process(job(['a', 'b', 'c']), 'job-3').catch((e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(ScoringWriteError);
      expect((error as ScoringWriteError).message).to.contain('1 of 3 writes failed: ProvisionedThroughputExceededException');
      expect(results.put_).to.have.length(2);
    });

    it("packs a large job's results into as few records as fit one PUT payload unit each", async () => {
      // Prepare
      const results = sink();
      const processor = new ScoringProcessor({ scorer: fakeScorer(), results: bothLanes(results), rejectStore: fakeRejects(), now: () => NOW });
      const ids = Array.from({ length: 250 }, (_, i) => `tx-${i}`);

      // Act
      const outcome = await processor.process(job(ids), 'job-large');

      // Assess
      expect(outcome).to.deep.equal({ scored: 250, rejected: 0 });
      expect(resultsOf(results).map((r) => r.transactionId)).to.deep.equal(ids);
      const sizes = results.put_.map((r) => Buffer.byteLength(String(r.data), 'utf8'));
      expect(results.put_.length).to.be.greaterThan(1);
      expect(sizes.every((bytes) => bytes <= RESULTS_RECORD_MAX_BYTES)).to.equal(true);
      // Full: each record but the last had no room for the next record's first result.
      const firstOfEach = results.put_.map((r) => unpackScoredResults(Buffer.from(String(r.data))).values[0]);
      sizes.slice(0, -1).forEach((bytes, i) => expect(bytes + 1 + Buffer.byteLength(JSON.stringify(firstOfEach[i + 1]), 'utf8')).to.be.greaterThan(RESULTS_RECORD_MAX_BYTES));
    });
  });
});
