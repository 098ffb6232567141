import { expect } from 'chai';
import { KinesisProducer } from '../../../shared/kinesis/index.js';
import type { RawRecord } from '../../../shared/schemas/raw-record.js';
import { RejectCode } from '../../../shared/schemas/reject-codes.js';
import { Lane } from '../../../shared/schemas/transaction-change.js';
import type { SyncAnswerBody } from '../../../shared/sync/sync-api.js';
import { ConnectionCursors } from '../../../workers/crawler/connection-cursors.js';
import { ConnectionSyncer } from '../../../workers/crawler/connection-syncer.js';
import { CrawlerFencedError } from '../../../workers/crawler/errors.js';
import { IngestLedger } from '../../../workers/crawler/ingest-ledger.js';
import type { SyncSource } from '../../../workers/crawler/sync-client.js';
import { crawlerFixture, FAST_CRAWLER } from './helpers.js';
import type { CrawlerFixture } from './helpers.js';

const DAY_MS = 86_400_000;

/** A broker transaction of connection `conn-a`'s user, booked three days ago. */
function txn(transactionId: string, value: string): Record<string, unknown> {
  return {
    transactionId,
    userId: 'user-amend',
    accountId: 'acct-amend',
    bookedAt: new Date(Date.now() - 3 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    amount: { value, currency: 'EUR' },
    merchant: { name: 'CORNER CAFE', mcc: '5814' },
  };
}

/** A broker whose answers are scripted per cursor, as one connection's log synced page by page. */
function scripted(pages: Record<string, Omit<SyncAnswerBody, 'has_more'>>): SyncSource {
  return {
    sync: async ({ cursor }) => {
      const page = pages[cursor ?? 'start'];
      if (page === undefined) throw new Error(`no scripted page for cursor ${cursor ?? 'start'}`);
      return { ...page, has_more: pages[page.next_cursor] !== undefined };
    },
  };
}

const versionsOf = (records: readonly RawRecord[], id: string): { kind: string | undefined; revision: number | undefined; value: string }[] =>
  records.filter((r) => r.transaction.transactionId === id).map((r) => ({ kind: r.change?.kind, revision: r.change?.revision, value: r.transaction.amount.value }));

describe('Crawler: a changed transaction is a new version only when the broker marks it modified', () => {
  let fixture: CrawlerFixture;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    fixture = await crawlerFixture();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await fixture.cleanup();
  });

  function syncer(source: SyncSource, cursors?: Pick<ConnectionCursors, 'begin' | 'save'>): ConnectionSyncer {
    const live = new KinesisProducer({ kinesis: fixture.kinesis, streamName: fixture.names.raw });
    const history = new KinesisProducer({ kinesis: fixture.kinesis, streamName: fixture.names.rawHistory });
    closers.push(() => Promise.all([live.close(), history.close()]));
    return new ConnectionSyncer({
      source,
      ledger: new IngestLedger({ dynamodb: fixture.dynamodb, tableName: fixture.names.ledger }),
      publishers: { live, history },
      rejects: fixture.rejectStore,
      cursors: cursors ?? new ConnectionCursors({ dynamodb: fixture.dynamodb, tableName: fixture.names.state }),
      pageSize: 100,
      maxPagesPerJob: 100,
      ...FAST_CRAWLER,
    });
  }

  it('rejects an unmarked change as conflicting-duplicate and puts a modified one at a higher revision', async () => {
    // Prepare: the same id added, added again with another amount (unmarked), then modified.
    const source = scripted({
      start: { added: [txn('t-1', '-10.00')], modified: [], removed: [], next_cursor: 'c1' },
      c1: { added: [txn('t-1', '-12.00')], modified: [], removed: [], next_cursor: 'c2' },
      c2: { added: [], modified: [txn('t-1', '-13.00')], removed: [], next_cursor: 'c3' },
    });

    // Act
    const outcome = await syncer(source).sync({ connectionId: 'conn-a', lane: Lane.Live, historyComplete: true });
    const versions = versionsOf(await fixture.readStream(), 't-1');
    const rejects = await fixture.rejects();

    // Assess
    expect(outcome).to.include({ pages: 3, rejected: 1, more: false });
    expect(rejects.map((r) => ({ code: r.code, transactionId: r.transactionId }))).to.deep.equal([{ code: RejectCode.ConflictingDuplicate, transactionId: 't-1' }]);
    expect(versions.map((v) => [v.kind, v.value])).to.deep.equal([
      ['added', '-10.00'],
      ['modified', '-13.00'],
    ]);
    expect(versions[1]?.revision).to.be.greaterThan(versions[0]?.revision ?? Number.POSITIVE_INFINITY);
  });

  it('takes a changed added as the page synced again after a run died before saving it', async () => {
    // Prepare: the first run claims and puts t-2, then dies before saving its cursor; meanwhile
    // the bank modified t-2, and the broker collapses added + modified into one `added`.
    const real = new ConnectionCursors({ dynamodb: fixture.dynamodb, tableName: fixture.names.state });
    const dying: Pick<ConnectionCursors, 'begin' | 'save'> = {
      begin: (id) => real.begin(id),
      save: async () => {
        throw new CrawlerFencedError('killed', 0);
      },
    };
    const before = scripted({ start: { added: [txn('t-2', '-20.00')], modified: [], removed: [], next_cursor: 'c1' } });
    const after = scripted({ start: { added: [txn('t-2', '-22.00')], modified: [], removed: [], next_cursor: 'c1' } });

    // Act
    const died = await syncer(before, dying)
      .sync({ connectionId: 'conn-b', lane: Lane.Live, historyComplete: true })
      .catch((error: unknown) => error);
    const resumed = await syncer(after).sync({ connectionId: 'conn-b', lane: Lane.Live, historyComplete: true });
    const versions = versionsOf(await fixture.readStream(), 't-2');

    // Assess
    expect(died).to.be.instanceOf(CrawlerFencedError);
    expect(resumed).to.include({ rejected: 0 });
    expect(versions.map((v) => v.value)).to.deep.equal(['-20.00', '-22.00']);
    // The resynced version outranks the one the dead run put.
    expect(versions[1]?.revision).to.be.greaterThan(versions[0]?.revision ?? Number.POSITIVE_INFINITY);
    expect(await fixture.rejects()).to.deep.equal([]);
  });

  it('rejects a modification of a transaction another connection brought', async () => {
    // Prepare
    const first = scripted({ start: { added: [txn('t-3', '-30.00')], modified: [], removed: [], next_cursor: 'c1' } });
    const other = scripted({ start: { added: [], modified: [txn('t-3', '-31.00')], removed: [], next_cursor: 'c1' } });

    // Act
    await syncer(first).sync({ connectionId: 'conn-c', lane: Lane.Live, historyComplete: true });
    const outcome = await syncer(other).sync({ connectionId: 'conn-c2', lane: Lane.Live, historyComplete: true });
    const versions = versionsOf(await fixture.readStream(), 't-3');

    // Assess
    expect(outcome).to.include({ rejected: 1 });
    expect((await fixture.rejects()).map((r) => r.code)).to.deep.equal([RejectCode.ConflictingDuplicate]);
    expect(versions.map((v) => v.value)).to.deep.equal(['-30.00']);
  });
});
