/**
 * What the local fronts (IAM and the limit guards before each emulator) add to a call: the same
 * calls, one at a time, straight to the emulator and through its front as a worker's role, in
 * alternating rounds, and the difference of the medians per call. Also the fronts' own handling
 * time per call (from their counters), which excludes the emulator and the extra loopback hop.
 *
 *   node --import=tsx bench/front-overhead.ts [--calls 300] [--rounds 3]
 *
 * Calls: DynamoDB GetItem (the smallest call), PutItem, Kinesis PutRecords of 500 records of
 * 200 bytes (the producer's batch) and GetRecords, S3 PutObject of 64 KiB.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startLocalEnv } from '../local/env/index.js';
import { createAwsClients } from '../shared/aws/clients.js';
import type { AwsClients } from '../shared/aws/clients.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '300' }, rounds: { type: 'string', default: '3' } } });
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function timed(calls: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    const started = performance.now();
    await call(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

const env = await startLocalEnv({ stack: 'frontbench', shards: { raw: 1, results: 1 } });
const upstreams = env.front?.upstreams;
if (upstreams === undefined) throw new Error('no fronts: the environment runs against an external endpoint');
// Straight to the emulators, with the key ids they accept (what the forwarder sends them).
const direct = (accessKeyId: string): AwsClients & { destroy(): void } =>
  createAwsClients({
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: accessKeyId },
    env: { AWS_ENDPOINT_URL_KINESIS: upstreams.kinesis, AWS_ENDPOINT_URL_DYNAMODB: upstreams.dynamodb, AWS_ENDPOINT_URL_S3: upstreams.s3 },
  });
const emulator = { dynamodb: direct('LOCALFRONT').dynamodb, kinesis: direct('LOCALFRONT').kinesis, s3: direct('S3RVER').s3 };
const crawler = env.clientsFor('crawler');
const reader = env.clientsFor('stream-reader');
const batch = env.clientsFor('batch');
const names = env.names;
const records = Array.from({ length: 500 }, (_, i) => ({ Data: Buffer.alloc(200, i % 256), PartitionKey: `user-${i}` }));
const object = Buffer.alloc(64 * 1024, 7);
const shardId = 'shardId-000000000000';
const iterator = async (kinesis: AwsClients['kinesis']) =>
  (await kinesis.send(new GetShardIteratorCommand({ StreamName: names.streams.raw, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;

const cases: { name: string; viaEmulator: (i: number) => Promise<unknown>; viaFront: (i: number) => Promise<unknown> }[] = [
  {
    name: 'DynamoDB GetItem',
    viaEmulator: () => emulator.dynamodb.send(new GetItemCommand({ TableName: names.tables.crawlerState, Key: { name: { S: 'bench' } } })),
    viaFront: () => crawler.dynamodb.send(new GetItemCommand({ TableName: names.tables.crawlerState, Key: { name: { S: 'bench' } } })),
  },
  {
    name: 'DynamoDB PutItem',
    viaEmulator: (i) => emulator.dynamodb.send(new PutItemCommand({ TableName: names.tables.rejects, Item: { rejectId: { S: `e-${i}` } } })),
    viaFront: (i) => crawler.dynamodb.send(new PutItemCommand({ TableName: names.tables.rejects, Item: { rejectId: { S: `f-${i}` } } })),
  },
  {
    name: 'Kinesis PutRecords (500 x 200 B)',
    viaEmulator: () => emulator.kinesis.send(new PutRecordsCommand({ StreamName: names.streams.raw, Records: records })),
    viaFront: () => crawler.kinesis.send(new PutRecordsCommand({ StreamName: names.streams.raw, Records: records })),
  },
  {
    name: 'Kinesis GetRecords (limit 100)',
    viaEmulator: async () => emulator.kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator(emulator.kinesis), Limit: 100 })),
    viaFront: async () => reader.kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator(reader.kinesis), Limit: 100 })),
  },
  {
    name: 'S3 PutObject (64 KiB)',
    viaEmulator: (i) => emulator.s3.send(new PutObjectCommand({ Bucket: names.buckets.analytics, Key: `enriched/e-${i % 20}.parquet`, Body: object })),
    viaFront: (i) => batch.s3.send(new PutObjectCommand({ Bucket: names.buckets.analytics, Key: `enriched/f-${i % 20}.parquet`, Body: object })),
  },
];

try {
  console.log(`front overhead: ${CALLS} calls per case and path, ${ROUNDS} alternating rounds; ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(1)}\n`);
  console.log('| call | straight to the emulator, median ms | through the front, median ms | added per call, ms |');
  console.log('|---|---:|---:|---:|');
  for (const c of cases) {
    await timed(20, c.viaEmulator);
    await timed(20, c.viaFront);
    const straight: number[] = [];
    const fronted: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      straight.push(...(await timed(CALLS, c.viaEmulator)));
      fronted.push(...(await timed(CALLS, c.viaFront)));
    }
    const [a, b] = [median(straight), median(fronted)];
    console.log(`| ${c.name} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b - a).toFixed(2)} |`);
  }
  const stats = await env.front?.stats();
  console.log('\nhandling inside the fronts (total minus waiting for the emulator), per call:');
  for (const front of stats?.fronts ?? []) {
    console.log(`  ${front.service}: ${front.calls} calls, ${((front.handledMs - front.upstreamMs) / Math.max(1, front.calls)).toFixed(3)} ms`);
  }
} finally {
  for (const c of [crawler, reader, batch]) c.destroy();
  await env.stop();
}
