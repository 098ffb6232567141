import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { LabelledTransaction } from '../../models/synthetic/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { InvalidCursorError } from './errors.js';
import { Fault, FaultInjector } from './faults.js';
import { resolveBrokerOptions } from './options.js';
import type { BrokerOptions, ResolvedBrokerOptions } from './options.js';
import { TokenBucket, retryAfterSeconds } from './rate-limiter.js';
import { fileSource, linesSource, syntheticSource } from './source.js';
import type { BrokerSource } from './source.js';

export const TRANSACTIONS_PATH = '/v1/transactions';
export const NDJSON = 'application/x-ndjson';
export const NEXT_CURSOR_HEADER = 'x-next-cursor';

/** What the broker did since it started, for tests and the local runner's progress. */
export interface BrokerStats {
  readonly requests: number;
  /** 200 answers, empty ones included. */
  readonly pages: number;
  /** Lines sent in 200 answers (a line sent twice counts twice). */
  readonly linesServed: number;
  /** 200 answers with no line: "nothing newer". */
  readonly emptyPages: number;
  readonly unauthorized: number;
  readonly rateLimited: number;
  readonly badRequests: number;
  readonly injectedErrors: number;
  readonly injectedResets: number;
}

/** A running broker. */
export interface BrokerHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234`; the API is at `${url}/v1/transactions`. */
  readonly url: string;
  readonly apiKey: string;
  readonly port: number;
  /** Every line of the source in order, decoded as UTF-8. */
  lines(): readonly string[];
  /** The synthetic source's labelled transactions (line i is transaction i); undefined for files. */
  transactions(): readonly LabelledTransaction[] | undefined;
  stats(): BrokerStats;
  /** Stops listening and drops open connections; a second call returns the same promise. */
  close(): Promise<void>;
}

type MutableStats = { -readonly [K in keyof BrokerStats]: BrokerStats[K] };

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

/**
 * The mock data broker: `GET /v1/transactions?cursor=C&limit=L` with `Authorization: Bearer
 * <key>`, answering 200 NDJSON (one transaction per line) with `X-Next-Cursor` whenever the page
 * holds a line. The cursor names the position after the page's last line; a page with no line
 * (nothing newer yet) has no `X-Next-Cursor`, and the client asks again later with the cursor it
 * has. 401 without the key, 400 for a bad cursor or limit, 429 with `Retry-After` over the rate
 * limit, and injected 5xx and dropped connections when asked to.
 */
export class MockBroker implements BrokerHandle {
  private readonly stats_: MutableStats = { requests: 0, pages: 0, linesServed: 0, emptyPages: 0, unauthorized: 0, rateLimited: 0, badRequests: 0, injectedErrors: 0, injectedResets: 0 };
  private readonly bucket: TokenBucket | undefined;
  private readonly faults: FaultInjector;
  private readonly expectedAuth: Buffer;
  private readonly startedAt = performance.now();
  private server: Server | undefined;
  private port_ = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: ResolvedBrokerOptions,
    private readonly source: BrokerSource,
  ) {
    this.bucket = options.rateLimit > 0 ? new TokenBucket(options.rateLimit, options.rateBurst) : undefined;
    this.faults = new FaultInjector(options.errorRate, options.resetRate, options.seed);
    this.expectedAuth = Buffer.from(`Bearer ${options.apiKey}`, 'utf8');
  }

  /** Builds the source (generates or reads it) and listens. */
  public static async start(options: BrokerOptions): Promise<MockBroker> {
    const resolved = resolveBrokerOptions(options);
    const source =
      options.records !== undefined
        ? syntheticSource({ records: options.records, seed: resolved.seed, ...(options.users === undefined ? {} : { users: options.users }), ...(options.startAt === undefined ? {} : { startAt: options.startAt }) })
        : options.input !== undefined
          ? await fileSource(options.input)
          : linesSource(options.lines ?? []);
    const broker = new MockBroker(resolved, source);
    await broker.listen();
    return broker;
  }

  public get url(): string {
    return `http://${this.options.host}:${this.port_}`;
  }

  public get apiKey(): string {
    return this.options.apiKey;
  }

  public get port(): number {
    return this.port_;
  }

  public lines(): readonly string[] {
    return this.source.lines.map((line) => line.toString('utf8'));
  }

  public transactions(): readonly LabelledTransaction[] | undefined {
    return this.source.transactions;
  }

  public stats(): BrokerStats {
    return { ...this.stats_ };
  }

  public close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      if (this.server === undefined) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private listen(): Promise<void> {
    const server = createServer((request, response) => this.handle(request, response));
    // Longer than a client's idle keep-alive, so the server never closes a socket the client is
    // about to reuse (that race would look like an injected network error).
    server.keepAliveTimeout = 65_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        const address = server.address();
        this.port_ = typeof address === 'object' && address !== null ? address.port : this.options.port;
        resolve();
      });
    });
  }

  /** Lines a client may see now: all of them, or those published so far at `publishPerSecond`. */
  private visibleLines(): number {
    const total = this.source.lines.length;
    if (this.options.publishPerSecond === 0) return total;
    return Math.min(total, Math.floor(((performance.now() - this.startedAt) / 1000) * this.options.publishPerSecond));
  }

  private authorised(request: IncomingMessage): boolean {
    const given = Buffer.from(request.headers.authorization ?? '', 'utf8');
    return given.length === this.expectedAuth.length && timingSafeEqual(given, this.expectedAuth);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.stats_.requests += 1;
    const url = new URL(request.url ?? '/', 'http://broker');
    if (url.pathname === '/health' && request.method === 'GET') {
      sendJson(response, 200, { status: 'ok', lines: this.source.lines.length, visible: this.visibleLines() });
      return;
    }
    if (url.pathname !== TRANSACTIONS_PATH) {
      sendJson(response, 404, { error: 'not-found', message: `no route ${url.pathname}` });
      return;
    }
    if (request.method !== 'GET') {
      sendJson(response, 405, { error: 'method-not-allowed', message: 'use GET' }, { allow: 'GET' });
      return;
    }
    if (!this.authorised(request)) {
      this.stats_.unauthorized += 1;
      sendJson(response, 401, { error: 'unauthorized', message: 'send Authorization: Bearer <api key>' }, { 'www-authenticate': 'Bearer realm="broker"' });
      return;
    }
    const token = this.bucket?.take();
    if (token !== undefined && !token.ok) {
      this.stats_.rateLimited += 1;
      const seconds = retryAfterSeconds(token.retryAfterMs);
      sendJson(response, 429, { error: 'rate-limited', message: `over ${this.options.rateLimit} requests/s; retry after ${seconds} s` }, { 'retry-after': String(seconds) });
      return;
    }
    const page = this.parsePage(url);
    if ('error' in page) {
      this.stats_.badRequests += 1;
      sendJson(response, 400, page);
      return;
    }
    const fault = this.faults.draw();
    if (fault === Fault.ServerError) {
      this.stats_.injectedErrors += 1;
      sendJson(response, this.faults.serverErrorStatus(), { error: 'injected', message: 'the broker is having a bad moment; retry' });
      return;
    }
    this.servePage(response, page.offset, page.limit, fault === Fault.Reset);
  }

  private parsePage(url: URL): { offset: number; limit: number } | { error: string; message: string } {
    const cursor = url.searchParams.get('cursor');
    const limitText = url.searchParams.get('limit');
    let offset = 0;
    if (cursor !== null && cursor !== '') {
      try {
        offset = decodeCursor(cursor);
      } catch (error) {
        if (error instanceof InvalidCursorError) return { error: 'invalid-cursor', message: error.message };
        throw error;
      }
      if (offset > this.source.lines.length) return { error: 'invalid-cursor', message: `cursor is past the end of this broker's data` };
    }
    let limit = this.options.defaultPageSize;
    if (limitText !== null) {
      if (!/^[1-9]\d{0,8}$/.test(limitText)) return { error: 'invalid-limit', message: `limit must be a whole number >= 1, got '${limitText.slice(0, 20)}'` };
      // A larger limit than the cap is not an error: the page is just capped, as real APIs do.
      limit = Math.min(Number(limitText), this.options.maxPageSize);
    }
    return { offset, limit };
  }

  private servePage(response: ServerResponse, offset: number, limit: number, reset: boolean): void {
    const end = Math.min(offset + limit, Math.max(offset, this.visibleLines()));
    const lines = this.source.lines.slice(offset, end);
    const body = Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')]));
    const headers: Record<string, string | number> = { 'content-type': NDJSON, 'content-length': body.length };
    if (lines.length > 0) headers[NEXT_CURSOR_HEADER] = encodeCursor(end);
    if (reset) {
      this.stats_.injectedResets += 1;
      response.writeHead(200, headers);
      response.write(body.subarray(0, Math.floor(body.length / 2)), () => response.socket?.destroy());
      return;
    }
    this.stats_.pages += 1;
    this.stats_.linesServed += lines.length;
    if (lines.length === 0) this.stats_.emptyPages += 1;
    response.writeHead(200, headers).end(body);
  }
}

/**
 * Starts the mock data broker on loopback.
 *
 * @example
 * const broker = await startBroker({ records: 2000, rateLimit: 50, errorRate: 0.1 });
 * const page = await fetch(`${broker.url}/v1/transactions?limit=100`, { headers: { authorization: `Bearer ${broker.apiKey}` } });
 * await broker.close();
 */
export function startBroker(options: BrokerOptions): Promise<BrokerHandle> {
  return MockBroker.start(options);
}
