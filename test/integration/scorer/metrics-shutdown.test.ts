import { Queue, Worker } from 'bullmq';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedStack } from '../../../local/env/isolated-stack.js';
import type { IsolatedStack } from '../../../local/env/isolated-stack.js';
import { WorkerProcess } from '../../../local/runner/worker-process.js';
import { PIPELINE_METRICS } from '../../../shared/metrics.js';
import { SCORING_JOB_NAME, scoringJobOptions } from '../../../shared/scoring-job.js';
import { createRedisConnection } from '../../../workers/lib/redis.js';
import { planScoringJobs } from '../../../workers/stream-reader/job-plan.js';
import { decodeRawRecord } from '../../../workers/stream-reader/record-decoder.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';
import { kinesisRecord } from '../../unit/stream-reader/raw-records.js';
import { syntheticRawRecords, waitFor } from './pipeline-fixture.js';

interface EmfLine {
  readonly _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

/** The EMF lines among a worker's output lines (its pino lines are JSON too, without `_aws`). */
function emfLines(logFile: string): EmfLine[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

const valuesOf = (lines: readonly EmfLine[], metric: string): number[] => lines.flatMap((l) => (typeof l[metric] === 'number' ? [l[metric]] : []));
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/**
 * The scorer role as a process with METRICS_ENABLED: its failed and stalled job counts are
 * Embedded Metric Format lines on stdout, and jobs that fail or stall after the last periodic
 * reading are still counted, by the reading its shutdown takes.
 */
describe('Role: scorer (metrics)', function () {
  this.timeout(180_000);
  let stack: IsolatedStack | undefined;
  let logDir: string;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(function () {
    logDir = mkdtempSync(join(tmpdir(), 'scorer-metrics-'));
  });

  afterEach(async function () {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await stack?.cleanup();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('counts a job that failed and one that stalled after its last reading in the EMF lines it writes on SIGTERM', async function () {
    // Prepare: a scorer with metrics on, and a job another worker took and will abandon
    const env = await getLocalEnv();
    const name = uniqueStack();
    stack = await isolatedStack(env, { stack: name });
    const { names } = stack;
    const connection = createRedisConnection({ url: stack.env.redisUrl });
    closers.push(async () => connection.quit());
    const queue = new Queue(names.queues.scoring, { connection, prefix: names.queuePrefix });
    closers.push(() => queue.close());
    const records = syntheticRawRecords(5, 21);
    const batch = records.map((r, i) => kinesisRecord(JSON.stringify(r), String(2000 + i)));
    const [job] = planScoringJobs(batch, batch.map(decodeRawRecord), { streamName: names.streams.raw, shardId: 'shardId-000000000000', maxRecordsPerJob: 10 });
    let taken: () => void = () => undefined;
    const takenByDoomed = new Promise<void>((resolve) => (taken = resolve));
    // Renews its lock until closed with force: then the job is what a SIGKILLed scorer leaves behind.
    // It never runs a stalled check itself (so only the scorer can find the stall), and its lock
    // outlasts a slow start of the scorer, so the stall happens after the scorer's first reading.
    const doomedConnection = createRedisConnection({ url: stack.env.redisUrl, connectionName: 'doomed' });
    closers.push(async () => doomedConnection.disconnect());
    const doomed = new Worker(names.queues.scoring, () => (taken(), new Promise<never>(() => undefined)), {
      connection: doomedConnection,
      prefix: names.queuePrefix,
      lockDuration: 15_000,
      skipStalledCheck: true,
      drainDelay: 1,
    });
    closers.push(() => doomed.close(true));
    await queue.add(SCORING_JOB_NAME, job!.data, { ...scoringJobOptions(), jobId: job!.id });
    await takenByDoomed;
    const scorer = new WorkerProcess({
      role: 'scorer',
      instance: 1,
      values: { ...stack.env.workerValues, METRICS_ENABLED: true, INFERENCE_THREADS: 1, LOG_LEVEL: 'warn' },
      awsEnv: stack.env.awsEnvFor('scorer', name),
      logDir,
    });
    closers.push(() => scorer.stop(5_000));
    await scorer.start();
    await scorer.waitHealthy(60_000);
    await waitFor('the first periodic readings', () => valuesOf(emfLines(scorer.logFile), PIPELINE_METRICS.jobsStalled).length > 0, 10_000);
    const atStart = emfLines(scorer.logFile);

    // Act: one job fails for good (a version this scorer does not read), one stalls, then SIGTERM
    const failing = await queue.add(SCORING_JOB_NAME, { ...job!.data, v: 999 } as never, { ...scoringJobOptions({ attempts: 1 }), jobId: `${job!.id}.bad` });
    await doomed.close(true);
    // What a SIGKILLed scorer leaves behind once its lock expires, without waiting the 15 s.
    await connection.del(queue.toKey(`${job!.id}:lock`));
    await waitFor('the failing job failed', async () => (await queue.getJobState(failing.id!)) === 'failed', 30_000);
    // The scorer's stalled check (every 10 s) finds it, moves it back and scores it.
    await waitFor('the stalled job completed', async () => (await queue.getJobState(job!.id)) === 'completed', 90_000, 200);
    const beforeShutdown = emfLines(scorer.logFile);
    await scorer.stop(20_000);

    // Assess
    const lines = emfLines(scorer.logFile);
    expect(sum(valuesOf(atStart, PIPELINE_METRICS.jobsFailed)), 'failed at the first reading').to.equal(0);
    expect(sum(valuesOf(atStart, PIPELINE_METRICS.jobsStalled)), 'stalled at the first reading').to.equal(0);
    expect(lines.length, 'the shutdown wrote a last reading of each metric').to.be.at.least(beforeShutdown.length + 3);
    expect(sum(valuesOf(lines, PIPELINE_METRICS.jobsFailed)), 'failed jobs over every line').to.equal(1);
    expect(sum(valuesOf(lines, PIPELINE_METRICS.jobsStalled)), 'stalled jobs over every line').to.equal(1);
    expect(valuesOf(lines, 'ScoringBacklog').length, 'backlog readings').to.be.greaterThan(1);
    for (const line of lines) {
      expect(line['Stack']).to.equal(name);
      expect(line._aws.CloudWatchMetrics[0]?.Dimensions).to.deep.equal([['Stack']]);
      expect(line._aws.CloudWatchMetrics[0]?.Namespace).to.equal('RealtimeInsights');
    }
  });
});
