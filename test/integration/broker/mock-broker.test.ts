import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BrokerOptionError, decodeCursor, encodeCursor, startBroker } from '../../../local/broker/index.js';
import type { BrokerHandle, BrokerOptions, SyncBrokerHandle } from '../../../local/broker/index.js';
import { parseBrokerLine } from '../../../shared/schemas/transaction.js';
import { brokerLine } from '../../helpers/factories.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Asks the broker for one page; `key` null sends no Authorization header. */
async function page(broker: BrokerHandle, query: Record<string, string> = {}, key: string | null = broker.apiKey): Promise<Response> {
  const url = new URL('/v1/transactions', broker.url);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return fetch(url, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
}

function lines(body: string): string[] {
  return body === '' ? [] : body.replace(/\n$/, '').split('\n');
}

describe('Function: startBroker', () => {
  const started: BrokerHandle[] = [];
  const start = async (options: BrokerOptions): Promise<SyncBrokerHandle> => {
    const broker = await startBroker(options);
    started.push(broker);
    return broker;
  };

  afterEach(async () => {
    await Promise.all(started.splice(0).map((b) => b.close()));
  });

  describe('GET /v1/transactions', () => {
    it('serves every synthetic line once, in order, following X-Next-Cursor until a page with no line and no cursor', async () => {
      // Prepare
      const broker = await start({ records: 250, maxPageSize: 40 });
      const seen: string[] = [];
      let cursor: string | undefined;
      let last: Response | undefined;

      // Act: ask for more than the cap; the page is capped, not refused.
      for (let i = 0; i < 20; i += 1) {
        last = await page(broker, { limit: '100', ...(cursor === undefined ? {} : { cursor }) });
        const body = lines(await last.text());
        const next = last.headers.get('x-next-cursor');
        if (body.length === 0) break;
        expect(body.length).to.be.at.most(40);
        seen.push(...body);
        expect(next).to.be.a('string');
        cursor = next ?? undefined;
      }

      // Assess
      expect(seen).to.deep.equal(broker.lines());
      expect(last?.status).to.equal(200);
      expect(last?.headers.get('content-type')).to.equal('application/x-ndjson');
      expect(last?.headers.has('x-next-cursor')).to.equal(false);
      expect(decodeCursor(cursor ?? '')).to.equal(250);
      expect(broker.stats().emptyPages).to.equal(1);
      const now = new Date();
      expect(seen.filter((line) => !parseBrokerLine(line, now).ok)).to.deep.equal([]);
    });

    it('publishes a held feed only from startPublishing() on, at publishPerSecond', async () => {
      // Prepare
      const broker = await start({ records: 1_000, publishPerSecond: 2_000, holdPublishing: true });
      const held = lines(await (await page(broker, { limit: '1000' })).text());

      // Act
      const startedAt = broker.startPublishing();
      let served: string[] = [];
      const deadline = Date.now() + 5_000;
      while (served.length === 0 && Date.now() < deadline) served = lines(await (await page(broker, { limit: '1000' })).text());

      // Assess
      expect(held).to.deep.equal([]);
      expect(startedAt).to.be.at.most(Date.now());
      expect(served.length).to.be.greaterThan(0);
      expect(broker.startPublishing()).to.equal(startedAt);
    });

    it('answers 401 without the bearer key and 400 for a cursor or limit it did not issue', async () => {
      // Prepare
      const broker = await start({ records: 5 });

      // Act
      const statuses = [
        (await page(broker, {}, null)).status,
        (await page(broker, {}, 'wrong')).status,
        (await page(broker, { cursor: 'not-a-cursor' })).status,
        (await page(broker, { cursor: encodeCursor(6) })).status,
        (await page(broker, { limit: '0' })).status,
        (await page(broker, { cursor: encodeCursor(5) })).status,
      ];

      // Assess
      expect(statuses).to.deep.equal([401, 401, 400, 400, 400, 200]);
      expect(broker.stats()).to.include({ unauthorized: 2, badRequests: 3 });
    });

    it('answers 429 with Retry-After in whole seconds over its rate limit', async () => {
      // Prepare
      const broker = await start({ records: 5, rateLimit: 1, rateBurst: 1 });

      // Act
      const first = await page(broker);
      const second = await page(broker);

      // Assess
      expect(first.status).to.equal(200);
      expect(second.status).to.equal(429);
      expect(Number(second.headers.get('retry-after'))).to.be.at.least(1);
      expect(broker.stats().rateLimited).to.equal(1);
    });

    it('injects 5xx answers and connections dropped mid-body at the rates asked', async () => {
      // Prepare
      const erring = await start({ records: 5, errorRate: 1 });
      const dropping = await start({ records: 5, resetRate: 1 });

      // Act
      const error = await page(erring);
      const dropped = await page(dropping)
        .then((response) => response.arrayBuffer())
        .then(
          () => 'whole body',
          (failure: unknown) => failure,
        );

      // Assess
      expect([500, 502, 503]).to.include(error.status);
      expect(dropped).to.be.instanceOf(Error);
      expect(dropping.stats().injectedResets).to.equal(1);
    });

    it('serves an input file byte for byte, broken lines and bytes that are not UTF-8 included', async () => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), 'broker-input-'));
      const file = join(dir, 'input.ndjson');
      const content = Buffer.concat([Buffer.from(`${brokerLine()}\n{"broken": \n\n`), Buffer.from([0x7b, 0xff, 0x7d]), Buffer.from('\r\nlast line without newline')]);
      writeFileSync(file, content);
      const broker = await start({ input: file });
      rmSync(dir, { recursive: true, force: true });

      // Act
      const response = await page(broker, { limit: '100' });
      const body = Buffer.from(await response.arrayBuffer());

      // Assess: one line per file line, each ended by a newline; nothing added, nothing repaired.
      expect(body.equals(Buffer.concat([content, Buffer.from('\n')]))).to.equal(true);
      expect(broker.lines()).to.have.length(5);
      expect(response.headers.get('x-next-cursor')).to.equal(encodeCursor(5));
    });

    it('generates the same lines for the same seed and start, with a label per line', async () => {
      // Prepare
      const options = { records: 50, seed: 11, startAt: '2026-09-01T00:00:00Z' } as const;

      // Act
      const a = await start(options);
      const b = await start(options);
      const c = await start({ ...options, seed: 12 });

      // Assess
      expect(a.lines()).to.deep.equal(b.lines());
      expect(a.lines()).to.not.deep.equal(c.lines());
      expect(a.transactions()?.map((t) => JSON.stringify(t.broker))).to.deep.equal(a.lines());
    });

    it('refuses options that cannot work, naming the option', async () => {
      // Act
      const outcomes = await Promise.all(
        [{}, { records: 5, input: 'x' }, { records: 5, errorRate: 1.5 }, { records: 5, maxPageSize: 0 }].map((o) => startBroker(o as BrokerOptions).catch((e: unknown) => e)),
      );

      // Assess
      for (const outcome of outcomes) expect(outcome).to.be.instanceOf(BrokerOptionError);
      expect((outcomes[2] as BrokerOptionError).option).to.equal('errorRate');
    });
  });

  describe('CLI: insights broker', function () {
    this.timeout(30_000);

    it('prints where it listens, serves the API and stops on SIGTERM', async () => {
      // Prepare
      const script = "import { brokerCommand } from './cli/commands/broker.ts'; await brokerCommand().parseAsync(process.argv.slice(1), { from: 'user' });";
      const child = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', script, '--', '--records', '20', '--json', '--api-key', 'cli-key'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

      // Act
      const [first] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
      const ready = JSON.parse(first ?? '{}') as { url: string; apiKey: string; lines: number };
      const response = await fetch(`${ready.url}/v1/transactions?limit=5`, { headers: { authorization: 'Bearer cli-key' } });
      const body = await response.text();
      child.kill('SIGTERM');

      // Assess
      expect(ready).to.include({ apiKey: 'cli-key', lines: 20 });
      expect(response.status).to.equal(200);
      expect(lines(body)).to.have.length(5);
      expect(await exited).to.equal(0);
    });
  });
});
