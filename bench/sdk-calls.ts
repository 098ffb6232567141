/**
 * What one AWS SDK call costs in CPU, on each side of the local fronts: the calls the roles make
 * (crawler PutRecords of 500, ledger BatchWriteItem of 25, cursor UpdateItem and GetItem; reader
 * GetRecords empty and full; the projector's BatchWriteItem of 25 view items), each made N times
 * one after another through the clients the workers use (`shared/aws/clients.ts`, each role's own
 * identity, IAM and the limits enforced), printed as CPU µs per call of the calling process
 * (`process.cpuUsage()`), of the fronts' process and of the emulator behind them
 * (`/proc/<pid>/stat`), beside the median wall time and the load average.
 *
 * The "SDK alone" column makes the same calls again on a twin client (same role, same
 * configuration) whose request handler answers at once with the answer the last real call got
 * (`ReplayHandler`): the SDK's own work per call (serialise, sign, middleware, parse) without
 * sockets. Those calls run back to back, so it is a floor: a real call waits for its answer and
 * runs its code again on colder caches (on the 2-core VMs a keep-alive round trip through
 * `JsonHttpHandler` costs the client twice the CPU when the server answers after 4 ms as when it
 * answers at once). The last lines print what
 * a record's share of its call costs the caller, beside the 50 µs a record that 20,000 records per
 * CPU second allows a role (issue 12, item 3).
 *
 *   npm run bench:sdk -- [--calls 400] [--only GetItem,UpdateItem] [--shards 8]
 *
 * Kinesis calls are paced within the shard limits the fronts enforce (1,000 records/s written and
 * five GetRecords a second per shard), so every call is a real one and not a refusal; the pause
 * costs no CPU. Profile the calling side with `node --cpu-prof --import=tsx bench/sdk-calls.ts`.
 */
import { BatchWriteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { LOCAL_REGION, startLocalEnv } from '../local/env/index.js';
import { createDynamoDbClient, createKinesisClient } from '../shared/aws/clients.js';
import { JsonHttpHandler } from '../shared/aws/json-http-handler.js';
import { toItem, versionOf } from '../shared/view/version.js';
import { TransactionScorer } from '../models/index.js';
import { benchScoredResults, benchTransactions, chunks } from './fixtures.js';
import { ReplayHandler } from './replay-handler.js';
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

/** The client a case calls through, and the role whose identity makes the call. */
interface CaseClients {
  readonly dynamodb: DynamoDBClient;
  readonly kinesis: KinesisClient;
}

interface Case {
  readonly name: string;
  /** The role whose client makes the call (its identity and grants). */
  readonly role: Role;
  /** Records (or items) one call carries: the caller's CPU per record is its CPU per call over this. */
  readonly records: number;
  /** The emulator whose CPU is shown beside the front's. */
  readonly emulator: 'kinesalite' | 'dynamodb-local';
  /** Before the measured calls (not measured). */
  prepare?(): Promise<void>;
  /** `real` is false on the replaying twin, whose answers must not move the case's own state. */
  call(clients: CaseClients, i: number, real: boolean): Promise<unknown>;
  /** Milliseconds to wait before call i so the shard limits hold (waiting costs no CPU). */
  readonly gapMs?: number;
}

type Role = 'crawler' | 'stream-reader' | 'projector';

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

/** Each role's twin clients, answering from `ReplayHandler`s: the SDK alone. */
const replaying = new Map<Role, { clients: CaseClients; handlers: ReplayHandler[] }>();
function twinOf(role: Role): { clients: CaseClients; handlers: ReplayHandler[] } {
  const known = replaying.get(role);
  if (known !== undefined) return known;
  const options = { region: LOCAL_REGION, env: env.awsEnvFor(role), credentials: env.credentialsFor(role) };
  const handler = (): ReplayHandler => new ReplayHandler(new JsonHttpHandler({ maxSockets: 8, connectionTimeout: 5_000, requestTimeout: 30_000 }));
  const handlers = [handler(), handler()];
  const twin = {
    clients: { dynamodb: createDynamoDbClient(options, { requestHandler: handlers[0] as never }), kinesis: createKinesisClient(options, { requestHandler: handlers[1] as never }) },
    handlers,
  };
  replaying.set(role, twin);
  return twin;
}
const projector = env.clientsFor('projector');
const realClients: Record<Role, CaseClients> = { crawler, 'stream-reader': reader, projector };

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
const getRecords = async (kinesis: KinesisClient, i: number, counted: boolean, real: boolean): Promise<void> => {
  const shardId = shardIds[i % shardIds.length] ?? '';
  const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterators.get(shardId), Limit: 100 }));
  if (!real) return;
  if (out.NextShardIterator !== undefined) iterators.set(shardId, out.NextShardIterator);
  if (counted) fullRecords += out.Records?.length ?? 0;
};

// The projector's write: 25 view items as it builds them from scored results (the bench's own
// transactions, scored by the models), 40 batches of 25 in turn.
const VIEW_BATCHES = 40;
const scorer = await TransactionScorer.create({ intraOpNumThreads: 1 });
const viewBatches = chunks(
  (await benchScoredResults(benchTransactions(25 * VIEW_BATCHES, 12), scorer)).map((r) => ({ PutRequest: { Item: toItem(versionOf(r, new Date().toISOString())) } })),
  25,
);
await scorer.close();

const cases: Case[] = [
  {
    name: 'GetItem',
    role: 'crawler',
    records: 1,
    emulator: 'dynamodb-local',
    call: ({ dynamodb }) => dynamodb.send(new GetItemCommand({ TableName: names.tables.crawlerState, Key: { name: { S: 'sdkbench' } }, ConsistentRead: true })),
  },
  {
    name: 'UpdateItem',
    role: 'crawler',
    records: 1,
    emulator: 'dynamodb-local',
    call: ({ dynamodb }, i) =>
      dynamodb.send(
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
    role: 'crawler',
    records: 25,
    emulator: 'dynamodb-local',
    call: ({ dynamodb }, i) =>
      dynamodb.send(
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
    name: 'BatchWriteItem (25 view items)',
    role: 'projector',
    records: 25,
    emulator: 'dynamodb-local',
    call: ({ dynamodb }, i) => dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [names.tables.view]: viewBatches[i % VIEW_BATCHES] ?? [] } })),
  },
  {
    name: `PutRecords (${PUT_RECORDS} x ${RECORD_BYTES} B)`,
    role: 'crawler',
    records: PUT_RECORDS,
    emulator: 'kinesalite',
    // 1,000 records/s per shard: a call of 500 every 500 ms / shards, with a margin.
    gapMs: Math.ceil((PUT_RECORDS / (1000 * SHARDS)) * 1000 * 1.25),
    call: async ({ kinesis }, _i, real) => {
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
      if (real) putThrottled += out.FailedRecordCount ?? 0;
    },
  },
  {
    name: 'GetRecords (empty)',
    role: 'stream-reader',
    records: 1,
    emulator: 'kinesalite',
    gapMs: Math.ceil(READ_GAP_MS / SHARDS),
    prepare: () => iteratorsFor('LATEST'),
    call: ({ kinesis }, i, real) => getRecords(kinesis, i, false, real),
  },
  {
    name: 'GetRecords (full, limit 100)',
    role: 'stream-reader',
    records: 100,
    emulator: 'kinesalite',
    gapMs: Math.ceil(READ_GAP_MS / SHARDS),
    prepare: () => iteratorsFor('TRIM_HORIZON'),
    call: ({ kinesis }, i, real) => getRecords(kinesis, i, true, real),
  },
];

interface Row {
  readonly name: string;
  readonly records: number;
  readonly callerUs: number;
  readonly sdkAloneUs: number;
  readonly frontUs: number;
  readonly emulatorUs: number;
  readonly wallMs: number;
}

/** CPU µs of this process per call of `c` through `clients`, pausing `gapMs` before each (the pause left out). */
async function callerCpu(c: Case, clients: CaseClients, real: boolean, samples: number[] = []): Promise<number> {
  let callerUs = 0;
  for (let i = 0; i < CALLS; i += 1) {
    if (real && c.gapMs !== undefined) await sleep(c.gapMs);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await c.call(clients, i, real);
    samples.push(performance.now() - started);
    const spent = process.cpuUsage(cpu);
    callerUs += spent.user + spent.system;
  }
  return callerUs / CALLS;
}

async function measure(c: Case): Promise<Row> {
  await c.prepare?.();
  const real = realClients[c.role];
  // Warm: the first calls compile the SDK's paths and open the sockets.
  for (let i = 0; i < 20; i += 1) {
    if (c.gapMs !== undefined) await sleep(c.gapMs);
    await c.call(real, 1_000_000 + i, true);
  }
  if (c.gapMs !== undefined) await sleep(1000);
  const emulatorPid = pidOf(c.emulator);
  const samples: number[] = [];
  const frontBefore = cpuSeconds(frontsPid) ?? 0;
  const emulatorBefore = cpuSeconds(emulatorPid) ?? 0;
  const callerUs = await callerCpu(c, real, true, samples);
  const frontS = (cpuSeconds(frontsPid) ?? 0) - frontBefore;
  const emulatorS = (cpuSeconds(emulatorPid) ?? 0) - emulatorBefore;

  // The same calls on the twin: one real call to keep its answer, a warm-up, then the measured ones.
  const twin = twinOf(c.role);
  for (const h of twin.handlers) h.recording = true;
  await c.call(twin.clients, 2_000_000, false);
  for (const h of twin.handlers) h.recording = false;
  for (let i = 0; i < 20; i += 1) await c.call(twin.clients, 3_000_000 + i, false);
  const realCalls = twin.handlers.reduce((n, h) => n + h.realCalls, 0);
  const sdkAloneUs = await callerCpu(c, twin.clients, false);
  const leaked = twin.handlers.reduce((n, h) => n + h.realCalls, 0) - realCalls;
  if (leaked > 0) throw new Error(`${c.name}: ${leaked} of the SDK-alone calls reached the network; the column would count sockets`);
  return { name: c.name, records: c.records, callerUs, sdkAloneUs, frontUs: (frontS * 1e6) / CALLS, emulatorUs: (emulatorS * 1e6) / CALLS, wallMs: median(samples) };
}

/** 20,000 records per CPU second (issue 12, item 3): what a record may cost a role, all its work included. */
const RECORD_BUDGET_US = 1e6 / 20_000;

try {
  const selected = cases.filter((c) => ONLY === undefined || [...ONLY].some((o) => c.name.startsWith(o)));
  console.log(`sdk calls: ${CALLS} calls per kind, one at a time, each role's client through its front (IAM and limits enforced); history raw stream of ${shardIds.length} shards`);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| call | role | caller CPU µs/call | SDK alone µs/call | fronts CPU µs/call | emulator CPU µs/call | wall median ms | load (1 min) |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  const rows: Row[] = [];
  for (const c of selected) {
    const row = await measure(c);
    rows.push(row);
    console.log(`| ${row.name} | ${c.role} | ${row.callerUs.toFixed(0)} | ${row.sdkAloneUs.toFixed(0)} | ${row.frontUs.toFixed(0)} | ${row.emulatorUs.toFixed(0)} | ${row.wallMs.toFixed(2)} | ${loadavg()[0]?.toFixed(2)} |`);
  }
  const stats = await env.front.stats();
  const kinesis = stats.fronts.find((f) => f.service === 'kinesis')?.middlewares['kinesisLimits'] as { throttledReads?: number } | undefined;
  console.log(`\nrecords refused by the write limit: ${putThrottled}; reads refused: ${kinesis?.throttledReads ?? 0}; records read by the full GetRecords: ${fullRecords}`);
  console.log('fronts CPU is the whole fronts process (every front) between the first and last call of a kind; the emulator column is its process (Java for DynamoDB Local).');
  console.log(`\nA record's share of its call, caller CPU (SDK alone), against the ${RECORD_BUDGET_US} µs a record that 20,000 records per CPU second allows a role:`);
  for (const row of rows.filter((r) => r.records > 1)) {
    const share = row.callerUs / row.records;
    console.log(`  ${row.name}: ${share.toFixed(1)} µs (${(row.sdkAloneUs / row.records).toFixed(1)}), ${Math.round((share / RECORD_BUDGET_US) * 100)} % of the budget`);
  }
} finally {
  crawler.destroy();
  reader.destroy();
  projector.destroy();
  for (const twin of replaying.values()) {
    twin.clients.dynamodb.destroy();
    twin.clients.kinesis.destroy();
  }
  await env.stop();
}
