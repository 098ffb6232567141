import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeCursor } from '../broker/cursor.js';
import { NDJSON, TRANSACTIONS_PATH } from '../broker/server.js';
import type { BrokerHandle } from '../broker/server.js';
import { LOOPBACK } from '../env/ports.js';

/** One stretch of the feed: `count` more lines, released at `perSecond` from `startMs`. */
interface Segment {
  readonly startMs: number;
  readonly before: number;
  readonly count: number;
  /** Infinity: all at once (a backlog). */
  readonly perSecond: number;
}

/**
 * The offered load in front of a mock broker that shows every line at once: lines become visible
 * on a schedule the caller sets while the run goes (all at once for a backlog, then N per second
 * for a latency phase), with exactly the broker's own `publishPerSecond` rule (a cursor at or past
 * the visible end gets an empty page without `X-Next-Cursor`). The broker's own clock starts when
 * it is created, before the crawler is up, so a phase would begin with a burst; here each phase
 * starts when the caller says, with the crawler already polling. Requests go through to the
 * broker with `limit` capped at what is visible.
 *
 * @example
 * const feed = await OfferedLoad.start(await startBroker({ lines }));
 * // ...start the pipeline with feed.url / feed.apiKey...
 * feed.release(lines.length, 500); // 500 lines/s from now
 */
export class OfferedLoad {
  private readonly segments: Segment[] = [];
  private closing: Promise<void> | undefined;

  private constructor(
    public readonly broker: BrokerHandle,
    private readonly server: Server,
  ) {}

  public static async start(broker: BrokerHandle): Promise<OfferedLoad> {
    const server = createServer();
    const feed = new OfferedLoad(broker, server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => feed.serve(req, res));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK, () => resolve());
    });
    return feed;
  }

  public get url(): string {
    return `http://${LOOPBACK}:${(this.server.address() as AddressInfo).port}`;
  }

  public get apiKey(): string {
    return this.broker.apiKey;
  }

  /** Lines released so far (all segments). */
  public get released(): number {
    const last = this.segments[this.segments.length - 1];
    return last === undefined ? 0 : last.before + last.count;
  }

  /** Releases `count` more lines from now, `perSecond` of them per second (Infinity: at once). */
  public release(count: number, perSecond = Infinity): void {
    const available = this.broker.lines().length - this.released;
    if (count > available) throw new RangeError(`only ${available} lines left to release, asked for ${count}`);
    this.segments.push({ startMs: performance.now(), before: this.released, count, perSecond });
  }

  /** Lines a client may see now. */
  public visible(now = performance.now()): number {
    let visible = 0;
    for (const s of this.segments) {
      const shown = s.perSecond === Infinity ? s.count : Math.min(s.count, Math.floor(((now - s.startMs) / 1000) * s.perSecond));
      visible = s.before + Math.max(0, shown);
    }
    return visible;
  }

  /** A broker handle that points at this feed; closing it closes the feed, not the broker. */
  public handle(): BrokerHandle {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const feed = this;
    return {
      get url() {
        return feed.url;
      },
      apiKey: this.broker.apiKey,
      port: (this.server.address() as AddressInfo).port,
      lines: () => this.broker.lines(),
      transactions: () => this.broker.transactions(),
      stats: () => this.broker.stats(),
      close: () => this.close(),
    };
  }

  public close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://feed');
    if (url.pathname === TRANSACTIONS_PATH) {
      let offset = 0;
      try {
        const cursor = url.searchParams.get('cursor');
        offset = cursor === null || cursor === '' ? 0 : decodeCursor(cursor);
      } catch {
        // The broker answers a bad cursor itself.
      }
      const allowed = this.visible() - offset;
      if (allowed <= 0) {
        res.writeHead(200, { 'content-type': NDJSON, 'content-length': 0 }).end();
        return;
      }
      const limit = Number(url.searchParams.get('limit') ?? '100');
      url.searchParams.set('limit', String(Math.max(1, Math.min(Number.isFinite(limit) ? limit : 100, allowed))));
    }
    const target = new URL(this.broker.url);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: `${url.pathname}${url.search}`, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
