import { expect } from 'chai';
import { parseRetryAfter, splitNdjson } from '../../../workers/crawler/broker-client.js';
import type { BrokerPage, BrokerPageSource } from '../../../workers/crawler/broker-client.js';
import { Crawler } from '../../../workers/crawler/crawler.js';
import type { CrawlerOptions } from '../../../workers/crawler/crawler.js';
import { BrokerRateLimitedError, BrokerRequestError, BrokerServerError } from '../../../workers/crawler/errors.js';
import type { PageOutcome, PreparedPage } from '../../../workers/crawler/page-processor.js';

type Step = BrokerPage | Error;

/** A broker that answers from a script, then "nothing newer" for ever; it records every call. */
class ScriptedBroker implements BrokerPageSource {
  public readonly calls: { cursor: string | null; at: number }[] = [];
  public constructor(private readonly steps: Step[]) {}
  /** Adds answers for the calls still to come. */
  public later(...steps: Step[]): void {
    this.steps.push(...steps);
  }
  public async fetchPage(request: { cursor: string | null }): Promise<BrokerPage> {
    this.calls.push({ cursor: request.cursor, at: performance.now() });
    const step = this.steps.shift() ?? { cursor: request.cursor, lines: [], nextCursor: undefined };
    if (step instanceof Error) throw step;
    return step;
  }
}

const page = (cursor: string | null, lines: string[], nextCursor?: string): BrokerPage => ({ cursor, lines, nextCursor });

/** Records what was prepared, committed and saved, in order; a commit may be held until released. */
class Recorder {
  public readonly events: string[] = [];
  public hold: Promise<void> | undefined;
  public readonly processor = {
    prepare: async (input: { cursor: string | null; lines: readonly string[] }): Promise<PreparedPage> => {
      this.events.push(`prepare ${input.cursor}`);
      return { cursor: input.cursor, stamp: { crawl: 'c', epoch: 1, seq: 0 }, lines: input.lines.length, publications: [], rejects: [], duplicates: 0, preparedAt: new Date() };
    },
    commit: async (prepared: PreparedPage): Promise<PageOutcome> => {
      await this.hold;
      this.events.push(`commit ${prepared.cursor}`);
      return { lines: prepared.lines, published: prepared.lines, republished: 0, duplicates: 0, rejected: 0, rejectsByCode: {} };
    },
  };
  public readonly cursors = {
    begin: async () => ({ cursor: null, updatedAt: undefined, crawl: 'c', epoch: 1, finals: {} }),
    save: async (cursor: string): Promise<void> => {
      this.events.push(`save ${cursor}`);
    },
  };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Class: Crawler', () => {
  const crawlers: Crawler[] = [];
  const crawler = (options: Omit<CrawlerOptions, 'backoffBaseMs' | 'backoffMaxMs'> & Partial<CrawlerOptions>): Crawler => {
    const c = new Crawler({ idleMs: 10, backoffBaseMs: 5, backoffMaxMs: 20, ...options });
    crawlers.push(c);
    return c;
  };

  afterEach(async () => {
    await Promise.all(crawlers.splice(0).map((c) => c.close()));
  });

  describe('Method: start', () => {
    it('saves each cursor only after its page is committed, in page order, then asks again with the last one', async () => {
      // Prepare
      const broker = new ScriptedBroker([page(null, ['a', 'b'], 'c1'), page('c1', ['c'], 'c2'), page('c2', [], undefined)]);
      const recorder = new Recorder();
      const subject = crawler({ broker, processor: recorder.processor, cursors: recorder.cursors });

      // Act
      void subject.start();
      await until(() => broker.calls.length >= 4);

      // Assess: the next page may be prepared meanwhile, but commits and saves alternate in order.
      expect(recorder.events.filter((e) => !e.startsWith('prepare'))).to.deep.equal(['commit null', 'save c1', 'commit c1', 'save c2']);
      expect(recorder.events.filter((e) => e.startsWith('prepare'))).to.deep.equal(['prepare null', 'prepare c1']);
      expect(broker.calls.map((c) => c.cursor).slice(0, 4)).to.deep.equal([null, 'c1', 'c2', 'c2']);
      expect(subject.stats()).to.include({ cursor: 'c2', caughtUp: true, pages: 2, lines: 3, published: 3 });
    });

    it('asks a quiet broker less and less often, up to maxIdleMs, and at idleMs again from its first line', async () => {
      // Prepare
      const broker = new ScriptedBroker([]);
      const recorder = new Recorder();
      const subject = crawler({ broker, processor: recorder.processor, cursors: recorder.cursors, idleMs: 10, idleBackoffAfter: 3, maxIdleMs: 200 });
      const gaps = (from: number): number[] => broker.calls.slice(from + 1).map((c, i) => c.at - (broker.calls[from + i]?.at ?? 0));

      // Act
      void subject.start();
      await until(() => broker.calls.length >= 10);
      const quiet = gaps(0);
      broker.later(page(null, ['a'], undefined));
      const woke = broker.calls.length;
      await until(() => broker.calls.length >= woke + 4);

      // Assess: three waits of idleMs, then 20, 40, 80, 160, 200 ms; after the line, idleMs again
      // (timers on a loaded machine run late, hence the averages and the slack).
      const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(quiet.slice(0, 3))).to.be.below(100);
      expect(quiet[quiet.length - 1]).to.be.at.least(199);
      expect(mean(gaps(woke).slice(0, 3))).to.be.below(100);
      expect(recorder.events).to.include('commit null');
    });

    it('waits out Retry-After, and backs off after a server error, then carries on', async () => {
      // Prepare
      const broker = new ScriptedBroker([new BrokerRateLimitedError(120), new BrokerServerError(503, 'busy'), page(null, ['a'], 'c1')]);
      const recorder = new Recorder();
      const subject = crawler({ broker, processor: recorder.processor, cursors: recorder.cursors });

      // Act
      void subject.start();
      await until(() => recorder.events.includes('save c1'));

      // Assess: a timer never fires early by more than its rounding, hence the millisecond of slack.
      const [first, second] = broker.calls;
      expect((second?.at ?? 0) - (first?.at ?? 0)).to.be.at.least(119);
      expect(subject.stats()).to.include({ rateLimited: 1, brokerErrors: 1, cursor: 'c1' });
    });

    it('stops, rejecting, on a refusal retrying cannot fix, and its health check fails', async () => {
      // Prepare
      const broker = new ScriptedBroker([new BrokerRequestError(401, 'unauthorized')]);
      const recorder = new Recorder();
      const subject = crawler({ broker, processor: recorder.processor, cursors: recorder.cursors });

      // Act
      const outcome = await subject.start().then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(outcome).to.be.instanceOf(BrokerRequestError);
      expect(subject.stats().state).to.equal('failed');
      expect(() => subject.health()).to.throw(/401/);
      expect(broker.calls).to.have.length(1);
    });
  });

  describe('Method: close', () => {
    it('finishes the page being committed and saves its cursor, then asks the broker nothing more', async () => {
      // Prepare
      const broker = new ScriptedBroker([page(null, ['a'], 'c1'), page('c1', ['b'], 'c2')]);
      const recorder = new Recorder();
      let release: () => void = () => undefined;
      recorder.hold = new Promise((resolve) => (release = resolve));
      const subject = crawler({ broker, processor: recorder.processor, cursors: recorder.cursors });
      void subject.start();
      await until(() => recorder.events.includes('prepare c1'));

      // Act
      const closing = subject.close();
      release();
      await closing;
      const callsAtClose = broker.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 30));

      // Assess: the prepared second page is committed too; its claims must not stay behind.
      expect(recorder.events).to.deep.equal(['prepare null', 'prepare c1', 'commit null', 'save c1', 'commit c1', 'save c2']);
      expect(broker.calls).to.have.length(callsAtClose);
      expect(subject.stats().state).to.equal('closed');
      expect(await subject.close().then(() => 'same')).to.equal('same');
    });
  });

  describe('Method: health', () => {
    it('fails once no broker call succeeded for staleAfterMs', async () => {
      // Prepare
      const broker = new ScriptedBroker(Array.from({ length: 1000 }, () => new BrokerServerError(503, 'down')));
      const recorder = new Recorder();
      const subject = crawler({ broker, processor: recorder.processor, cursors: recorder.cursors, staleAfterMs: 30 });
      void subject.start();

      // Act
      await until(() => broker.calls.length >= 2);
      await new Promise((resolve) => setTimeout(resolve, 40));

      // Assess
      expect(() => subject.health()).to.throw(/no successful broker call/);
    });
  });
});

describe('Function: parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates, and ignores what it cannot read', () => {
    // Prepare
    const now = Date.parse('2026-11-25T10:00:00Z');

    // Act
    const values = ['3', '0', 'Wed, 25 Nov 2026 10:00:05 GMT', 'Wed, 25 Nov 2026 09:00:00 GMT', 'soon', '', null].map((v) => parseRetryAfter(v, now));

    // Assess
    expect(values).to.deep.equal([3000, 0, 5000, 0, undefined, undefined, undefined]);
  });
});

describe('Function: splitNdjson', () => {
  it('keeps every line as sent, blank ones included, without inventing one after the final newline', () => {
    expect(splitNdjson('')).to.deep.equal([]);
    expect(splitNdjson('a\n')).to.deep.equal(['a']);
    expect(splitNdjson('a\n\nb')).to.deep.equal(['a', '', 'b']);
  });
});
