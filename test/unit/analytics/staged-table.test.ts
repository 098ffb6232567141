import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppendedTable } from '../../../workers/batch/appended-table.js';
import { checkArchiveLine } from '../../../workers/batch/archive-line.js';
import { DuckDbSession } from '../../../workers/batch/duckdb-session.js';
import { STAGED, VIEW_SCORES } from '../../../workers/batch/staged-table.js';
import type { StagedLine } from '../../../workers/batch/staged-table.js';
import { brokerTransaction } from '../../helpers/factories.js';

/** Appends `row` to a fresh copy of `table` and reads it back by column name. */
async function roundTrip<R>(db: DuckDbSession, table: AppendedTable<R>, row: R): Promise<Record<string, unknown>> {
  await db.run(table.createSql());
  const appender = await db.connection.createAppender(table.name);
  try {
    table.append(appender, [row]);
  } finally {
    appender.closeSync();
  }
  const [read] = await db.rows(`SELECT * FROM ${table.name}`);
  return read ?? {};
}

describe('Module: staged-table', function () {
  let dir: string;
  let db: DuckDbSession;

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), 'staged-table-'));
    db = await DuckDbSession.open({ workDir: dir, threads: 1 });
  });

  afterEach(function () {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('Table: STAGED', function () {
    it('stores every field of a staged line under its own column, the null MCC as NULL', async function () {
      // Prepare
      const line = JSON.stringify({ v: 1, ingestedAt: new Date().toISOString(), source: { cursor: 'c', line: 1 }, contentHash: 'a'.repeat(64), transaction: brokerTransaction({ merchant: { name: 'COFFEE BAR AMSTERDAM' } }) });
      const outcome = checkArchiveLine(line);
      if (!outcome.ok) throw new Error(`fixture line rejected: ${outcome.code} ${outcome.message}`);
      const staged: StagedLine = { row: outcome.row, objectKey: 'raw/year=2026/x.ndjson.gz', line: 7 };

      // Act
      const read = await roundTrip(db, STAGED, staged);

      // Assess
      expect(Object.keys(read)).to.deep.equal(STAGED.columns.map((c) => c.name));
      expect(read).to.deep.equal({
        transaction_id: outcome.row.transactionId,
        user_id: outcome.row.userId,
        account_id: outcome.row.accountId,
        booked_at_text: outcome.row.bookedAt,
        booked_at_us: outcome.row.bookedAtMicros,
        local_date: outcome.row.localDate,
        amount_minor: BigInt(outcome.row.amountMinor),
        currency: outcome.row.currency,
        merchant_name: 'COFFEE BAR AMSTERDAM',
        merchant_normalised: outcome.row.merchantNormalised,
        merchant_match: outcome.row.merchantMatch,
        mcc: null,
        content_hash: 'a'.repeat(64),
        ingested_at_us: outcome.row.ingestedAtMicros,
        // A line without a change envelope is the transaction's first version, standing.
        revision: 0n,
        removed: false,
        pending_transaction_id: null,
        object_key: 'raw/year=2026/x.ndjson.gz',
        line: 7,
      });
    });
  });

  describe('Table: VIEW_SCORES', function () {
    it('stores a view score under its columns with their types', async function () {
      // Act
      const read = await roundTrip(db, VIEW_SCORES, { transactionId: 't-1', category: 'groceries', anomalyScore: 0.25, isAnomaly: true });

      // Assess
      expect(read).to.deep.equal({ transaction_id: 't-1', category: 'groceries', anomaly_score: 0.25, is_anomaly: true });
    });
  });
});
