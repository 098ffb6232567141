/**
 * Projector write throughput against DynamoDB Local: records per second into the view, with each
 * grouping of a batch into transactions (one per record; one per user and month; user-months
 * packed up to 100 actions), on data shaped like the synthetic pipeline's (100 users, about two
 * transactions a day each, in time order, read in batches of 1,000 as GetRecords hands them over).
 *
 *   node --import=tsx bench/projector.ts [--records 6000] [--per-record 1500] [--json FILE]
 *
 * The replay row writes the same records again: every one is a duplicate, nothing changes. The
 * control row is the machine's bare rate right now: one single-Put transaction at a time per
 * in-flight slot, the figure ARCHITECTURE.md quotes (about 390/s on an idle machine), so rows
 * measured on a busy machine can be compared with it.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DeleteTableCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { startLocalEnv } from '../local/env/index.js';
import { ensureTable } from '../local/env/provision.js';
import { CATEGORIES } from '../shared/schemas/categories.js';
import { SCORED_RESULT_VERSION } from '../shared/schemas/scored-result.js';
import type { ScoredResult } from '../shared/schemas/scored-result.js';
import { Grouping } from '../workers/projector/transaction-planner.js';
import { auditTotals } from '../workers/projector/view-model.js';
import { scanView } from '../workers/projector/view-scan.js';
import { ViewWriter } from '../workers/projector/view-writer.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '6000' },
    'per-record': { type: 'string', default: '1500' },
    batch: { type: 'string', default: '1000' },
    users: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4' },
    json: { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const PER_RECORD = Number(values['per-record']);
const BATCH = Number(values.batch);
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);

/** Time-ordered results: each user books about two a day from 1 September 2026. */
function results(count: number, prefix: string): ScoredResult[] {
  const start = Date.UTC(2026, 8, 1);
  const perDay = USERS * 2;
  return Array.from({ length: count }, (_, i) => {
    const user = (i * 37) % USERS;
    const at = new Date(start + Math.floor(i / perDay) * 86_400_000 + (i % perDay) * Math.floor(86_400_000 / perDay));
    const category = CATEGORIES[(i * 7) % 6] ?? 'other';
    const isAnomaly = i % 50 === 0;
    return {
      v: SCORED_RESULT_VERSION,
      transactionId: `${prefix}-${i}`,
      userId: `user-${user}`,
      accountId: `acc-${user}`,
      bookedAt: `${at.toISOString().slice(0, 19)}+01:00`,
      amount: { minor: -((i * 7919) % 25_000), currency: user % 10 === 0 ? 'USD' : 'EUR' },
      merchant: { name: `MERCHANT ${i % 300}`, mcc: '5411' },
      category,
      categoryScores: CATEGORIES.map((c) => (c === category ? 0.89 : 0.01)),
      anomalyScore: isAnomaly ? 0.97 : 0.04,
      isAnomaly,
      models: { categoriser: 'bench', anomaly: 'bench' },
      contentHash: `h${i}`,
      ingestedAt: new Date().toISOString(),
      scoredAt: new Date().toISOString(),
    };
  });
}

interface Row {
  readonly grouping: string;
  readonly records: number;
  readonly transactions: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly doubleCounted: number;
}

const env = await startLocalEnv({ provision: false });
const { dynamodb, destroy } = env.clients();
const rows: Row[] = [];
try {
  const runs: { grouping: Grouping; count: number; replay?: boolean }[] = [
    { grouping: Grouping.PerRecord, count: PER_RECORD },
    { grouping: Grouping.UserMonth, count: RECORDS },
    { grouping: Grouping.Packed, count: RECORDS },
    { grouping: Grouping.Packed, count: RECORDS, replay: true },
  ];
  // A short warm-up: the DynamoDB Local JVM compiles its hot paths during the first seconds.
  {
    const tableName = `bench-warmup-${Date.now()}`;
    await ensureTable(dynamodb, tableName, 'view');
    await new ViewWriter({ dynamodb, tableName }).write(results(2000, 'warm'));
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  }
  {
    const tableName = `bench-control-${Date.now()}`;
    await ensureTable(dynamodb, tableName, 'view');
    const count = PER_RECORD;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const i = next++;
          await dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: tableName, Item: { pk: { S: `C#${i}` }, sk: { S: 'C' } }, ConditionExpression: 'attribute_not_exists(pk)' } }] }));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    rows.push({ grouping: 'control: bare 1-Put transactions', records: count, transactions: count, seconds: Math.round(seconds * 100) / 100, recordsPerSecond: Math.round(count / seconds), doubleCounted: 0 });
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  }
  let replayTable: string | undefined;
  for (const run of runs) {
    const tableName = run.replay === true && replayTable !== undefined ? replayTable : `bench-${run.grouping}-${Date.now()}`;
    if (run.replay !== true) await ensureTable(dynamodb, tableName, 'view');
    const writer = new ViewWriter({ dynamodb, tableName, grouping: run.grouping, maxConcurrentTransactions: CONCURRENCY });
    const data = results(run.count, 'tx');
    const started = performance.now();
    for (let i = 0; i < data.length; i += BATCH) await writer.write(data.slice(i, i + BATCH));
    const seconds = (performance.now() - started) / 1000;
    const view = await scanView(dynamodb, tableName);
    rows.push({
      grouping: run.replay === true ? `${run.grouping} (replay: all duplicates)` : run.grouping,
      records: run.count,
      transactions: writer.stats.transactions,
      seconds: Math.round(seconds * 100) / 100,
      recordsPerSecond: Math.round(run.count / seconds),
      doubleCounted: auditTotals(view).length + (view.transactions.length - run.count),
    });
    if (run.grouping === Grouping.Packed) replayTable = tableName;
    else await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  }
  if (replayTable !== undefined) await dynamodb.send(new DeleteTableCommand({ TableName: replayTable }));
} finally {
  destroy();
  await env.stop();
}

console.log(`projector write throughput, DynamoDB Local, batches of ${BATCH}, ${USERS} users, ${CONCURRENCY} transactions in flight per batch (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs)`);
console.log(`${'grouping'.padEnd(36)} ${'records'.padStart(8)} ${'txns'.padStart(6)} ${'seconds'.padStart(8)} ${'records/s'.padStart(10)} ${'doubleCounted'.padStart(14)}`);
for (const row of rows) {
  console.log(`${row.grouping.padEnd(36)} ${String(row.records).padStart(8)} ${String(row.transactions).padStart(6)} ${String(row.seconds).padStart(8)} ${String(row.recordsPerSecond).padStart(10)} ${String(row.doubleCounted).padStart(14)}`);
}
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ batch: BATCH, users: USERS, concurrency: CONCURRENCY, rows }, null, 2)}\n`);
