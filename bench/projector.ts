/**
 * The view's write and read path against DynamoDB Local, every cost as DynamoDB reports it
 * (`ReturnConsumedCapacity`): records per second into the view, WRU per record, RRU per page read.
 * Data is shaped like the synthetic pipeline's (100 users, about two transactions a day each, in
 * time order, written in batches of 1,000 as GetRecords hands them over).
 *
 *   node --import=tsx bench/projector.ts [--records 6000] [--users 100] [--concurrency 4] [--json FILE]
 *
 * Each row prints the CPU this process spent per record (the writer and the SDK, the store's own
 * process left out): the projector's write-side share of its CPU per record.
 *
 * Rows:
 * - control: bare `BatchWriteItem` of the very items the writer makes, 25 a request, as many in
 *   flight: the store's ceiling at the view's item size on this machine right now.
 * - added: `ViewWriter` writing every record once.
 * - replay: the same records again; the view must not change.
 * - amendments: a third of the transactions modified, removed, or posted over a pending one, every
 *   change delivered twice and shuffled; totals must equal the final versions' sums.
 * - sign-up: one user's 2,400-transaction history over 24 months in one go: how many partition
 *   keys it spreads over (DynamoDB allows 1,000 WRU/s per key).
 * - page read: the read model for every user (eventually consistent, as the API reads).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BatchWriteItemCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { startLocalEnv } from '../local/env/index.js';
import { ensureTable } from '../local/env/provision.js';
import { CATEGORIES } from '../shared/schemas/categories.js';
import { SCORED_RESULT_VERSION } from '../shared/schemas/scored-result.js';
import type { ScoredResult } from '../shared/schemas/scored-result.js';
import { ChangeKind, Lane } from '../shared/schemas/transaction-change.js';
import { itemSizeBytes } from '../shared/view/item-size.js';
import { localMonth } from '../shared/view/months.js';
import { readInsights } from '../shared/view/read-insights.js';
import { scanView } from '../shared/view/scan-view.js';
import type { ViewContents } from '../shared/view/scan-view.js';
import { toItem, versionKey, versionOf } from '../shared/view/version.js';
import { ViewWriter } from '../workers/projector/view-writer.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '6000' },
    batch: { type: 'string', default: '1000' },
    users: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4' },
    json: { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const BATCH = Number(values.batch);
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);
const SIGNUP_HISTORY = 2_400;
const SIGNUP_MONTHS = 24;

/** Time-ordered results: each user books about two a day from 1 September 2026. */
function results(count: number, prefix: string, users = USERS, perDay = users * 2): ScoredResult[] {
  const start = Date.UTC(2026, 8, 1);
  return Array.from({ length: count }, (_, i) => {
    const user = (i * 37) % users;
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
      merchant: { name: `ALBERT HEIJN ${i % 300} AMSTERDAM`, mcc: '5411' },
      category,
      categoryScores: CATEGORIES.map((c) => (c === category ? 0.8912345 : 0.0099)),
      anomalyScore: isAnomaly ? 0.9712345 : 0.0412345,
      isAnomaly,
      models: { categoriser: 'categoriser@1.0.0+b8163893737a', anomaly: 'anomaly@1.0.0+5c1e0b6d2f9a' },
      contentHash: `c${String(i).padStart(31, '0')}`,
      ingestedAt: new Date().toISOString(),
      scoredAt: new Date().toISOString(),
    };
  });
}

const change = (kind: (typeof ChangeKind)[keyof typeof ChangeKind], revision: number, pendingTransactionId?: string): NonNullable<ScoredResult['change']> => ({
  kind,
  revision,
  connectionId: 'conn-1',
  lane: Lane.Live,
  ...(pendingTransactionId === undefined ? {} : { pendingTransactionId }),
});

/**
 * Changes after the fact for a third of `base`, and the versions that must stand at the end: every
 * ninth record modified (another amount), every ninth+3 removed, every ninth+6 posted under a new
 * id over itself as the pending one (which is removed).
 */
function amendments(base: readonly ScoredResult[]): { changes: ScoredResult[]; final: ScoredResult[] } {
  const changes: ScoredResult[] = [];
  const final: ScoredResult[] = [];
  base.forEach((r, i) => {
    if (i % 9 === 0) {
      const modified = { ...r, amount: { ...r.amount, minor: r.amount.minor - 150 }, contentHash: `${r.contentHash}m`, change: change(ChangeKind.Modified, 1) };
      changes.push(modified);
      final.push(modified);
    } else if (i % 9 === 3) {
      changes.push({ ...r, change: change(ChangeKind.Removed, 1) });
    } else if (i % 9 === 6) {
      const posted = { ...r, transactionId: `${r.transactionId}-posted`, amount: { ...r.amount, minor: r.amount.minor - 99 }, contentHash: `${r.contentHash}p`, change: change(ChangeKind.Added, 1, r.transactionId) };
      changes.push(posted, { ...r, change: change(ChangeKind.Removed, 2) });
      final.push(posted);
    } else {
      final.push(r);
    }
  });
  return { changes, final };
}

/** Deterministic shuffle (so a run can be repeated). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let a = seed >>> 0;
  for (let i = out.length - 1; i > 0; i -= 1) {
    a = (a * 1_664_525 + 1_013_904_223) >>> 0;
    const j = a % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Totals the read model must show for `final`, against what it shows: the number that differ. */
function totalsDiffering(view: ViewContents, final: readonly ScoredResult[]): number {
  const want = new Map<string, { sum: number; count: number }>();
  for (const r of final) {
    const key = `${r.userId}|${localMonth(r.bookedAt)}|${r.category}|${r.amount.currency}`;
    const before = want.get(key) ?? { sum: 0, count: 0 };
    want.set(key, { sum: before.sum + r.amount.minor, count: before.count + 1 });
  }
  let differing = 0;
  for (const t of view.totals) {
    const key = `${t.userId}|${t.month}|${t.category}|${t.currency}`;
    const w = want.get(key);
    want.delete(key);
    if (w === undefined || w.sum !== t.sumMinor || w.count !== t.count) differing += 1;
  }
  return differing + want.size;
}

const sorted = (view: ViewContents): string =>
  JSON.stringify({ transactions: view.transactions.map(({ viewedAt: _v, ...rest }) => rest).sort((a, b) => a.transactionId.localeCompare(b.transactionId)), totals: [...view.totals].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) });

interface Row {
  readonly name: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly wruPerRecord: number;
  /** CPU of this process per record, in µs: what the writer and the SDK cost, the store left out. */
  readonly cpuUsPerRecord: number;
  readonly note: string;
}

async function withTable<T>(dynamodb: DynamoDBClient, prefix: string, work: (tableName: string) => Promise<T>): Promise<T> {
  const tableName = `bench-${prefix}-${Date.now()}`;
  await ensureTable(dynamodb, tableName, 'view');
  try {
    return await work(tableName);
  } finally {
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  }
}

/** Writes `data` in batches of `BATCH` through a writer of its own; seconds and WRU per record. */
async function writeAll(dynamodb: DynamoDBClient, tableName: string, data: readonly ScoredResult[]): Promise<{ seconds: number; wruPerRecord: number; cpuSeconds: number; writer: ViewWriter }> {
  const writer = new ViewWriter({ dynamodb, tableName, maxConcurrentRequests: CONCURRENCY });
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < data.length; i += BATCH) await writer.write(data.slice(i, i + BATCH));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, wruPerRecord: writer.stats.consumedWru / Math.max(1, data.length), cpuSeconds: cpuSecondsSince(cpu), writer };
}

/** CPU seconds (user and system) this process spent since `before`: the writer and the SDK, not the emulator. */
function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / 1e6;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const row = (name: string, records: number, seconds: number, wruPerRecord: number, cpuSeconds: number, note: string): Row => ({
  name,
  records,
  seconds: round(seconds),
  recordsPerSecond: Math.round(records / seconds),
  wruPerRecord: round(wruPerRecord),
  cpuUsPerRecord: round((cpuSeconds * 1e6) / records, 1),
  note,
});

const env = await startLocalEnv({ provision: false });
const { dynamodb, destroy } = env.clients();
const rows: Row[] = [];
const reads: { users: number; rruPerPage: { mean: number; max: number }; msPerPage: number } = { users: 0, rruPerPage: { mean: 0, max: 0 }, msPerPage: 0 };
const itemBytes = { mean: 0, max: 0 };
try {
  const data = results(RECORDS, 'tx');
  const viewedAt = new Date().toISOString();
  const sizes = data.map((r) => itemSizeBytes(toItem(versionOf(r, viewedAt))));
  Object.assign(itemBytes, { mean: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length), max: Math.max(...sizes) });

  // A short warm-up: the DynamoDB Local JVM compiles its hot paths during the first seconds.
  await withTable(dynamodb, 'warmup', (t) => writeAll(dynamodb, t, results(2000, 'warm')));

  await withTable(dynamodb, 'control', async (tableName) => {
    const requests: WriteRequest[][] = [];
    for (let i = 0; i < data.length; i += 25) requests.push(data.slice(i, i + 25).map((r) => ({ PutRequest: { Item: toItem(versionOf(r, viewedAt)) } })));
    let next = 0;
    let wru = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          let pending = requests[next++] as WriteRequest[];
          while (pending.length > 0) {
            const out = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending }, ReturnConsumedCapacity: 'TOTAL' }));
            wru += (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
            pending = out.UnprocessedItems?.[tableName] ?? [];
          }
        }
      }),
    );
    rows.push(row('control: bare BatchWriteItem of the same items', data.length, (performance.now() - started) / 1000, wru / data.length, cpuSecondsSince(cpu), `${CONCURRENCY} requests of 25 in flight`));
  });

  await withTable(dynamodb, 'writer', async (tableName) => {
    const added = await writeAll(dynamodb, tableName, data);
    const first = await scanView(dynamodb, tableName);
    rows.push(row('ViewWriter: every record once', data.length, added.seconds, added.wruPerRecord, added.cpuSeconds, `${totalsDiffering(first, data)} totals differ from the input's sums`));
    const replay = await writeAll(dynamodb, tableName, data);
    const second = await scanView(dynamodb, tableName);
    rows.push(row('ViewWriter: the same records again (replay)', data.length, replay.seconds, replay.wruPerRecord, replay.cpuSeconds, `view ${sorted(first) === sorted(second) ? 'unchanged' : 'CHANGED'}, ${second.versions.length} items`));

    const users = [...new Set(data.map((r) => r.userId))];
    const rru: number[] = [];
    const started = performance.now();
    for (const userId of users) {
      let units = 0;
      await readInsights({ dynamodb, tableName, onConsumedCapacity: (u) => (units += u), clock: () => new Date(Date.parse(data[data.length - 1]?.bookedAt ?? '') + 3_600_000) }, { userId });
      rru.push(units);
    }
    reads.users = users.length;
    reads.msPerPage = round((performance.now() - started) / users.length, 1);
    reads.rruPerPage = { mean: round(rru.reduce((a, b) => a + b, 0) / rru.length), max: Math.max(...rru) };
  });

  await withTable(dynamodb, 'amend', async (tableName) => {
    const base = data.slice(0, Math.min(3000, data.length));
    await writeAll(dynamodb, tableName, base);
    const { changes, final } = amendments(base);
    const delivered = shuffled([...changes, ...changes], 7);
    const amended = await writeAll(dynamodb, tableName, delivered);
    const view = await scanView(dynamodb, tableName);
    rows.push(row('ViewWriter: amendments, twice, shuffled', delivered.length, amended.seconds, amended.wruPerRecord, amended.cpuSeconds, `${totalsDiffering(view, final)} totals differ from the final versions' sums; ${view.transactions.length} shown of ${final.length}`));
  });

  await withTable(dynamodb, 'signup', async (tableName) => {
    const history = results(SIGNUP_HISTORY, 'hist', 1, SIGNUP_HISTORY / (SIGNUP_MONTHS * 30.4));
    const perKey = new Map<string, number>();
    for (const r of history) {
      const { pk } = versionKey(versionOf(r, viewedAt));
      perKey.set(pk, (perKey.get(pk) ?? 0) + 1);
    }
    const busiest = Math.max(...perKey.values());
    const signup = await writeAll(dynamodb, tableName, history);
    rows.push(
      row(
        `sign-up: one user's ${SIGNUP_HISTORY} transactions`,
        history.length,
        signup.seconds,
        signup.wruPerRecord,
        signup.cpuSeconds,
        `${perKey.size} partition keys, at most ${busiest} items on one: ≥ ${round((busiest * signup.wruPerRecord) / 1000, 2)} s at 1,000 WRU/s per key (one key: ${round((history.length * signup.wruPerRecord) / 1000, 1)} s)`,
      ),
    );
  });
} finally {
  destroy();
  await env.stop();
}

console.log(`view write and read path, DynamoDB Local, batches of ${BATCH}, ${USERS} users, ${CONCURRENCY} requests in flight (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs)`);
console.log(`view item size (DynamoDB's rule): mean ${itemBytes.mean} B, max ${itemBytes.max} B; target ≤ 2.0 WRU per record`);
console.log(`${'row'.padEnd(48)} ${'records'.padStart(8)} ${'seconds'.padStart(8)} ${'records/s'.padStart(10)} ${'WRU/rec'.padStart(8)} ${'CPU µs/rec'.padStart(10)}  note`);
for (const r of rows) {
  console.log(`${r.name.padEnd(48)} ${String(r.records).padStart(8)} ${String(r.seconds).padStart(8)} ${String(r.recordsPerSecond).padStart(10)} ${String(r.wruPerRecord).padStart(8)} ${String(r.cpuUsPerRecord).padStart(10)}  ${r.note}`);
}
console.log(`page read (read model, eventually consistent, default request) for ${reads.users} users: ${reads.rruPerPage.mean} RRU mean, ${reads.rruPerPage.max} max, ${reads.msPerPage} ms each`);
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ batch: BATCH, users: USERS, concurrency: CONCURRENCY, itemBytes, rows, reads }, null, 2)}\n`);
