import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCursor, encodeCursor, startBroker } from '../../../local/broker/index.js';
import type { BrokerHandle } from '../../../local/broker/index.js';
import { KinesisProducer } from '../../../shared/kinesis/index.js';
import { MAX_LINE_BYTES } from '../../../shared/schemas/transaction.js';
import { BrokerClient } from '../../../workers/crawler/broker-client.js';
import { Crawler } from '../../../workers/crawler/crawler.js';
import { CursorStore } from '../../../workers/crawler/cursor-store.js';
import { BrokerRequestError, CrawlerFencedError } from '../../../workers/crawler/errors.js';
import { IngestLedger } from '../../../workers/crawler/ingest-ledger.js';
import { PageProcessor } from '../../../workers/crawler/page-processor.js';
import type { RecordPublisher } from '../../../workers/crawler/page-processor.js';
import { brokerLine, brokerTransaction } from '../../helpers/factories.js';
import { FAST_CRAWLER, crawlerFixture, tally, waitFor } from './helpers.js';
import type { CrawlerFixture } from './helpers.js';

function idOf(line: string): string {
  return (JSON.parse(line) as { transactionId: string }).transactionId;
}

describe('Class: Crawler', function () {
  this.timeout(60_000);
  let fixture: CrawlerFixture;
  let broker: BrokerHandle | undefined;

  beforeEach(async () => {
    fixture = await crawlerFixture();
  });

  afterEach(async () => {
    await fixture.cleanup();
    await broker?.close();
    broker = undefined;
  });

  describe('Method: start', () => {
    it('puts every transaction of a broker that rate-limits, fails and drops connections on the raw stream exactly once', async () => {
      // Prepare: seed 4 draws server errors and a dropped connection among the first page requests.
      broker = await startBroker({ records: 800, seed: 4, rateLimit: 3, rateBurst: 2, errorRate: 0.2, resetRate: 0.1, maxPageSize: 100 });
      const served = broker.lines().map(idOf);
      const end = encodeCursor(served.length);
      const service = fixture.crawler(broker, { crawler: { pageSize: 250 } });

      // Act
      void service.crawler.start();
      await waitFor('the crawler to reach the end', () => service.crawler.stats().caughtUp && service.crawler.stats().cursor === end);
      await service.close();

      // Assess
      const onStream = (await fixture.readStream()).map((r) => r.transaction.transactionId);
      expect(new Set(onStream)).to.deep.equal(new Set(served));
      expect(onStream).to.have.length(served.length);
      const faults = broker.stats();
      expect(faults.rateLimited, 'answers 429').to.be.greaterThan(0);
      expect(faults.injectedErrors, 'answers 5xx').to.be.greaterThan(0);
      expect(faults.injectedResets, 'dropped connections').to.be.greaterThan(0);
      expect(service.crawler.stats().rateLimited).to.equal(faults.rateLimited);
      expect(await fixture.savedCursor()).to.equal(end);
      expect(await fixture.rejects()).to.deep.equal([]);
    });

    it('puts a page in one PutRecords call although its records repeat user-months (keys)', async () => {
      // Prepare: 40 records of one user in one month, so one key holds every record of a page.
      const lines = Array.from({ length: 40 }, (_, i) => brokerLine({ transactionId: `tx-key-${i}`, userId: 'user-one-key', bookedAt: '2026-11-03T10:00:00+01:00' }));
      broker = await startBroker({ lines, maxPageSize: 20 });
      const service = fixture.crawler(broker, { crawler: { pageSize: 20 } });

      // Act
      void service.crawler.start();
      await waitFor('the crawler to reach the end', () => service.crawler.stats().caughtUp && service.crawler.stats().published === 40);
      await service.close();

      // Assess: one record per key per call would have taken a call per record.
      expect(await fixture.readStream()).to.have.length(40);
      expect(service.producer.counters().calls).to.be.at.most(service.crawler.stats().pages);
    });

    it('sends every broken line of a file to the reject store with its code, and every valid transaction to the stream once', async () => {
      // Prepare
      const v = (n: number, overrides: Record<string, unknown> = {}): string => brokerLine({ transactionId: `tx-file-${n}`, userId: `user-${n % 3}`, ...overrides });
      const { userId: _dropped, ...withoutUser } = brokerTransaction({ transactionId: 'tx-no-user' });
      const inThreeDays = new Date(Date.now() + 3 * 86_400_000).toISOString().replace(/\.\d+Z$/, '+00:00');
      const lines = [
        /* 0 */ v(1),
        /* 1 */ '{"transactionId": "tx-cut-off", "userId": ',
        /* 2 */ JSON.stringify(withoutUser),
        /* 3 */ v(2),
        /* 4 */ v(6, { amount: { value: '-12.345', currency: 'EUR' } }),
        /* 5 */ v(7, { amount: { value: '-1.00', currency: 'XYZ' } }),
        /* 6 */ v(8, { bookedAt: inThreeDays }),
        /* 7 */ v(9, { description: 'x'.repeat(MAX_LINE_BYTES) }),
        /* 8 */ v(1, { amount: { value: '-99.00', currency: 'EUR' } }),
        /* 9 */ v(2),
        /* 10 */ v(3),
        /* 11 */ JSON.stringify({ ...brokerTransaction({ transactionId: 'tx-file-3', userId: 'user-0' }), amount: { currency: 'EUR', value: '-12.5' } }),
        /* 12 */ v(4, { description: 'first' }),
        /* 13 */ v(4, { description: 'second' }),
        /* 14 */ '[1, 2, 3]',
        /* 15 */ '',
        /* 16 */ v(5, { loyaltyPoints: 12 }),
        /* 17 */ v(10, { merchant: { name: 'SHOP', mcc: '54a1' } }),
      ];
      const expectedRejects = new Map<number, string>([
        [1, 'invalid-json'],
        [2, 'missing-field:userId'],
        [4, 'bad-amount'],
        [5, 'unknown-currency'],
        [6, 'future-date'],
        [7, 'too-large'],
        [8, 'conflicting-duplicate'],
        [13, 'conflicting-duplicate'],
        [14, 'not-an-object'],
        [15, 'invalid-json'],
        [17, 'bad-field:merchant.mcc'],
      ]);
      const dir = mkdtempSync(join(tmpdir(), 'crawler-file-'));
      const file = join(dir, 'transactions.ndjson');
      writeFileSync(file, `${lines.join('\n')}\n`);
      broker = await startBroker({ input: file });
      rmSync(dir, { recursive: true, force: true });
      // Four lines a page: duplicates and conflicts meet both on one page and across pages.
      const service = fixture.crawler(broker, { crawler: { pageSize: 4 } });

      // Act
      void service.crawler.start();
      await waitFor('the crawler to reach the end', () => service.crawler.stats().caughtUp && service.crawler.stats().cursor === encodeCursor(lines.length));
      await service.close();

      // Assess: rejects, by the line they came from.
      const rejects = await fixture.rejects();
      const byLine = new Map(rejects.map((r) => [(r.source.cursor == null ? 0 : decodeCursor(r.source.cursor)) + (r.source.line ?? -1), r]));
      expect(rejects).to.have.length(expectedRejects.size);
      for (const [line, code] of expectedRejects) {
        const reject = byLine.get(line);
        expect(reject?.code, `line ${line}`).to.equal(code);
        expect(reject?.stage).to.equal('crawler');
        if (code === 'too-large') {
          expect(reject?.truncated).to.equal(true);
          expect(reject?.rawBytes).to.equal(Buffer.byteLength(lines[line] ?? ''));
        } else {
          expect(reject?.raw, `line ${line}`).to.equal(lines[line]);
        }
      }
      expect(byLine.get(8)?.transactionId).to.equal('tx-file-1');

      // Assess: the stream holds each valid transaction once, the first version of each conflict.
      const records = await fixture.readStream();
      expect(tally(records.map((r) => r.transaction.transactionId))).to.deep.equal(
        new Map([
          ['tx-file-1', 1],
          ['tx-file-2', 1],
          ['tx-file-3', 1],
          ['tx-file-4', 1],
          ['tx-file-5', 1],
        ]),
      );
      const byId = new Map(records.map((r) => [r.transaction.transactionId, r]));
      expect(byId.get('tx-file-1')?.transaction.amount.value).to.equal('-12.50');
      expect(byId.get('tx-file-4')?.transaction.description).to.equal('first');
      expect(byId.get('tx-file-5')?.transaction).to.have.property('loyaltyPoints', 12);
      expect(byId.get('tx-file-1')?.source).to.deep.equal({ cursor: null, line: 0 });
      const stats = service.crawler.stats();
      expect(stats.duplicates, 'exact duplicates (lines 9 and 11)').to.equal(2);
      expect(stats.rejected).to.equal(expectedRejects.size);
    });

    it('resumes from the durable cursor after a stop mid-way, losing nothing and repeating nothing', async () => {
      // Prepare
      broker = await startBroker({ records: 1500, seed: 5, maxPageSize: 100 });
      const served = broker.lines().map(idOf);
      const first = fixture.crawler(broker, { crawler: { pageSize: 100 } });
      void first.crawler.start();
      await waitFor('a few pages', () => first.crawler.stats().pages >= 3);

      // Act
      await first.close();
      const stoppedAt = await fixture.savedCursor();
      const onStreamAtStop = (await fixture.readStream()).length;
      const second = fixture.crawler(broker, { crawler: { pageSize: 100 } });
      void second.crawler.start();
      await waitFor('the second crawler to reach the end', () => second.crawler.stats().caughtUp && second.crawler.stats().cursor === encodeCursor(served.length));
      await second.close();

      // Assess: the first stopped mid-way with everything before its cursor on the stream.
      expect(stoppedAt).to.equal(first.crawler.stats().cursor);
      const offset = decodeCursor(stoppedAt ?? '');
      expect(offset).to.be.greaterThan(0).and.lessThan(served.length);
      expect(onStreamAtStop).to.equal(offset);
      const onStream = (await fixture.readStream()).map((r) => r.transaction.transactionId);
      expect(onStream).to.have.length(served.length);
      expect(new Set(onStream)).to.deep.equal(new Set(served));
      expect(second.crawler.stats().published).to.equal(served.length - offset);
    });

    it('puts again, after a crash between the ledger claim and the stream put, what the claim recorded', async () => {
      // Prepare: the first crawler's puts fail from its third page on, as if it died there.
      broker = await startBroker({ records: 500, seed: 9, maxPageSize: 100 });
      const served = broker.lines().map(idOf);
      const producer = new KinesisProducer({ kinesis: fixture.kinesis, streamName: fixture.names.raw });
      let budget = 200;
      const dying: RecordPublisher = { put: (record) => (budget-- > 0 ? producer.put(record) : Promise.reject(new Error('simulated crash before the put'))) };
      const ledger = new IngestLedger({ dynamodb: fixture.dynamodb, tableName: fixture.names.ledger });
      const crashed = new Crawler({
        ...FAST_CRAWLER,
        pageSize: 100,
        broker: new BrokerClient({ baseUrl: broker.url, apiKey: broker.apiKey }),
        processor: new PageProcessor({ ledger, publisher: dying, rejects: fixture.rejectStore }),
        cursors: new CursorStore({ dynamodb: fixture.dynamodb, tableName: fixture.names.state, name: 'test-broker' }),
      });
      void crashed.start();
      await waitFor('the failing puts', () => crashed.stats().storageErrors >= 2);
      await crashed.close();
      await producer.close();
      const claimedNotPut = await ledger.get(served.slice(200, 300));

      // Act
      const recovery = fixture.crawler(broker, { crawler: { pageSize: 100 } });
      void recovery.crawler.start();
      await waitFor('the recovery to reach the end', () => recovery.crawler.stats().caughtUp && recovery.crawler.stats().cursor === encodeCursor(served.length));
      await recovery.close();

      // Assess
      expect(await fixture.savedCursor()).to.equal(encodeCursor(served.length));
      // The third page's ids were claimed (written ahead) by a page that never committed.
      expect(claimedNotPut.size).to.equal(100);
      expect(new Set([...claimedNotPut.values()].map((e) => `${e.stamp.epoch}/${e.stamp.seq}`))).to.deep.equal(new Set(['1/2']));
      expect(recovery.crawler.stats().republished).to.be.at.least(100);
      const onStream = (await fixture.readStream()).map((r) => r.transaction.transactionId);
      expect(onStream).to.have.length(served.length);
      expect(new Set(onStream)).to.deep.equal(new Set(served));
    });

    it('stops when a second crawler starts on the same crawl, leaving the cursor to the newer one', async () => {
      // Prepare: a live feed that outlasts the test, so the first crawler always has a next save.
      const feed = Array.from({ length: 5000 }, (_, i) => brokerLine({ transactionId: `tx-feed-${i}`, userId: `user-${i % 7}` }));
      broker = await startBroker({ lines: feed, maxPageSize: 20, publishPerSecond: 400 });
      const older = fixture.crawler(broker, { crawler: { pageSize: 20 } });
      const olderRun = older.crawler.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      await waitFor('the first crawler to save a cursor', () => older.crawler.stats().lastCursorSavedAt !== undefined);

      // Act
      const newer = fixture.crawler(broker, { crawler: { pageSize: 20 } });
      void newer.crawler.start();
      const outcome = await olderRun;
      await waitFor('the newer crawler to save a cursor', () => newer.crawler.stats().lastCursorSavedAt !== undefined);
      await newer.close();

      // Assess: the older one stopped; the cursor saved is the newer one's.
      expect(outcome).to.be.instanceOf(CrawlerFencedError);
      expect(older.crawler.stats().state).to.equal('failed');
      expect(await fixture.savedCursor()).to.equal(newer.crawler.stats().cursor);
    });

    it('stops, failing its health check, when the broker refuses the API key', async () => {
      // Prepare
      broker = await startBroker({ records: 10 });
      const service = fixture.crawler({ url: broker.url, apiKey: 'not-the-key' });

      // Act
      const outcome = await service.crawler.start().then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(outcome).to.be.instanceOf(BrokerRequestError);
      expect((outcome as BrokerRequestError).status).to.equal(401);
      expect(() => service.crawler.health()).to.throw(/401/);
      expect(await fixture.readStream()).to.deep.equal([]);
    });
  });
});
