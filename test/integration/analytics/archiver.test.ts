import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { gunzipSync } from 'node:zlib';
import { LocalArchiver, startLocalArchiver } from '../../../local/archiver/index.js';
import type { LocalArchiverOptions } from '../../../local/archiver/index.js';
import { KinesisProducer } from '../../../shared/kinesis/index.js';
import { deliveryStreamName, parseArchiveKey } from '../../../shared/archive/archive-key.js';
import { getBytes, listAll } from '../../../workers/lib/s3-objects.js';
import { rawRecord } from '../../fixtures/analytics/archive-fixture.js';
import { brokerTransaction } from '../../helpers/factories.js';
import type { AnalyticsStack } from './helpers.js';
import { analyticsStack } from './helpers.js';

/** Firehose's key: infra's hour prefix, then `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>`. */
const FIREHOSE_KEY = /^raw\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/(.+)-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.ndjson\.gz$/;

/** Lease and read timings that make a test's consumer start, read and checkpoint within a second. */
const FAST = { failoverTimeMs: 2_000, idleTimeBetweenReadsMs: 50, shutdownTimeoutMs: 2_000 } as const;

function records(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify(rawRecord(brokerTransaction({ transactionId: `arch-${i}`, userId: `user-${i % 7}`, description: 'x'.repeat(i % 50) }))),
  );
}

async function put(s: AnalyticsStack, lines: readonly string[], streamName = s.names.streams.raw): Promise<void> {
  const producer = new KinesisProducer({ kinesis: s.as('crawler').kinesis, streamName });
  await Promise.all(lines.map((data) => producer.put({ data, partitionKey: (JSON.parse(data) as { transaction: { userId: string } }).transaction.userId })));
  await producer.close();
}

function archiver(s: AnalyticsStack, overrides: Partial<LocalArchiverOptions> = {}): LocalArchiver {
  // The archiver stands in for Firehose and acts as its role.
  return new LocalArchiver({
    kinesis: s.as('firehose').kinesis,
    dynamodb: s.as('firehose').dynamodb,
    s3: s.as('firehose').s3,
    streamName: s.names.streams.raw,
    leaseTableName: s.names.tables.leases,
    bucket: s.names.buckets.rawArchive,
    deliveryStreamName: deliveryStreamName(s.stack),
    bufferIntervalMs: 1_000,
    consumer: FAST,
    ...overrides,
  });
}

/** Every archived object: its key, bytes and lines. */
async function archive(s: AnalyticsStack): Promise<{ key: string; bytes: Buffer; text: string }[]> {
  const objects = await listAll(s.clients.s3, s.names.buckets.rawArchive, '');
  return Promise.all(
    objects.map(async (o) => {
      const bytes = Buffer.from(await getBytes(s.clients.s3, s.names.buckets.rawArchive, o.key));
      return { key: o.key, bytes, text: gunzipSync(bytes).toString('utf8') };
    }),
  );
}

async function checkpoint(s: AnalyticsStack): Promise<string | undefined> {
  const { Items } = await s.clients.dynamodb.send(
    new QueryCommand({
      TableName: s.names.tables.leases,
      KeyConditionExpression: 'application = :app',
      ExpressionAttributeValues: { ':app': { S: 'archiver' } },
      ConsistentRead: true,
    }),
  );
  return Items?.[0]?.['checkpoint']?.S;
}

describe('Class: LocalArchiver', function () {
  this.timeout(60_000);
  let s: AnalyticsStack;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    s = await analyticsStack({ rawStream: true });
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await s?.cleanup();
  });

  it("writes the raw stream as GZIP NDJSON under Firehose's key layout, cut by the size hint, every record once", async () => {
    // Prepare
    const lines = records(120);
    await put(s, lines);
    const total = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    const bufferSizeBytes = Math.ceil(total / 3);
    const started = Date.now();
    const first = archiver(s, { bufferSizeBytes });
    closers.push(() => first.close());

    // Act
    await first.start();
    await first.drain();
    await first.close();
    const objects = await archive(s);

    // Assess: layout
    expect(objects.length).to.be.at.least(3);
    for (const { key, bytes, text } of objects) {
      expect(FIREHOSE_KEY.exec(key)?.[1], key).to.equal(deliveryStreamName(s.stack));
      const stamp = parseArchiveKey(key)!.timestamp.getTime();
      expect(stamp, key).to.be.within(Math.floor(started / 1000) * 1000 - 60_000, Date.now());
      expect([bytes[0], bytes[1]]).to.deep.equal([0x1f, 0x8b]);
      expect(text.endsWith('\n')).to.equal(true);
      expect(Buffer.byteLength(text)).to.be.at.most(bufferSizeBytes);
    }
    // Assess: contents, one record's data per line, each exactly once
    const archived = objects.flatMap((o) => o.text.slice(0, -1).split('\n'));
    expect([...archived].sort()).to.deep.equal([...lines].sort());

    // Act: a new archiver resumes from the checkpoint and finds nothing left to write.
    const second = archiver(s);
    closers.push(() => second.close());
    await second.start();
    await second.drain();
    await second.close();

    // Assess
    expect((await archive(s)).length).to.equal(objects.length);
  });

  it('has every record put before drain() in the archive when drain resolves, though its shard reads are a second apart', async () => {
    // Prepare: an archiver idling at Firehose's pace, caught up with an empty stream.
    const slow = archiver(s, { consumer: { ...FAST, idleTimeBetweenReadsMs: 1_000 } });
    closers.push(() => slow.close());
    await slow.start();
    await slow.drain();
    const lines = records(30);
    await put(s, lines);

    // Act
    await slow.drain();

    // Assess
    const archived = (await archive(s)).flatMap((o) => o.text.slice(0, -1).split('\n'));
    expect([...archived].sort()).to.deep.equal([...lines].sort());
  });

  it('checkpoints only after the object is written: nothing is lost when writes fail', async () => {
    // Prepare: an archiver whose S3 refuses every object.
    const lines = records(40);
    await put(s, lines);
    let refused = 0;
    const failing = {
      send: (command: unknown) => {
        if (command instanceof PutObjectCommand) {
          refused += 1;
          return Promise.reject(Object.assign(new Error('S3 is down'), { name: 'ServiceUnavailable' }));
        }
        return s.as('firehose').s3.send(command as never);
      },
    } as unknown as S3Client;
    const broken = archiver(s, { s3: failing, consumer: { ...FAST, shutdownTimeoutMs: 1_000 } });
    closers.push(() => broken.close());

    // Act
    await broken.start();
    await broken.flush();
    while (refused === 0) await new Promise((r) => setTimeout(r, 50));
    await broken.close();
    const checkpointAfterFailure = await checkpoint(s);
    const healthy = archiver(s);
    closers.push(() => healthy.close());
    await healthy.start();
    await healthy.drain();
    await healthy.close();

    // Assess
    expect(checkpointAfterFailure === undefined || checkpointAfterFailure === 'TRIM_HORIZON', String(checkpointAfterFailure)).to.equal(true);
    const archived = (await archive(s)).flatMap((o) => o.text.slice(0, -1).split('\n'));
    expect([...archived].sort()).to.deep.equal([...lines].sort());
  });

  it("archives both lanes' raw streams as Firehose runs them: a stand-in per stream, each object named after its own delivery stream", async () => {
    // Prepare: live records on the live stream, a sign-up's history on the history lane's.
    const live = records(40);
    const history = records(60).map((line) => line.replace(/arch-/g, 'hist-'));
    await Promise.all([put(s, live), put(s, history, s.names.streams.rawHistory)]);
    // The environment as this test's stack sees it (its names, its roles' clients).
    const env = { ...s.env, stack: s.stack, names: s.names, clientsFor: (role: Parameters<typeof s.env.clientsFor>[0]) => s.env.clientsFor(role, s.stack) };

    // Act
    const archivers = await startLocalArchiver(env, { consumer: FAST });
    closers.push(() => archivers.close());
    await archivers.drain();
    await archivers.close();
    const objects = await archive(s);

    // Assess
    const linesOf = (stream: string) => objects.filter((o) => FIREHOSE_KEY.exec(o.key)?.[1] === stream).flatMap((o) => o.text.slice(0, -1).split('\n'));
    expect(deliveryStreamName(s.stack, 'rawHistory')).to.not.equal(deliveryStreamName(s.stack));
    expect(linesOf(deliveryStreamName(s.stack)).sort()).to.deep.equal([...live].sort());
    expect(linesOf(deliveryStreamName(s.stack, 'rawHistory')).sort()).to.deep.equal([...history].sort());
  });
});
