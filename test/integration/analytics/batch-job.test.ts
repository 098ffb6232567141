import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ENRICHED_COLUMNS, ENRICHED_PARTITIONS } from '../../../shared/analytics-schema.js';
import { CATEGORIES } from '../../../shared/schemas/categories.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { ObjectStatus } from '../../../workers/batch/batch-state.js';
import { DUCKDB_TYPE_BY_GLUE } from '../../../workers/batch/duckdb-session.js';
import { EnrichedReader } from '../../../workers/batch/enriched-reader.js';
import { QuarantineReason } from '../../../shared/archive/archive-object.js';
import { RUN_LOCK_KEY } from '../../../workers/batch/run-lock.js';
import { getBytes, listAll } from '../../../workers/lib/s3-objects.js';
import { RejectStore } from '../../../shared/rejects/reject-store.js';
import { BROKEN_CASES, VALID_CASES, rawRecord, validLines } from '../../fixtures/analytics/archive-fixture.js';
import { scoredResult } from '../projector/scored-results.js';
import type { AnalyticsStack } from './helpers.js';
import { analyticsStack, batchJob, putArchiveObject, putRawArchiveBytes, snapshot } from './helpers.js';

/** The enriched rows, by transactionId, as Athena would read them. */
async function enrichedRows(s: AnalyticsStack): Promise<Map<string, Record<string, unknown>>> {
  const reader = await EnrichedReader.open({ s3: s.clients.s3, bucket: s.names.buckets.analytics, threads: 1 });
  try {
    const rows = await reader.session.jsonRows('SELECT * FROM enriched ORDER BY transaction_id');
    return new Map(rows.rows.map((r) => [String(r['transaction_id']), r]));
  } finally {
    reader.close();
  }
}

async function batchStateItems(s: AnalyticsStack): Promise<Record<string, string>[]> {
  const { Items } = await s.clients.dynamodb.send(new ScanCommand({ TableName: s.names.tables.batchState, ConsistentRead: true }));
  return (Items ?? []).filter((i) => i['objectKey']?.S !== RUN_LOCK_KEY).map((i) => Object.fromEntries(Object.entries(i).map(([k, v]) => [k, v.S ?? v.N ?? ''])));
}

describe('Class: BatchJob', function () {
  this.timeout(60_000);
  let s: AnalyticsStack;

  beforeEach(async () => {
    s = await analyticsStack();
  });
  afterEach(async () => {
    await s?.cleanup();
  });

  describe('Method: run', () => {
    it('writes each valid transaction once, enriched, with the Parquet schema of shared/analytics-schema.ts, and rejects the broken lines', async () => {
      // Prepare: two objects, the second repeating the first transaction and holding the broken lines;
      // two transactions already scored in the view.
      const valid = validLines();
      await putArchiveObject(s, valid.slice(0, 4), new Date('2026-11-24T12:00:00Z'));
      await putArchiveObject(s, [valid[0] as string, ...valid.slice(4), ...BROKEN_CASES.map((c) => c.line)], new Date('2026-11-24T12:01:00Z'));
      const scored = VALID_CASES.slice(0, 2).map(({ raw }, i) =>
        scoredResult({ transactionId: raw.transaction.transactionId, userId: raw.transaction.userId, bookedAt: raw.transaction.bookedAt, category: CATEGORIES[i] ?? 'other', anomalyScore: 0.25 + i / 2, isAnomaly: i === 1 }),
      );
      await new ViewWriter({ dynamodb: s.clients.dynamodb, tableName: s.names.tables.view }).write(scored);

      // Act
      const summary = await batchJob(s).run();

      // Assess: counts
      const lines = valid.length + 1 + BROKEN_CASES.length;
      expect(summary).to.deep.include({ objects: 2, quarantined: 0, rowsIn: lines, rejected: BROKEN_CASES.length, duplicates: 1, rowsAdded: VALID_CASES.length, rowsOut: VALID_CASES.length });
      const dates = new Set(VALID_CASES.map((c) => c.expected.local_date));
      expect(summary.partitions).to.deep.equal([...dates].sort().map((d) => `year=${d.slice(0, 4)}/month=${d.slice(5, 7)}/day=${d.slice(8, 10)}`));

      // Assess: the schema, column for column, as Glue declares it
      const files = (await listAll(s.clients.s3, s.names.buckets.analytics, 'enriched/')).map((o) => o.key);
      expect(files).to.have.length(dates.size);
      const reader = await EnrichedReader.open({ s3: s.clients.s3, bucket: s.names.buckets.analytics, threads: 1 });
      try {
        const described = await reader.session.rows('DESCRIBE SELECT * FROM enriched');
        expect(described.map((c) => [c['column_name'], c['column_type']])).to.deep.equal(
          [...ENRICHED_COLUMNS, ...ENRICHED_PARTITIONS].map((c) => [c.name, DUCKDB_TYPE_BY_GLUE[c.glueType]]),
        );
        expect(await reader.count()).to.equal(VALID_CASES.length);
      } finally {
        reader.close();
      }

      // Assess: every row's values and enrichment
      const rows = await enrichedRows(s);
      for (const { raw, expected } of VALID_CASES) {
        const row = rows.get(raw.transaction.transactionId);
        expect(row, raw.transaction.transactionId).to.not.equal(undefined);
        expect(row, raw.transaction.transactionId).to.deep.include({
          ...expected,
          user_id: raw.transaction.userId,
          account_id: raw.transaction.accountId,
          merchant_name: raw.transaction.merchant.name,
          booked_at: new Date(raw.transaction.bookedAt).toISOString().replace('T', ' ').replace('.000Z', ''),
          year: expected.local_date.slice(0, 4),
          month: expected.local_date.slice(5, 7),
          day: expected.local_date.slice(8, 10),
        });
      }
      scored.forEach((result) => {
        expect(rows.get(result.transactionId)).to.deep.include({ category: result.category, anomaly_score: result.anomalyScore, is_anomaly: result.isAnomaly });
      });
      for (const { raw } of VALID_CASES.slice(2)) expect(rows.get(raw.transaction.transactionId)).to.deep.include({ category: null, anomaly_score: null, is_anomaly: null });

      // Assess: rejects with their codes and positions, and the manifest
      const rejects = await new RejectStore({ dynamodb: s.clients.dynamodb, tableName: s.names.tables.rejects }).list();
      expect(rejects.map((r) => r.code).sort()).to.deep.equal(BROKEN_CASES.map((c) => c.code).sort());
      expect(rejects.every((r) => r.stage === 'batch' && r.source.objectKey !== undefined && (r.source.line ?? 0) > 0)).to.equal(true);
      expect((await batchStateItems(s)).map((i) => i['status'])).to.deep.equal([ObjectStatus.Processed, ObjectStatus.Processed]);
    });

    it('changes nothing on a second run, nor when the manifest is lost and every object is read again', async () => {
      // Prepare
      await putArchiveObject(s, validLines());
      const first = await batchJob(s).run();
      const before = await snapshot(s, s.names.buckets.analytics, '');
      const rowsBefore = await enrichedRows(s);

      // Act
      const second = await batchJob(s).run();
      for (const item of await batchStateItems(s)) {
        await s.clients.dynamodb.send(new DeleteItemCommand({ TableName: s.names.tables.batchState, Key: { objectKey: { S: item['objectKey'] as string } } }));
      }
      const again = await batchJob(s).run();

      // Assess
      expect(first.rowsAdded).to.equal(VALID_CASES.length);
      expect(second).to.deep.include({ objects: 0, rowsIn: 0, rowsAdded: 0, rowsOut: 0, partitions: [] });
      expect(again).to.deep.include({ objects: 1, rowsIn: VALID_CASES.length, rowsAdded: 0, duplicates: VALID_CASES.length, rowsOut: 0, partitions: [] });
      expect(await snapshot(s, s.names.buckets.analytics, '')).to.deep.equal(before);
      expect(await enrichedRows(s)).to.deep.equal(rowsBefore);
    });

    it('rewrites only the partition late data arrives for, with its old and new rows, each id once', async () => {
      // Prepare
      await putArchiveObject(s, validLines());
      await batchJob(s).run();
      const before = await snapshot(s, s.names.buckets.analytics, 'enriched/');
      const day = VALID_CASES[0]!.expected.local_date;
      const late = rawRecord({ ...VALID_CASES[0]!.raw.transaction, transactionId: 'fx-late', merchant: { name: 'JUMBO UTRECHT 123', mcc: '5411' } });
      const partition = `enriched/year=${day.slice(0, 4)}/month=${day.slice(5, 7)}/day=${day.slice(8, 10)}/`;
      const inPartition = VALID_CASES.filter((c) => c.expected.local_date === day).length;

      // Act: the late transaction, plus a re-sent one that is already there.
      await putArchiveObject(s, [JSON.stringify(late), JSON.stringify(VALID_CASES[0]!.raw)]);
      const summary = await batchJob(s).run();

      // Assess
      expect(summary).to.deep.include({ objects: 1, rowsAdded: 1, duplicates: 1, rowsOut: inPartition + 1, partitions: [partition.slice('enriched/'.length, -1)] });
      const after = await snapshot(s, s.names.buckets.analytics, 'enriched/');
      for (const [key, etag] of before) {
        if (key.startsWith(partition)) expect(after.get(key), key).to.not.equal(etag);
        else expect(after.get(key), key).to.equal(etag);
      }
      const rows = await enrichedRows(s);
      expect(rows.size).to.equal(VALID_CASES.length + 1);
      expect(rows.get('fx-late')).to.deep.include({ brand: 'Jumbo', merchant_country: 'NL', local_date: day });
    });

    it('quarantines a truncated and a garbage object with their reasons, and processes the rest', async () => {
      // Prepare
      const whole = gzipSync(Buffer.from(validLines().map((l) => `${l}\n`).join('').repeat(20)));
      const truncated = await putRawArchiveBytes(s, whole.subarray(0, Math.floor(whole.length / 2)));
      const garbage = await putRawArchiveBytes(s, Buffer.from('\u0000\u0001 not an archive object at all'));
      const notJson = await putArchiveObject(s, ['hello', 'world']);
      const good = await putArchiveObject(s, validLines());

      // Act
      const summary = await batchJob(s).run();

      // Assess
      expect(summary).to.deep.include({ objects: 4, quarantined: 3, rowsIn: VALID_CASES.length, rowsAdded: VALID_CASES.length });
      const state = new Map((await batchStateItems(s)).map((i) => [i['objectKey'], i]));
      expect(state.get(good)).to.deep.include({ status: ObjectStatus.Processed });
      for (const [key, reason] of [
        [truncated, QuarantineReason.TruncatedGzip],
        [garbage, QuarantineReason.NotGzip],
        [notJson, QuarantineReason.NotNdjson],
      ] as const) {
        expect(state.get(key), key).to.deep.include({ status: ObjectStatus.Quarantined, reason, quarantineKey: `quarantine/${key}` });
        const copy = await getBytes(s.clients.s3, s.names.buckets.analytics, `quarantine/${key}`);
        expect(Buffer.from(copy).equals(Buffer.from(await getBytes(s.clients.s3, s.names.buckets.rawArchive, key)))).to.equal(true);
        const note = JSON.parse(Buffer.from(await getBytes(s.clients.s3, s.names.buckets.analytics, `quarantine/${key}.reason.json`)).toString()) as Record<string, unknown>;
        expect(note).to.deep.include({ objectKey: key, reason, sourceBucket: s.names.buckets.rawArchive });
      }
      expect((await enrichedRows(s)).size).to.equal(VALID_CASES.length);
      // A quarantined object is done with: the next run does not read it again.
      expect(await batchJob(s).run()).to.deep.include({ objects: 0, quarantined: 0 });
    });

    it('downloads no DuckDB extension', async () => {
      // Prepare
      await putArchiveObject(s, validLines());
      const workDir = mkdtempSync(join(tmpdir(), 'batch-offline-'));
      const seen: string[] = [];

      // Act: watch the run's folder while it works (the extension folder lives in it).
      const job = batchJob(s, { workDir });
      await job.run({ onProgress: () => seen.push(...readdirSync(workDir, { recursive: true }).map(String)) });

      // Assess
      expect(seen.filter((path) => path.includes('duckdb-extensions'))).to.deep.equal([]);
      const reader = await EnrichedReader.open({ s3: s.clients.s3, bucket: s.names.buckets.analytics, threads: 1 });
      try {
        expect(await reader.session.downloadedExtensions()).to.deep.equal([]);
        const [settings] = await reader.session.rows("SELECT current_setting('autoinstall_known_extensions') AS install, current_setting('autoload_known_extensions') AS load");
        expect(settings).to.deep.equal({ install: false, load: false });
      } finally {
        reader.close();
        rmSync(workDir, { recursive: true, force: true });
      }
    });
  });
});
