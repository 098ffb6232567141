import { expect } from 'chai';
import type { RawRecord } from '../../../shared/schemas/raw-record.js';
import { ChangeKind, Lane } from '../../../shared/schemas/transaction-change.js';
import type { ChangeKindName } from '../../../shared/schemas/transaction-change.js';
import type { BrokerTransaction } from '../../../shared/schemas/transaction.js';
import { EnrichedReader } from '../../../workers/batch/enriched-reader.js';
import { rawRecord } from '../../fixtures/analytics/archive-fixture.js';
import type { AnalyticsStack } from './helpers.js';
import { analyticsStack, batchJob, putArchiveObject, snapshot } from './helpers.js';

function txn(transactionId: string, bookedAt: string, value: string): BrokerTransaction {
  return { transactionId, userId: 'amend-user', accountId: 'amend-acct', bookedAt, amount: { value, currency: 'EUR' }, merchant: { name: 'ALBERT HEIJN 1234 AMSTERDAM', mcc: '5411' } };
}

function version(kind: ChangeKindName, transaction: BrokerTransaction, revision: number, pendingTransactionId?: string): string {
  const record: RawRecord = {
    ...rawRecord(transaction),
    change: { kind, revision, connectionId: 'conn-amend', lane: Lane.Live, ...(pendingTransactionId === undefined ? {} : { pendingTransactionId }) },
  };
  return JSON.stringify(record);
}

/** Lives of four transactions: pending → posted under a new id with a tip, a correction, a withdrawal, a date move. */
const pending = txn('am-pending', '2026-11-10T09:00:00+01:00', '-20.00');
const posted = txn('am-posted', '2026-11-10T09:00:00+01:00', '-22.00');
const corrected = txn('am-corrected', '2026-11-11T12:00:00+01:00', '-5.00');
const correction = { ...corrected, amount: { value: '-4.50', currency: 'EUR' } };
const withdrawn = txn('am-withdrawn', '2026-11-12T12:00:00+01:00', '-9.99');
const moved = txn('am-moved', '2026-11-13T12:00:00+01:00', '-7.00');
const movedTo = { ...moved, bookedAt: '2026-11-02T12:00:00+01:00' };
const kept = txn('am-kept', '2026-11-13T18:00:00+01:00', '-3.00');

const OLDER = [version(ChangeKind.Added, pending, 1), version(ChangeKind.Added, corrected, 1), version(ChangeKind.Added, withdrawn, 1), version(ChangeKind.Added, moved, 1), version(ChangeKind.Added, kept, 1)];
const NEWER = [
  version(ChangeKind.Added, posted, 2, pending.transactionId),
  version(ChangeKind.Removed, pending, 3),
  version(ChangeKind.Modified, correction, 4),
  version(ChangeKind.Removed, withdrawn, 5),
  // A date move: the old version removed from its day at the revision the new one arrives with.
  version(ChangeKind.Removed, moved, 6),
  version(ChangeKind.Modified, movedTo, 6),
];

/** What Athena counts: rows not removed, per transaction, with their amount and day. */
async function counted(s: AnalyticsStack): Promise<{ standing: string[]; removed: string[] }> {
  const reader = await EnrichedReader.open({ s3: s.clients.s3, bucket: s.names.buckets.analytics, threads: 1 });
  try {
    const live = await reader.session.jsonRows(
      "SELECT transaction_id || ' ' || amount_minor || ' ' || CAST(local_date AS VARCHAR) || ' ' || count(*) OVER (PARTITION BY transaction_id) AS row FROM enriched WHERE NOT removed ORDER BY 1",
    );
    const removed = await reader.session.jsonRows("SELECT transaction_id || ' ' || CAST(local_date AS VARCHAR) AS row FROM enriched WHERE removed ORDER BY 1");
    return { standing: live.rows.map((r) => String(r['row'])), removed: removed.rows.map((r) => String(r['row'])) };
  } finally {
    reader.close();
  }
}

const EXPECTED = {
  standing: ['am-corrected -450 2026-11-11 1', 'am-kept -300 2026-11-13 1', 'am-moved -700 2026-11-02 1', 'am-posted -2200 2026-11-10 1'],
  removed: ['am-moved 2026-11-13', 'am-pending 2026-11-10', 'am-withdrawn 2026-11-12'],
};

describe('Class: BatchJob, with changes after the fact', function () {
  this.timeout(60_000);
  let s: AnalyticsStack;

  beforeEach(async () => {
    s = await analyticsStack();
  });
  afterEach(async () => {
    await s?.cleanup();
  });

  it('keeps each transaction once at its latest version and flags removed ones, whichever run brings which version first', async () => {
    // Prepare: the newest changes archived (and run) before the versions they replace, twice.
    await putArchiveObject(s, [...NEWER, ...NEWER.slice(0, 2)], new Date('2026-11-24T12:00:00Z'));

    // Act
    await batchJob(s).run();
    await putArchiveObject(s, [...OLDER, ...NEWER.slice(2)], new Date('2026-11-24T12:01:00Z'));
    await batchJob(s).run();

    // Assess
    expect(await counted(s)).to.deep.equal(EXPECTED);
  });

  it('gives the same rows when the older versions come first, and an older version archived again later changes nothing', async () => {
    // Prepare
    await putArchiveObject(s, OLDER, new Date('2026-11-24T12:00:00Z'));
    await batchJob(s).run();
    const beforeChanges = await counted(s);
    await putArchiveObject(s, NEWER, new Date('2026-11-24T12:01:00Z'));
    await batchJob(s).run();
    const before = await snapshot(s, s.names.buckets.analytics, 'enriched/');

    // Act: a replay archives the older versions once more.
    await putArchiveObject(s, OLDER, new Date('2026-11-24T12:02:00Z'));
    const replay = await batchJob(s).run();

    // Assess
    expect(beforeChanges.standing).to.have.length(OLDER.length);
    expect(await counted(s)).to.deep.equal(EXPECTED);
    expect(replay).to.deep.include({ rowsAdded: 0, partitions: [] });
    expect(await snapshot(s, s.names.buckets.analytics, 'enriched/')).to.deep.equal(before);
  });
});
