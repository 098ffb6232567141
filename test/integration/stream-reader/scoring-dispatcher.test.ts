import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { expect } from 'chai';
import type { KinesisRecord, ShardContext } from '../../../shared/kinesis/index.js';
import { RejectCode } from '../../../shared/schemas/reject-codes.js';
import type { ScoringJobData, ScoringJobResult } from '../../../shared/scoring-job.js';
import { BatchAbortedError, ScoringJobFailedError } from '../../../workers/stream-reader/errors.js';
import { ScoringDispatcher } from '../../../workers/stream-reader/scoring-dispatcher.js';
import type { PipelineFixture } from '../scorer/pipeline-fixture.js';
import { pipelineFixture, waitFor } from '../scorer/pipeline-fixture.js';
import { kinesisRecord, rawRecord, sequenceNumber } from '../../unit/stream-reader/raw-records.js';

const SHARD = 'shardId-000000000000';

function context(signal: AbortSignal = new AbortController().signal, attempt = 1): ShardContext {
  return { streamName: 'raw', applicationName: 'stream-reader', workerId: 'test', shardId: SHARD, millisBehindLatest: 0, attempt, signal };
}

function batch(count: number, malformed: ReadonlySet<number> = new Set()): KinesisRecord[] {
  return Array.from({ length: count }, (_, i) =>
    kinesisRecord(malformed.has(i) ? `{"broken": ${i}` : JSON.stringify(rawRecord({ transactionId: `tx-${i}` }, i)), sequenceNumber(i)),
  );
}

/** A stand-in scorer: records each job it runs, optionally slowly or failing. */
function stubWorker(fx: PipelineFixture, handler: (job: Job<ScoringJobData, ScoringJobResult>) => Promise<ScoringJobResult>, concurrency = 4): Worker<ScoringJobData, ScoringJobResult> {
  return new Worker<ScoringJobData, ScoringJobResult>(fx.names.queues.scoring, handler, {
    connection: fx.connection('stub-worker'),
    prefix: fx.names.queuePrefix,
    concurrency,
    drainDelay: 1,
  });
}

describe('Class: ScoringDispatcher', function () {
  this.timeout(30_000);
  let fx: PipelineFixture;
  let worker: Worker | undefined;

  beforeEach(async () => {
    fx = await pipelineFixture();
  });

  afterEach(async () => {
    await worker?.close(true);
    worker = undefined;
    await fx.cleanup();
  });

  function dispatcher(overrides: Partial<ConstructorParameters<typeof ScoringDispatcher>[0]> = {}): ScoringDispatcher {
    return new ScoringDispatcher({
      queue: fx.queue,
      tracker: fx.tracker,
      rejectStore: fx.rejectStore,
      streamName: 'raw',
      maxRecordsPerJob: 4,
      maxInFlightJobsPerShard: 8,
      ...overrides,
    });
  }

  describe('Method: processRecords', () => {
    it('lets a live job overtake a backfill queued before it: history jobs wait behind live ones', async () => {
      // Prepare: a sign-up's history (3 jobs) read from the history lane's stream, then one live job
      // from the live stream (one dispatcher each, as the role wires them), all queued before any scorer runs
      const history = Array.from({ length: 12 }, (_, i) => {
        const record = { ...rawRecord({ transactionId: `hist-${i}` }, i), change: { kind: 'added' as const, revision: 0, connectionId: 'conn-1', lane: 'history' as const } };
        return kinesisRecord(JSON.stringify(record), sequenceNumber(i));
      });
      const live = Array.from({ length: 4 }, (_, i) => kinesisRecord(JSON.stringify(rawRecord({ transactionId: `live-${i}` }, i)), sequenceNumber(100 + i)));
      const backfill = dispatcher({ streamName: 'raw-history', lane: 'history' }).processRecords(history, context());
      await waitFor('the backfill queued', async () => (await fx.queue.getJobCounts('prioritized'))['prioritized'] === 3);
      const fresh = dispatcher().processRecords(live, context());
      await waitFor('the live job queued', async () => (await fx.queue.getJobCounts('wait'))['wait'] === 1);

      // Act: one scorer slot takes the jobs one at a time
      const order: string[] = [];
      worker = stubWorker(
        fx,
        async (job) => {
          order.push(job.data.records[0]!.record.transaction.transactionId);
          return { scored: job.data.records.length, rejected: 0 };
        },
        1,
      );
      await Promise.all([backfill, fresh]);

      // Assess
      expect(order).to.deep.equal(['live-0', 'hist-0', 'hist-4', 'hist-8']);
    });

    it('resolves once every job completed, with malformed records in the reject store and not in any job', async () => {
      // Prepare
      const seen: string[] = [];
      worker = stubWorker(fx, async (job) => {
        seen.push(...job.data.records.map((r) => r.record.transaction.transactionId));
        return { scored: job.data.records.length, rejected: 0 };
      });
      const subject = dispatcher();

      // Act
      await subject.processRecords(batch(10, new Set([2, 7])), context());

      // Assess
      const counts = await fx.queue.getJobCounts('completed', 'waiting', 'active', 'failed');
      const rejects = await fx.rejectStore.list();
      expect(counts).to.deep.equal({ completed: 3, waiting: 0, active: 0, failed: 0 });
      expect(seen.sort()).to.deep.equal(['tx-0', 'tx-1', 'tx-3', 'tx-4', 'tx-5', 'tx-6', 'tx-8', 'tx-9']);
      expect(rejects.map((r) => [r.code, r.stage, r.source.sequenceNumber]).sort()).to.deep.equal([
        [RejectCode.MalformedRecord, 'stream-reader', sequenceNumber(2)],
        [RejectCode.MalformedRecord, 'stream-reader', sequenceNumber(7)],
      ]);
      expect(rejects[0]?.source).to.include({ stream: 'raw', shardId: SHARD });
    });

    it('adds no second job for a redelivered batch, even when the first owner completed it and no scorer runs now', async () => {
      // Prepare
      let runs = 0;
      worker = stubWorker(fx, async (job) => {
        runs += 1;
        return { scored: job.data.records.length, rejected: 0 };
      });
      const records = batch(12);
      await dispatcher().processRecords(records, context());
      await worker.close();
      worker = undefined;

      // Act
      await dispatcher().processRecords(records, context(undefined, 2));

      // Assess
      const counts = await fx.queue.getJobCounts('completed', 'waiting', 'active', 'delayed');
      expect(runs).to.equal(3);
      expect(counts).to.deep.equal({ completed: 3, waiting: 0, active: 0, delayed: 0 });
    });

    it('joins the job a redelivery of the same batch already added while it is still running, so it runs once', async () => {
      // Prepare
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let runs = 0;
      worker = stubWorker(fx, async (job) => {
        runs += 1;
        await gate;
        return { scored: job.data.records.length, rejected: 0 };
      });
      const records = batch(4);
      const subject = dispatcher();

      // Act
      const first = subject.processRecords(records, context());
      const second = subject.processRecords(records, context(undefined, 2));
      // Both calls added the job (the second add finds its id) while its one run is held.
      await waitFor('the job running and added twice', () => runs === 1 && subject.counters().jobsAdded === 2, 10_000, 5);
      release();
      await Promise.all([first, second]);

      // Assess
      expect(runs).to.equal(1);
      expect(await fx.queue.getJobCountByTypes('completed')).to.equal(1);
    });

    it('retries a failed job once, then fails the batch with ScoringJobFailedError instead of waiting forever', async () => {
      // Prepare
      let runs = 0;
      worker = stubWorker(fx, async () => {
        runs += 1;
        throw new Error('results stream unavailable');
      });
      const subject = dispatcher({ jobRetry: { attempts: 1, backoffMs: 10 } });

      // Act
      const error = await subject.processRecords(batch(3), context()).catch((e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(ScoringJobFailedError);
      expect((error as ScoringJobFailedError).failedReason).to.contain('results stream unavailable');
      expect(runs).to.equal(2);
      expect(subject.counters()).to.include({ jobsRetried: 1, jobsFailed: 1 });
    });

    it('keeps at most maxInFlightJobsPerShard jobs outstanding for a shard', async () => {
      // Prepare
      const total = 10;
      let active = 0;
      let peak = 0;
      let finished = 0;
      const subject = dispatcher({ maxInFlightJobsPerShard: 2, maxRecordsPerJob: 1 });
      worker = stubWorker(
        fx,
        async (job) => {
          active += 1;
          peak = Math.max(peak, active);
          // Each job is held until the window is full (or too few jobs are left to fill it), so a
          // dispatcher that let a third job out would be caught with three running at once.
          await waitFor('the in-flight window full', () => (subject.jobsInFlight()[SHARD] ?? 0) >= 2 || total - finished < 2, 10_000, 2);
          active -= 1;
          finished += 1;
          return { scored: job.data.records.length, rejected: 0 };
        },
        total,
      );
      let outstandingPeak = 0;
      const sampler = setInterval(() => (outstandingPeak = Math.max(outstandingPeak, subject.jobsInFlight()[SHARD] ?? 0)), 5);

      // Act
      await subject.processRecords(batch(total), context());
      clearInterval(sampler);

      // Assess
      expect(await fx.queue.getJobCountByTypes('completed')).to.equal(total);
      expect(peak).to.equal(2);
      expect(outstandingPeak).to.equal(2);
      expect(subject.jobsInFlight()[SHARD]).to.equal(0);
    });

    it('gives up waiting when the shard signal aborts (lease lost), releasing its slots', async () => {
      // Prepare
      const controller = new AbortController();
      const subject = dispatcher({ maxInFlightJobsPerShard: 1 });

      // Act
      const pending = subject.processRecords(batch(8), context(controller.signal));
      // No scorer runs: the first job takes the one slot and the batch waits for it.
      await waitFor('the first job added, holding the only slot', async () => subject.jobsInFlight()[SHARD] === 1 && (await fx.queue.getJobCountByTypes('waiting')) === 1, 10_000, 5);
      controller.abort(new Error('lease lost'));
      const error = await pending.catch((e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(BatchAbortedError);
      expect(subject.jobsInFlight()[SHARD]).to.equal(0);
      expect(await fx.queue.getJobCountByTypes('waiting')).to.equal(1);
    });
  });
});
