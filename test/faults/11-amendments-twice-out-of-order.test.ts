import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRow } from '../../local/faults/report.js';
import type { ScenarioRow } from '../../local/faults/report.js';
import { LocalPipeline } from '../../local/runner/pipeline.js';
import { KinesisProducer } from '../../shared/kinesis/index.js';
import { formatMinor } from '../../shared/money.js';
import { RAW_RECORD_VERSION } from '../../shared/schemas/raw-record.js';
import type { RawRecord } from '../../shared/schemas/raw-record.js';
import { streamPartitionKey } from '../../shared/schemas/stream-partition-key.js';
import { ChangeKind, Lane } from '../../shared/schemas/transaction-change.js';
import type { ChangeKindName } from '../../shared/schemas/transaction-change.js';
import { parseBrokerLine, transactionContentHash } from '../../shared/schemas/transaction.js';
import type { BrokerTransaction } from '../../shared/schemas/transaction.js';
import { localMonth } from '../../shared/view/months.js';
import { readInsights } from '../../shared/view/read-insights.js';
import { scanView } from '../../shared/view/scan-view.js';
import type { ViewContents } from '../../shared/view/scan-view.js';
import { testStack } from '../helpers/local-env.js';
import type { TestStack } from '../helpers/local-env.js';
import { seeded } from '../helpers/seeded.js';
import { FAULT_TUNING, syntheticLines } from './harness/scenario.js';

const DAY_MS = 86_400_000;

/** One transaction's life as the crawler puts it on the raw stream, and what stands at its end. */
interface Life {
  readonly records: RawRecord[];
  /** The versions standing once every record is in: none for a removal, the posted one for a pending one. */
  readonly standing: BrokerTransaction[];
}

function versionRecord(kind: ChangeKindName, transaction: BrokerTransaction, revision: number, pendingTransactionId?: string): RawRecord {
  const checked = parseBrokerLine(JSON.stringify(transaction));
  if (!checked.ok) throw new Error(`scenario made an invalid transaction ${transaction.transactionId}: ${checked.message}`);
  return {
    v: RAW_RECORD_VERSION,
    ingestedAt: new Date().toISOString(),
    source: { cursor: `sync:conn-${transaction.userId}:scenario`, line: revision },
    contentHash: transactionContentHash(checked.transaction),
    transaction,
    change: { kind, revision, connectionId: `conn-${transaction.userId}`, lane: Lane.Live, ...(pendingTransactionId === undefined ? {} : { pendingTransactionId }) },
  };
}

/** The amount scaled (a tip, a settlement, a correction), in the broker's notation for its currency. */
function scaled(t: BrokerTransaction, factor: number, minus = 0): BrokerTransaction['amount'] {
  const checked = parseBrokerLine(JSON.stringify(t));
  if (!checked.ok) throw new Error(checked.message);
  const { minor, currency } = checked.transaction.amount;
  return { value: formatMinor({ minor: Math.round(minor * factor) - minus, currency }), currency };
}

/**
 * Lives as an aggregator reports them, numbered as the crawler numbers revisions: a pending card
 * payment posted under a new id with another amount (and the pending one removed), a correction,
 * a withdrawal, a date correction into the month before (the old version removed at the same
 * revision, agreement 1), and transactions that never change.
 */
function lives(transactions: readonly BrokerTransaction[]): Life[] {
  return transactions.map((t, i): Life => {
    const added = versionRecord(ChangeKind.Added, t, 1);
    switch (i % 5) {
      case 0: {
        const posted: BrokerTransaction = { ...t, transactionId: `${t.transactionId}-posted`, amount: scaled(t, 1.1) };
        return {
          records: [added, versionRecord(ChangeKind.Added, posted, 2, t.transactionId), versionRecord(ChangeKind.Removed, t, 3)],
          standing: [posted],
        };
      }
      case 1: {
        const corrected: BrokerTransaction = { ...t, amount: scaled(t, 1, 1) };
        return { records: [added, versionRecord(ChangeKind.Modified, corrected, 2)], standing: [corrected] };
      }
      case 2:
        return { records: [added, versionRecord(ChangeKind.Removed, t, 2)], standing: [] };
      case 3: {
        const earlier = new Date(Date.parse(t.bookedAt) - 35 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
        const moved: BrokerTransaction = { ...t, bookedAt: earlier };
        return { records: [added, versionRecord(ChangeKind.Removed, t, 2), versionRecord(ChangeKind.Modified, moved, 2)], standing: [moved] };
      }
      default:
        return { records: [added], standing: [t] };
    }
  });
}

function shuffled<T>(values: readonly T[], random: () => number): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * The view against what stands: `lost` the standing transactions it does not show at their latest
 * version (missing, or shown at an older amount or date), `doubleCounted` the transactions it
 * shows that do not stand (a pending one after its posting, a removed one) plus every month total
 * that differs from the sum of the standing transactions it covers.
 */
function compare(view: Pick<ViewContents, 'transactions' | 'totals'>, standing: ReadonlyMap<string, BrokerTransaction>): { lost: number; doubleCounted: number; inView: number } {
  const shown = new Map(view.transactions.map((t) => [t.transactionId, t]));
  let lost = 0;
  let doubleCounted = 0;
  const want = new Map<string, { sumMinor: number; count: number }>();
  for (const [id, t] of standing) {
    const v = shown.get(id);
    const amount = parseBrokerLine(JSON.stringify(t));
    if (!amount.ok) throw new Error(amount.message);
    if (v === undefined || v.amount.minor !== amount.transaction.amount.minor || Date.parse(v.bookedAt) !== Date.parse(t.bookedAt)) {
      lost += 1;
      continue;
    }
    const key = `${t.userId}\u0000${localMonth(t.bookedAt)}\u0000${v.category}\u0000${t.amount.currency}`;
    const before = want.get(key) ?? { sumMinor: 0, count: 0 };
    want.set(key, { sumMinor: before.sumMinor + amount.transaction.amount.minor, count: before.count + 1 });
  }
  for (const id of shown.keys()) if (!standing.has(id)) doubleCounted += 1;
  for (const total of view.totals) {
    const key = `${total.userId}\u0000${total.month}\u0000${total.category}\u0000${total.currency}`;
    const expected = want.get(key);
    want.delete(key);
    if (expected === undefined || expected.sumMinor !== total.sumMinor || expected.count !== total.count) doubleCounted += 1;
  }
  return { lost, doubleCounted: doubleCounted + want.size, inView: [...standing.keys()].filter((id) => shown.has(id)).length };
}

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: pending → posted with another amount, corrections, removals and date moves, delivered twice and out of order', function () {
    let stack: TestStack | undefined;
    let pipeline: LocalPipeline | undefined;
    let producer: KinesisProducer | undefined;
    afterEach(async () => {
      await producer?.close();
      await pipeline?.stop();
      await stack?.cleanup();
    });

    it('shows each transaction once at its latest version, month totals exact: lost 0, double-counted 0', async function () {
      // Prepare: real stream-reader, scorer and projector processes on a stack of their own; the
      // records are put as the crawler would put them (its role, its partition keys).
      const started = Date.now();
      stack = await testStack({ shards: { raw: 2, results: 2 } });
      const logDir = join(tmpdir(), 'insights-faults', `amendments-${stack.stack}`);
      mkdirSync(logDir, { recursive: true });
      pipeline = await LocalPipeline.start({
        env: stack.env,
        broker: { url: 'http://127.0.0.1:9', apiKey: 'unused' },
        logDir,
        workers: { crawler: 0, api: 0 },
        tuning: FAULT_TUNING,
      });
      producer = new KinesisProducer({ kinesis: stack.as('crawler').kinesis, streamName: stack.names.streams.raw });
      const transactions = syntheticLines(250, 1313).map((line) => JSON.parse(line) as BrokerTransaction);
      const all = lives(transactions);
      const records = all.flatMap((l) => l.records);
      const standing = new Map(all.flatMap((l) => l.standing).map((t) => [t.transactionId, t]));
      // First delivery: every life newest change first (a removal before its addition, a posting
      // before its pending one), lives interleaved; second delivery: all again, shuffled.
      const random = seeded(1313);
      const first = shuffled(all.map((l) => [...l.records].reverse()), random).flat();
      const second = shuffled(records, random);
      const put = (batch: readonly RawRecord[]): Promise<unknown> =>
        Promise.all(batch.map((r) => producer!.put({ data: JSON.stringify(r), partitionKey: streamPartitionKey(r.transaction) })));
      /** The projectors' writer figures, from their /health: versions written and the WRU DynamoDB reported for them. */
      const writers = async (): Promise<{ written: number; repeated: number; consumedWru: number }> => {
        const bodies = await Promise.all(pipeline!.workers('projector').map((w) => w.health()));
        return bodies.reduce<{ written: number; repeated: number; consumedWru: number }>(
          (sum, b) => {
            const writer = (b?.['details'] as { projector?: { writer?: { written?: number; repeated?: number; consumedWru?: number } } } | undefined)?.projector?.writer;
            return { written: sum.written + (writer?.written ?? 0), repeated: sum.repeated + (writer?.repeated ?? 0), consumedWru: sum.consumedWru + (writer?.consumedWru ?? 0) };
          },
          { written: 0, repeated: 0, consumedWru: 0 },
        );
      };
      const versionsWritten = async (): Promise<number> => {
        const { written, repeated } = await writers();
        return written + repeated;
      };
      const untilWritten = async (count: number): Promise<void> => {
        const deadline = Date.now() + 120_000;
        while ((await versionsWritten()) < count) {
          if (Date.now() > deadline) throw new Error(`the projector wrote fewer than ${count} versions in 120 s; see ${logDir}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      };

      // Act
      await put(first);
      await untilWritten(records.length);
      const midway = compare(await scanView(stack.operator.dynamodb, stack.names.tables.view), standing);
      await put(second);
      await untilWritten(2 * records.length);
      const view = await scanView(stack.operator.dynamodb, stack.names.tables.view);
      const outcome = compare(view, standing);
      // The read model the API serves, for every user and every month read: the same totals.
      const users = [...new Set(transactions.map((t) => t.userId))];
      const months = [...new Set([...standing.values()].map((t) => localMonth(t.bookedAt)))];
      const api = stack.as('api').dynamodb;
      let pageMismatches = 0;
      for (const userId of users) {
        for (const month of months) {
          const page = await readInsights({ dynamodb: api, tableName: stack.names.tables.view, consistentRead: true }, { userId, month });
          const shown = (page?.months[0]?.totals ?? []).map((t) => `${t.category}/${t.currency}/${t.sum.minor}/${t.count}`).sort();
          const expected = view.totals.filter((t) => t.userId === userId && t.month === month).map((t) => `${t.category}/${t.currency}/${t.sumMinor}/${t.count}`).sort();
          if (JSON.stringify(shown) !== JSON.stringify(expected)) pageMismatches += 1;
        }
      }
      // Write cost as DynamoDB bills it (ReturnConsumedCapacity TOTAL on every BatchWriteItem).
      const cost = await writers();
      const row: ScenarioRow = {
        scenario: 'amendments twice, out of order',
        sent: first.length + second.length,
        inView: outcome.inView,
        rejected: 0,
        lost: outcome.lost,
        doubleCounted: outcome.doubleCounted,
        rejectMismatches: 0,
        recoveryMs: null,
        details: {
          lives: all.length,
          versions: records.length,
          standing: standing.size,
          hiddenAfterFirstDelivery: standing.size - midway.inView,
          pageMismatches,
          viewWru: cost.consumedWru,
          wruPerVersionWritten: Math.round((cost.consumedWru / Math.max(1, cost.written)) * 100) / 100,
          wruPerRecordDelivered: Math.round((cost.consumedWru / Math.max(1, first.length + second.length)) * 100) / 100,
        },
        durationMs: Date.now() - started,
      };
      recordRow(row);

      // Assess
      expect(pipeline.dead(), 'workers that died').to.deep.equal([]);
      expect(midway, 'after the first, reversed delivery').to.deep.include({ lost: 0, doubleCounted: 0 });
      expect(outcome.inView).to.equal(standing.size);
      expect(outcome.lost).to.equal(0);
      expect(outcome.doubleCounted).to.equal(0);
      expect(pageMismatches, 'user-months whose page totals differ from the view').to.equal(0);
      // Every version is one item under 1 KB: one WRU each, as DynamoDB reports it through the fronts.
      expect(cost.consumedWru, 'WRU reported').to.be.greaterThan(0);
      expect(cost.consumedWru, 'WRU per version written').to.be.at.most(cost.written);
      expect(view.transactions.some((t) => t.transactionId.endsWith('-posted')), 'posted transactions shown').to.equal(true);
    });
  });
});
