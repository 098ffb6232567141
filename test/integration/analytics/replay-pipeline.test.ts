import { BatchWriteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { expect } from 'chai';
import { LocalArchiver } from '../../../local/archiver/index.js';
import { DEFAULT_MODELS_DIR } from '../../../models/index.js';
import { KinesisProducer } from '../../../shared/kinesis/index.js';
import { silentLogger } from '../../../shared/logger.js';
import { deliveryStreamName } from '../../../shared/archive/archive-key.js';
import { PROJECTOR_APPLICATIONS, Projector } from '../../../workers/projector/projector.js';
import { Lane } from '../../../shared/schemas/transaction-change.js';
import { scanView } from '../../../shared/view/scan-view.js';
import type { ViewContents } from '../../../shared/view/scan-view.js';
import { Replayer } from '../../../workers/replay/index.js';
import { InferencePool } from '../../../workers/scorer/inference/inference-pool.js';
import { ScoringProcessor } from '../../../workers/scorer/scoring-processor.js';
import { ScoringWorker } from '../../../workers/scorer/scoring-worker.js';
import { ScoringDispatcher } from '../../../workers/stream-reader/scoring-dispatcher.js';
import { STREAM_READER_APPLICATIONS, StreamReader } from '../../../workers/stream-reader/stream-reader.js';
import type { PipelineFixture } from '../scorer/pipeline-fixture.js';
import { checkpoints, pipelineFixture, putRaw, readStream, syntheticRawRecords, waitFor } from '../scorer/pipeline-fixture.js';
import { unpackScoredResults } from '../../../shared/schemas/scored-results-record.js';

/** Lease and read timings that make a test's consumers start, read and checkpoint within a second. */
const FAST = { failoverTimeMs: 2_000, idleTimeBetweenReadsMs: 50, checkpointIntervalMs: 100, shutdownTimeoutMs: 5_000, backoffBaseMs: 20 } as const;
const RECORDS = 150;

/** Fields stamped with the clock of the scoring and the write: a replayed version is scored and written again. */
const STAMPS = ['viewedAt', 'scoredAt'] as const;

function withoutStamps<T extends object>(item: T): Omit<T, (typeof STAMPS)[number]> {
  const copy: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  for (const stamp of STAMPS) delete copy[stamp];
  return copy as Omit<T, (typeof STAMPS)[number]>;
}

const byId = <T extends { transactionId: string; revision: number }>(items: readonly T[]): T[] => [...items].sort((a, b) => `${a.transactionId}#${a.revision}`.localeCompare(`${b.transactionId}#${b.revision}`));

/** What the read model shows and what the view stores, but for when each version was scored and written. */
function comparable(view: ViewContents): Record<string, unknown[]> {
  return {
    versions: byId(view.versions).map(withoutStamps),
    transactions: byId(view.transactions).map(withoutStamps),
    totals: [...view.totals].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  };
}

describe('Replay through the pipeline: raw archive → raw stream → stream-reader → scorer → projector → view', function () {
  this.timeout(90_000);
  let pool: InferencePool;
  let fx: PipelineFixture;
  const closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    pool = await InferencePool.start({ threads: 1, modelsDir: DEFAULT_MODELS_DIR });
  });
  after(async () => {
    await pool?.close();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await fx?.cleanup();
  });

  /** The stream-reader, scorer and projector in this process, on the fixture's stack. */
  async function startPipeline(): Promise<void> {
    const producerOn = (streamName: string) => new KinesisProducer({ kinesis: fx.as('scorer').kinesis, streamName, logger: silentLogger(), preserveKeyOrder: false });
    const producer = producerOn(fx.names.streams.results);
    const historyProducer = producerOn(fx.names.streams.resultsHistory);
    const scorer = new ScoringWorker({
      connection: fx.connection('scorer'),
      queueName: fx.names.queues.scoring,
      prefix: fx.names.queuePrefix,
      processor: new ScoringProcessor({ scorer: pool, results: { live: producer, history: historyProducer }, rejectStore: fx.rejectsAs('scorer') }),
      concurrency: 2,
    });
    // Both lanes, as the roles run them: the replay comes back on the history lane's streams.
    const lanes = [
      { lane: Lane.Live, raw: fx.names.streams.raw, results: fx.names.streams.results },
      { lane: Lane.History, raw: fx.names.streams.rawHistory, results: fx.names.streams.resultsHistory },
    ] as const;
    const readers = lanes.map(
      ({ lane, raw }) =>
        new StreamReader({
          kinesis: fx.as('stream-reader').kinesis,
          dynamodb: fx.as('stream-reader').dynamodb,
          streamName: raw,
          // The live lane is read by enhanced fan-out, as the role reads it.
          ...(lane === Lane.Live ? { fanOut: { consumerArn: fx.names.consumerArns.rawReader, kinesis: fx.as('stream-reader').kinesisFanOut } } : {}),
          applicationName: STREAM_READER_APPLICATIONS[lane],
          leaseTableName: fx.names.tables.leases,
          dispatcher: new ScoringDispatcher({ queue: fx.queue, tracker: fx.tracker, rejectStore: fx.rejectsAs('stream-reader'), streamName: raw, lane, maxRecordsPerJob: 50, maxInFlightJobsPerShard: 4 }),
          getRecordsLimit: 500,
          ...FAST,
        }),
    );
    const projectors = lanes.map(
      ({ lane, results }) =>
        new Projector({
          kinesis: fx.as('projector').kinesis,
          dynamodb: fx.as('projector').dynamodb,
          streamName: results,
          applicationName: PROJECTOR_APPLICATIONS[lane],
          leaseTableName: fx.names.tables.leases,
          viewTableName: fx.names.tables.view,
          rejectStore: fx.rejectsAs('projector'),
          // The live lane is read by enhanced fan-out, as the role reads it.
          consumer: { ...FAST, ...(lane === Lane.Live ? { fanOut: { consumerArn: fx.names.consumerArns.resultsProjector, kinesis: fx.as('projector').kinesisFanOut } } : {}) },
        }),
    );
    closers.push(
      ...readers.map((reader) => () => reader.close()),
      () => scorer.close(),
      () => producer.close(),
      () => historyProducer.close(),
      ...projectors.map((projector) => () => projector.close()),
    );
    for (const projector of projectors) await projector.start();
    for (const reader of readers) await reader.start();
  }

  /** Waits until each lane's projector has checkpointed every record now on its results stream, `results` in all. */
  async function projected(results: number): Promise<void> {
    const lanes = [
      { stream: fx.names.streams.results, application: PROJECTOR_APPLICATIONS.live },
      { stream: fx.names.streams.resultsHistory, application: PROJECTOR_APPLICATIONS.history },
    ];
    // Results, not records: the scorer packs many results to a record.
    const onStreams = async () => (await Promise.all(lanes.map((l) => readStream(fx.clients.kinesis, l.stream)))).flat().reduce((n, r) => n + unpackScoredResults(Buffer.from(r.data)).values.length, 0);
    await waitFor(`${results} results on the results streams`, async () => (await onStreams()) >= results, 60_000, 200);
    await waitFor(
      "each lane's projector checkpointed at the tip of its results stream",
      async () => {
        for (const lane of lanes) {
          const tips = new Map<string, string>();
          for (const record of await readStream(fx.clients.kinesis, lane.stream)) tips.set(record.shardId, record.sequenceNumber);
          const done = await checkpoints(fx.clients.dynamodb, fx.names.tables.leases, lane.application);
          if (![...tips].every(([shardId, tip]) => done.get(shardId) === tip)) return false;
        }
        return true;
      },
      30_000,
      200,
    );
  }

  async function wipeView(): Promise<void> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await fx.clients.dynamodb.send(new ScanCommand({ TableName: fx.names.tables.view, ProjectionExpression: 'pk, sk', ExclusiveStartKey: start }));
      const keys = page.Items ?? [];
      for (let i = 0; i < keys.length; i += 25) {
        await fx.clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [fx.names.tables.view]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) } }));
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  it('changes nothing when processed data is replayed, and rebuilds the same view after it was wiped', async () => {
    // Prepare: the pipeline and the archiver run while the crawler's records arrive.
    fx = await pipelineFixture({ rawShards: 1 });
    const windowStart = new Date(Date.now() - 60_000);
    const archiver = new LocalArchiver({
      kinesis: fx.as('firehose').kinesis,
      dynamodb: fx.as('firehose').dynamodb,
      s3: fx.as('firehose').s3,
      streamName: fx.names.streams.raw,
      leaseTableName: fx.names.tables.leases,
      bucket: fx.names.buckets.rawArchive,
      deliveryStreamName: deliveryStreamName('test'),
      bufferIntervalMs: 1_000,
      consumer: FAST,
    });
    closers.push(() => archiver.close());
    await archiver.start();
    await startPipeline();
    await putRaw(fx.as('crawler').kinesis, fx.names.streams.raw, syntheticRawRecords(RECORDS));
    await waitFor(`${RECORDS} transactions in the view`, async () => (await scanView(fx.clients.dynamodb, fx.names.tables.view)).transactions.length >= RECORDS, 60_000, 200);
    await projected(RECORDS);
    await archiver.drain();
    await archiver.close();
    const original = await scanView(fx.clients.dynamodb, fx.names.tables.view);
    const replayer = new Replayer({ s3: fx.as('replay').s3, kinesis: fx.as('replay').kinesis, rawArchiveBucket: fx.names.buckets.rawArchive, streamName: fx.names.streams.rawHistory });
    const window = { from: windowStart, to: new Date(Date.now() + 60_000) };

    // Act: replay what the view already holds.
    const first = await replayer.run(window);
    await projected(2 * RECORDS);
    const afterReplay = await scanView(fx.clients.dynamodb, fx.names.tables.view);

    // Assess: the same versions on the same keys, value for value, but for when they were scored and written.
    expect(first.put).to.equal(RECORDS);
    expect(afterReplay.versions).to.have.length(RECORDS);
    expect(comparable(afterReplay)).to.deep.equal(comparable(original));

    // Act: lose the view, replay the archive.
    await wipeView();
    const emptied = await scanView(fx.clients.dynamodb, fx.names.tables.view);
    const second = await replayer.run(window);
    await projected(3 * RECORDS);
    const rebuilt = await scanView(fx.clients.dynamodb, fx.names.tables.view);

    // Assess: the same items, key for key and value for value, but for when they were written.
    expect(emptied.transactions).to.have.length(0);
    expect(second.put).to.equal(RECORDS);
    expect(rebuilt.transactions).to.have.length(original.transactions.length);
    expect(comparable(rebuilt)).to.deep.equal(comparable(original));
  });
});
