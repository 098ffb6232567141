/**
 * What one AWS SDK call costs in CPU, on each side of the local fronts: the calls the roles make
 * (crawler PutRecords of 500, ledger BatchWriteItem of 25, cursor UpdateItem and GetItem; reader
 * GetRecords empty and full), each made N times one after another through the clients the workers
 * use (`shared/aws/clients.ts`, each role's own identity, IAM and the limits enforced), printed as
 * CPU µs per call of the calling process (`process.cpuUsage()`), of the fronts' process and of the
 * emulator behind them (`/proc/<pid>/stat`), beside the median wall time and the load average.
 *
 *   npm run bench:sdk -- [--calls 400] [--only GetItem,UpdateItem] [--shards 8]
 *
 * Kinesis calls are paced within the shard limits the fronts enforce (1,000 records/s written and
 * five GetRecords a second per shard), so every call is a real one and not a refusal; the pause
 * costs no CPU. Profile the calling side with `node --cpu-prof --import=tsx bench/sdk-calls.ts`.
 */
import { BatchWriteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startLocalEnv } from '../local/env/index.js';
import { cpuSeconds } from './pipeline/process-stats.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '400' }, only: { type: 'string' }, shards: { type: 'string', default: '8' } } });
const CALLS = Number(values.calls);
const SHARDS = Number(values.shards);
const ONLY = values.only === undefined ? undefined : new Set(values.only.split(','));
/** A shard takes five GetRecords a second: one call per shard every 210 ms keeps clear of the refusal. */
const READ_GAP_MS = 210;
/** Records per PutRecords, and their size: the producer's full batch of the bench's records. */
const PUT_RECORDS = 500;
const RECORD_BYTES = 200;

interface Case {
  readonly name: string;
  /** The emulator whose CPU is shown beside the front's. */
  readonly emulator: 'kinesalite' | 'dynamodb-local';
  /** Before the measured calls (not measured). */
  prepare?(): Promise<void>;
  call(i: number): Promise<unknown>;
  /** Milliseconds to wait before call i so the shard limits hold (waiting costs no CPU). */
  readonly gapMs?: number;
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const env = await startLocalEnv({ stack: 'sdkbench', shards: { raw: SHARDS, rawHistory: SHARDS, results: 1 } });
const pidOf = (name: string): number | undefined => env.processes.find((p) => p.name === name)?.pid;
const frontsPid = pidOf('fronts');
if (frontsPid === undefined || env.front === undefined) throw new Error('no fronts process: the environment runs against an external endpoint');
const crawler = env.clientsFor('crawler');
const reader = env.clientsFor('stream-reader');
const names = env.names;
// The history lane's raw stream: the stream-reader reads the live one by subscription only (no
// GetRecords granted there) and polls this one; the crawler writes both.
const stream = names.streams.rawHistory;

const shardIds = (await reader.kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards?.map((s) => s.ShardId ?? '') ?? [];
const records = Array.from({ length: PUT_RECORDS }, (_, i) => ({ Data: Buffer.alloc(RECORD_BYTES, i % 256), PartitionKey: `user-${i}` }));
let putThrottled = 0;
const iterators = new Map<string, string>();
const iteratorsFor = async (type: 'LATEST' | 'TRIM_HORIZON'): Promise<void> => {
  for (const shardId of shardIds) {
    const out = await reader.kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: type }));
    iterators.set(shardId, out.ShardIterator ?? '');
  }
};
let fullRecords = 0;
const getRecords = async (i: number, counted: boolean): Promise<void> => {
  const shardId = shardIds[i % shardIds.length] ?? '';
  const out = await reader.kinesis.send(new GetRecordsCommand({ ShardIterator: iterators.get(shardId), Limit: 100 }));
  if (out.NextShardIterator !== undefined) iterators.set(shardId, out.NextShardIterator);
  if (counted) fullRecords += out.Records?.length ?? 0;
};

const cases: Case[] = [
  {
    name: 'GetItem',
    emulator: 'dynamodb-local',
    call: () => crawler.dynamodb.send(new GetItemCommand({ TableName: names.tables.crawlerState, Key: { name: { S: 'sdkbench' } }, ConsistentRead: true })),
  },
  {
    name: 'UpdateItem',
    emulator: 'dynamodb-local',
    call: (i) =>
      crawler.dynamodb.send(
        new UpdateItemCommand({
          TableName: names.tables.crawlerState,
          Key: { name: { S: `sdkbench-${i % 50}` } },
          UpdateExpression: 'SET #cursor = :cursor, #revision = if_not_exists(#revision, :zero) + :one',
          ExpressionAttributeNames: { '#cursor': 'cursor', '#revision': 'revision' },
          ExpressionAttributeValues: { ':cursor': { S: `cursor-${i}` }, ':zero': { N: '0' }, ':one': { N: '1' } },
        }),
      ),
  },
  {
    name: 'BatchWriteItem (25)',
    emulator: 'dynamodb-local',
    call: (i) =>
      crawler.dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [names.tables.ingestLedger]: Array.from({ length: 25 }, (_, n) => ({
              PutRequest: { Item: { transactionId: { S: `tx-${i}-${n}` }, contentHash: { S: 'a'.repeat(64) }, expiresAt: { N: '1893456000' } } },
            })),
          },
        }),
      ),
  },
  {
    name: `PutRecords (${PUT_RECORDS} x ${RECORD_BYTES} B)`,
    emulator: 'kinesalite',
    // 1,000 records/s per shard: a call of 500 every 500 ms / shards, with a margin.
    gapMs: Math.ceil((PUT_RECORDS / (1000 * SHARDS)) * 1000 * 1.25),
    call: async () => {
      const out = await crawler.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
      putThrottled += out.FailedRecordCount ?? 0;
    },
  },
  {
    name: 'GetRecords (empty)',
    emulator: 'kinesalite',
    gapMs: Math.ceil(READ_GAP_MS / SHARDS),
    prepare: () => iteratorsFor('LATEST'),
    call: (i) => getRecords(i, false),
  },
  {
    name: 'GetRecords (full, limit 100)',
    emulator: 'kinesalite',
    gapMs: Math.ceil(READ_GAP_MS / SHARDS),
    prepare: () => iteratorsFor('TRIM_HORIZON'),
    call: (i) => getRecords(i, true),
  },
];

interface Row {
  readonly name: string;
  readonly callerUs: number;
  readonly frontUs: number;
  readonly emulatorUs: number;
  readonly wallMs: number;
}

async function measure(c: Case): Promise<Row> {
  await c.prepare?.();
  // Warm: the first calls compile the SDK's paths and open the sockets.
  for (let i = 0; i < 20; i += 1) {
    if (c.gapMs !== undefined) await sleep(c.gapMs);
    await c.call(1_000_000 + i);
  }
  if (c.gapMs !== undefined) await sleep(1000);
  const emulatorPid = pidOf(c.emulator);
  const samples: number[] = [];
  let callerUs = 0;
  const frontBefore = cpuSeconds(frontsPid) ?? 0;
  const emulatorBefore = cpuSeconds(emulatorPid) ?? 0;
  for (let i = 0; i < CALLS; i += 1) {
    // The pause is left out of the caller's CPU: only the call's own work is counted.
    if (c.gapMs !== undefined) await sleep(c.gapMs);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await c.call(i);
    samples.push(performance.now() - started);
    const spent = process.cpuUsage(cpu);
    callerUs += spent.user + spent.system;
  }
  const frontS = (cpuSeconds(frontsPid) ?? 0) - frontBefore;
  const emulatorS = (cpuSeconds(emulatorPid) ?? 0) - emulatorBefore;
  return { name: c.name, callerUs: callerUs / CALLS, frontUs: (frontS * 1e6) / CALLS, emulatorUs: (emulatorS * 1e6) / CALLS, wallMs: median(samples) };
}

try {
  const selected = cases.filter((c) => ONLY === undefined || [...ONLY].some((o) => c.name.startsWith(o)));
  console.log(`sdk calls: ${CALLS} calls per kind, one at a time, each role's client through its front (IAM and limits enforced); history raw stream of ${shardIds.length} shards`);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| call | caller CPU µs/call | fronts CPU µs/call | emulator CPU µs/call | wall median ms | load (1 min) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const c of selected) {
    const row = await measure(c);
    console.log(`| ${row.name} | ${row.callerUs.toFixed(0)} | ${row.frontUs.toFixed(0)} | ${row.emulatorUs.toFixed(0)} | ${row.wallMs.toFixed(2)} | ${loadavg()[0]?.toFixed(2)} |`);
  }
  const stats = await env.front.stats();
  const kinesis = stats.fronts.find((f) => f.service === 'kinesis')?.middlewares['kinesisLimits'] as { throttledReads?: number } | undefined;
  console.log(`\nrecords refused by the write limit: ${putThrottled}; reads refused: ${kinesis?.throttledReads ?? 0}; records read by the full GetRecords: ${fullRecords}`);
  console.log('fronts CPU is the whole fronts process (every front) between the first and last call of a kind; the emulator column is its process (Java for DynamoDB Local).');
} finally {
  crawler.destroy();
  reader.destroy();
  await env.stop();
}
