import { Worker } from 'bullmq';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { DEFAULT_MODELS_DIR, TransactionScorer } from '../../../models/index.js';
import { KinesisProducer } from '../../../shared/kinesis/index.js';
import type { ProducerRecord, PutResult } from '../../../shared/kinesis/index.js';
import { silentLogger } from '../../../shared/logger.js';
import type { RawRecord } from '../../../shared/schemas/raw-record.js';
import { RejectCode } from '../../../shared/schemas/reject-codes.js';
import { scoredResultSchema } from '../../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { normaliseBrokerTransaction } from '../../../shared/schemas/transaction.js';
import { InferenceStartError } from '../../../workers/scorer/errors.js';
import { InferencePool } from '../../../workers/scorer/inference/inference-pool.js';
import { SCORING_JOB_NAME, scoringJobOptions } from '../../../shared/scoring-job.js';
import type { ScoringJobRetryOptions } from '../../../shared/scoring-job.js';
import { ScoringProcessor } from '../../../workers/scorer/scoring-processor.js';
import type { ResultWriter } from '../../../workers/scorer/scoring-processor.js';
import { ScoringWorker } from '../../../workers/scorer/scoring-worker.js';
import { planScoringJobs } from '../../../workers/stream-reader/job-plan.js';
import { decodeRawRecord } from '../../../workers/stream-reader/record-decoder.js';
import { ScoringDispatcher } from '../../../workers/stream-reader/scoring-dispatcher.js';
import { STREAM_READER_APPLICATION, StreamReader } from '../../../workers/stream-reader/stream-reader.js';
import { kinesisRecord } from '../../unit/stream-reader/raw-records.js';
import type { PipelineFixture } from './pipeline-fixture.js';
import { checkpoints, pipelineFixture, putRaw, readStream, syntheticRawRecords, waitFor } from './pipeline-fixture.js';
import { streamPartitionKey } from '../../../shared/schemas/stream-partition-key.js';
import { unpackScoredResults } from '../../../shared/schemas/scored-results-record.js';

/** Lease and read timings that make a test's consumer start, read and checkpoint within a second. */
const FAST_READER = { failoverTimeMs: 2_000, idleTimeBetweenReadsMs: 50, checkpointIntervalMs: 100, shutdownTimeoutMs: 5_000, backoffBaseMs: 20 } as const;

describe('Scoring pipeline: stream-reader → BullMQ → scorer → results stream', function () {
  this.timeout(60_000);
  let pool: InferencePool;
  let direct: TransactionScorer;
  let fx: PipelineFixture;
  const closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    [pool, direct] = await Promise.all([InferencePool.start({ threads: 2, modelsDir: DEFAULT_MODELS_DIR }), TransactionScorer.create({ dir: DEFAULT_MODELS_DIR })]);
  });

  after(async () => {
    await Promise.all([pool?.close(), direct?.close()]);
  });

  afterEach(async () => {
    // Reader before scorer (it waits on jobs), then producers; the fixture last.
    for (const close of closers.splice(0)) await close();
    await fx?.cleanup();
  });

  /** The scorer side on the fixture's queue: the real processor on the shared pool, writing to the results stream. */
  function startScorer(options: { results?: ResultWriter; lockDurationMs?: number; stalledIntervalMs?: number } = {}): ScoringWorker {
    const producerOn = (streamName: string) => new KinesisProducer({ kinesis: fx.as('scorer').kinesis, streamName, logger: silentLogger(), preserveKeyOrder: false });
    const producer = producerOn(fx.names.streams.results);
    const historyProducer = producerOn(fx.names.streams.resultsHistory);
    const processor = new ScoringProcessor({ scorer: pool, results: { live: options.results ?? producer, history: historyProducer }, rejectStore: fx.rejectsAs('scorer') });
    const worker = new ScoringWorker({
      connection: fx.connection('scorer'),
      queueName: fx.names.queues.scoring,
      prefix: fx.names.queuePrefix,
      processor,
      concurrency: 4,
      ...(options.lockDurationMs === undefined ? {} : { lockDurationMs: options.lockDurationMs }),
      ...(options.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: options.stalledIntervalMs }),
    });
    closers.push(() => worker.close(), () => producer.close(), () => historyProducer.close());
    return worker;
  }

  /** The stream-reader side: the real shard consumer on the fixture's raw stream. */
  function startReader(options: { maxRecordsPerJob?: number; maxBatchRetries?: number; jobRetry?: ScoringJobRetryOptions; getRecordsLimit?: number } = {}): StreamReader {
    const maxRecordsPerJob = options.maxRecordsPerJob ?? 50;
    const dispatcher = new ScoringDispatcher({
      queue: fx.queue,
      tracker: fx.tracker,
      rejectStore: fx.rejectsAs('stream-reader'),
      streamName: fx.names.streams.raw,
      maxRecordsPerJob,
      maxInFlightJobsPerShard: 4,
      ...(options.jobRetry === undefined ? {} : { jobRetry: options.jobRetry }),
    });
    const reader = new StreamReader({
      kinesis: fx.as('stream-reader').kinesis,
      dynamodb: fx.as('stream-reader').dynamodb,
      streamName: fx.names.streams.raw,
      fanOut: { consumerArn: fx.names.consumerArns.rawReader, kinesis: fx.as('stream-reader').kinesisFanOut },
      leaseTableName: fx.names.tables.leases,
      dispatcher,
      getRecordsLimit: options.getRecordsLimit ?? 200,
      ...FAST_READER,
      ...(options.maxBatchRetries === undefined ? {} : { maxBatchRetries: options.maxBatchRetries }),
    });
    closers.unshift(() => reader.close());
    return reader;
  }

  /** The last sequence number of every shard of the raw stream. */
  async function rawTips(): Promise<Map<string, string>> {
    const tips = new Map<string, string>();
    for (const record of await readStream(fx.clients.kinesis, fx.names.streams.raw)) tips.set(record.shardId, record.sequenceNumber);
    return tips;
  }

  async function checkpointsAtTips(): Promise<boolean> {
    const [tips, done] = await Promise.all([rawTips(), checkpoints(fx.clients.dynamodb, fx.names.tables.leases, STREAM_READER_APPLICATION)]);
    return [...tips].every(([shardId, tip]) => done.get(shardId) === tip);
  }

  /** Every result on the results stream, with the key of the (packed) record it came in and its place there. */
  async function results(): Promise<{ result: ScoredResult; partitionKey: string; subSequenceNumber: number }[]> {
    const records = await readStream(fx.clients.kinesis, fx.names.streams.results);
    return records.flatMap((r) => unpackScoredResults(Buffer.from(r.data)).values.map((v, i) => ({ result: scoredResultSchema.parse(v), partitionKey: r.partitionKey, subSequenceNumber: i })));
  }

  it('scores every record exactly once, as the models do, sets aside the unscorable and the malformed, and checkpoints at the tip', async () => {
    // Prepare
    fx = await pipelineFixture({ rawShards: 2 });
    const good = syntheticRawRecords(300);
    const unscorable: RawRecord = { ...good[0]!, transaction: { ...good[0]!.transaction, transactionId: 'tx-unscorable', amount: { value: '-1.234', currency: 'EUR' } } };
    await putRaw(fx.as('crawler').kinesis, fx.names.streams.raw, [...good.slice(0, 150), unscorable, '{"not": "an envelope"}', ...good.slice(150)]);
    const now = new Date();
    const expected = await direct.score(good.map((r) => normaliseBrokerTransaction(r.transaction, now)));
    const started = performance.now();

    // Act
    startScorer();
    await startReader().start();
    await waitFor('300 results', async () => (await results()).length >= good.length);
    const elapsedMs = performance.now() - started;
    await waitFor('checkpoints at the tip of every raw shard', checkpointsAtTips);

    // Assess
    const scored = await results();
    console.log(`      ${good.length} records reader → queue → scorer (2 threads) → results stream in ${elapsedMs.toFixed(0)} ms, consumer start included`);
    expect(scored).to.have.length(good.length);
    expect(scored.filter((s) => s.subSequenceNumber === 0).length, 'results records').to.be.lessThan(good.length / 5);
    const byId = new Map(scored.map((s) => [s.result.transactionId, s]));
    expect(byId.size).to.equal(good.length);
    good.forEach((raw, i) => {
      const got = byId.get(raw.transaction.transactionId);
      const want = expected[i]!;
      expect(got, raw.transaction.transactionId).to.not.equal(undefined);
      // A packed record is keyed by its first result's user and month.
      if (got!.subSequenceNumber === 0) expect(got!.partitionKey).to.equal(streamPartitionKey(raw.transaction));
      expect(got!.result).to.deep.include({
        category: want.category,
        categoryScores: want.categoryScores,
        anomalyScore: want.anomalyScore,
        isAnomaly: want.isAnomaly,
        models: direct.modelIds,
        contentHash: raw.contentHash,
        ingestedAt: raw.ingestedAt,
      });
    });
    const rejects = await fx.rejectStore.list();
    const rejected = new Map(rejects.map((r) => [r.code, r]));
    expect(rejects).to.have.length(2);
    expect(rejected.get(RejectCode.Unscorable)).to.deep.include({ stage: 'scorer', transactionId: 'tx-unscorable' });
    expect(rejected.get(RejectCode.Unscorable)?.source).to.include({ stream: fx.names.streams.raw });
    expect(rejected.get(RejectCode.Unscorable)?.source.sequenceNumber).to.be.a('string');
    expect(rejected.get(RejectCode.MalformedRecord)).to.deep.include({ stage: 'stream-reader', raw: '{"not": "an envelope"}' });
  });

  it('does not hold the checkpoint behind a job that keeps failing: the record that fails it ends in the reject store', async () => {
    // Prepare
    fx = await pipelineFixture({ rawShards: 1 });
    const records = syntheticRawRecords(20, 5);
    const poisonId = records[13]!.transaction.transactionId;
    const producer = new KinesisProducer({ kinesis: fx.as('scorer').kinesis, streamName: fx.names.streams.results, logger: silentLogger() });
    closers.push(() => producer.close());
    // One result can never be written (a transient error that never clears): its jobs fail every attempt.
    const flaky: ResultWriter = {
      put: (record: ProducerRecord): Promise<PutResult> =>
        String(record.data).includes(`"transactionId":"${poisonId}"`) ? Promise.reject(new Error('injected: results stream refuses this record')) : producer.put(record),
    };
    await putRaw(fx.as('crawler').kinesis, fx.names.streams.raw, records);

    // Act
    startScorer({ results: flaky });
    await startReader({ maxRecordsPerJob: 5, maxBatchRetries: 1, jobRetry: { attempts: 1, backoffMs: 10 } }).start();
    await waitFor('checkpoint at the tip despite the failing job', checkpointsAtTips, 40_000);

    // Assess
    const rejects = await fx.rejectStore.list();
    expect(rejects.map((r) => [r.code, r.stage, r.transactionId])).to.deep.equal([[RejectCode.Unscorable, 'stream-reader', poisonId]]);
    expect(rejects[0]?.message).to.contain('injected');
    const scoredIds = new Set((await results()).map((s) => s.result.transactionId));
    expect(scoredIds.has(poisonId)).to.equal(false);
    expect(scoredIds.size).to.equal(records.length - 1);
  });

  it('runs inference in worker threads while the main event loop keeps turning', async () => {
    // Prepare
    const now = new Date();
    const transactions = syntheticRawRecords(4_000, 3).map((r) => normaliseBrokerTransaction(r.transaction, now));
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns += 1;
      if (spinning) setImmediate(spin);
    };

    // Act
    setImmediate(spin);
    const scores = await pool.score(transactions);
    spinning = false;

    // Assess
    console.log(`      ${transactions.length} records scored in thread ${scores.threadId} (${scores.busyMs.toFixed(0)} ms busy) while the main loop turned ${turns} times`);
    expect(threadId).to.equal(0);
    expect(scores.threadId).to.not.equal(0);
    expect(scores.failures).to.deep.equal([]);
    expect(turns).to.be.greaterThan(10);
  });

  it('recovers the job of a scorer killed mid-job (stalled check), and scores its records once', async () => {
    // Prepare
    fx = await pipelineFixture();
    const records = syntheticRawRecords(10, 9);
    const batch = records.map((r, i) => kinesisRecord(JSON.stringify(r), String(1000 + i)));
    const [job] = planScoringJobs(batch, batch.map(decodeRawRecord), { streamName: fx.names.streams.raw, shardId: 'shardId-000000000000', maxRecordsPerJob: 10 });
    let taken: () => void = () => undefined;
    const takenByDoomed = new Promise<void>((resolve) => (taken = resolve));
    const doomed = new Worker(fx.names.queues.scoring, () => (taken(), new Promise<never>(() => undefined)), {
      connection: fx.connection('doomed'),
      prefix: fx.names.queuePrefix,
      // Every scorer runs the same settings: the queue-wide stalled check is rate-limited by the last checker's interval.
      lockDuration: 1_000,
      stalledInterval: 500,
      drainDelay: 1,
    });
    await fx.queue.add(SCORING_JOB_NAME, job!.data, { ...scoringJobOptions(), jobId: job!.id });
    await takenByDoomed;

    // Act
    await doomed.close(true); // no lock renewal, no completion: what SIGKILL leaves behind
    const rescuer = startScorer({ lockDurationMs: 1_000, stalledIntervalMs: 500 });
    const outcome = await fx.tracker.wait(job!.id, 'shardId-000000000000');

    // Assess
    expect(outcome).to.deep.equal({ state: 'completed' });
    const scored = await results();
    expect(scored.map((s) => s.result.transactionId).sort()).to.deep.equal(records.map((r) => r.transaction.transactionId).sort());
    await waitFor('the completed job compacted', async () => (await fx.queue.getJob(job!.id))?.data.compacted === true, 5_000);
    const stored = await fx.queue.getJob(job!.id);
    expect(stored?.returnvalue).to.deep.equal({ scored: 10, rejected: 0 });
    expect(stored?.data.records).to.deep.equal([]);
    // The alarm metric counts the stall once, then starts the next period at zero.
    expect(rescuer.takeStalled()).to.equal(1);
    expect(rescuer.takeStalled()).to.equal(0);
    expect(rescuer.takeFailedForGood()).to.equal(0);
  });
});

describe('Class: InferencePool', function () {
  this.timeout(30_000);

  describe('Method: start', () => {
    it('rejects with InferenceStartError naming the problem when the models folder has no manifest', async () => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), 'no-models-'));

      // Act
      const error = await InferencePool.start({ threads: 1, modelsDir: dir }).catch((e: unknown) => e);
      rmSync(dir, { recursive: true, force: true });

      // Assess
      expect(error).to.be.instanceOf(InferenceStartError);
      expect((error as Error).message).to.contain('manifest.json');
    });
  });
});
