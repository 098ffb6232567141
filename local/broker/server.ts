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
import { ConnectionBook } from './connections.js';
import type { Connection, LiveActivity, SyncTransaction } from './connections.js';
import { WebhookSender } from './webhooks.js';
import type { WebhookStats } from './webhooks.js';
import { WEBHOOK_KEYS_PATH, WebhookCode } from '../../shared/sync/webhook.js';
import type { WebhookBody } from '../../shared/sync/webhook.js';

export const TRANSACTIONS_PATH = '/v1/transactions';
export const NDJSON = 'application/x-ndjson';
export const NEXT_CURSOR_HEADER = 'x-next-cursor';
export const CONNECTIONS_PATH = '/v1/connections';
export const SYNC_PATH = '/v1/transactions/sync';
/** `POST /v1/sandbox/connections/<id>/activity`: new bank activity on a connection (tests, bench, runner). */
export const SANDBOX_ACTIVITY = /^\/v1\/sandbox\/connections\/([A-Za-z0-9_-]{1,64})\/activity$/;
/** Largest JSON request body the broker reads. */
const MAX_BODY_BYTES = 64 * 1024;

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
  /** `sync` answers served. */
  readonly syncs: number;
  /** Changes (added + modified + removed) sent in `sync` answers. */
  readonly changesServed: number;
  readonly webhooks: WebhookStats;
}

/** A linked connection as the handle shows it. */
export interface ConnectionInfo {
  readonly connectionId: string;
  readonly userId: string;
  readonly linkedAt: number;
  readonly historySize: number;
  readonly historyReadyAt: number | undefined;
  /** Changes in its log so far. */
  readonly logLength: number;
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

/** A running broker with the aggregator API: linked connections, sync, webhooks. */
export interface SyncBrokerHandle extends BrokerHandle {
  /** Links a connection for a user, as the API's `POST /v1/connections` does; its history job starts. */
  link(userId: string, historySize?: number): ConnectionInfo;
  /** New bank activity on a connection, as the sandbox route does; sends a (coalesced) SYNC_UPDATES_AVAILABLE. */
  activity(connectionId: string, activity: LiveActivity): number;
  connections(): readonly ConnectionInfo[];
  /** The transactions standing on a connection now (after every change in its log). */
  standing(connectionId: string): readonly SyncTransaction[];
  /** Where webhooks go from now on. */
  setWebhookUrl(url: string | undefined): void;
  /** Signs a body as the broker signs its webhooks (tests forge late or tampered ones with it). */
  signWebhook(body: string, issuedAt?: Date): Promise<string>;
  /** Starts a held feed (`holdPublishing`): `publishPerSecond` from now. Returns when it started (epoch ms); later calls change nothing. */
  startPublishing(): number;
}

type MutableStats = { -readonly [K in keyof Omit<BrokerStats, 'webhooks'>]: BrokerStats[K] };

function infoOf(c: Connection): ConnectionInfo {
  return { connectionId: c.connectionId, userId: c.userId, linkedAt: c.linkedAt, historySize: c.historySize, historyReadyAt: c.historyReadyAt, logLength: c.log.length };
}

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
export class MockBroker implements SyncBrokerHandle {
  private readonly stats_: MutableStats = { requests: 0, pages: 0, linesServed: 0, emptyPages: 0, unauthorized: 0, rateLimited: 0, badRequests: 0, injectedErrors: 0, injectedResets: 0, syncs: 0, changesServed: 0 };
  private readonly book: ConnectionBook;
  private readonly historyTimers = new Set<NodeJS.Timeout>();
  private readonly bucket: TokenBucket | undefined;
  private readonly faults: FaultInjector;
  private readonly expectedAuth: Buffer;
  /** When the feed started publishing (performance clock), or undefined while it is held. */
  private publishingSince: number | undefined;
  private publishingStartedAtMs: number | undefined;
  private server: Server | undefined;
  private port_ = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: ResolvedBrokerOptions,
    private readonly source: BrokerSource,
    private readonly webhooks: WebhookSender,
  ) {
    this.book = new ConnectionBook(options.seed);
    this.bucket = options.rateLimit > 0 ? new TokenBucket(options.rateLimit, options.rateBurst) : undefined;
    this.faults = new FaultInjector(options.errorRate, options.resetRate, options.seed);
    this.expectedAuth = Buffer.from(`Bearer ${options.apiKey}`, 'utf8');
    if (!options.holdPublishing) this.startPublishing();
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
    const webhooks = await WebhookSender.create(resolved.webhookUrl, { duplicateRate: resolved.webhookDuplicateRate, maxDelayMs: resolved.webhookMaxDelayMs }, resolved.seed);
    const broker = new MockBroker(resolved, source, webhooks);
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
    return { ...this.stats_, webhooks: this.webhooks.stats() };
  }

  public link(userId: string, historySize: number = this.options.historySize): ConnectionInfo {
    const connection = this.book.link(userId, historySize);
    // The history job: the bank's 24 months become available at once, announced by a webhook.
    const timer = setTimeout(() => {
      this.historyTimers.delete(timer);
      const count = this.book.completeHistory(connection);
      this.webhooks.send({ webhook_type: 'TRANSACTIONS', webhook_code: WebhookCode.HistoricalUpdate, item_id: connection.connectionId, new_transactions: count });
    }, this.options.historyDelayMs);
    this.historyTimers.add(timer);
    return infoOf(connection);
  }

  public activity(connectionId: string, activity: LiveActivity): number {
    const connection = this.book.get(connectionId);
    if (connection === undefined) throw new RangeError(`no connection ${connectionId}`);
    const entries = this.book.applyLive(connection, activity);
    if (entries > 0) {
      const body: WebhookBody = {
        webhook_type: 'TRANSACTIONS',
        webhook_code: WebhookCode.SyncUpdatesAvailable,
        item_id: connectionId,
        initial_update_complete: connection.historyReadyAt !== undefined,
        historical_update_complete: connection.historyReadyAt !== undefined,
      };
      this.webhooks.send(body);
    }
    return entries;
  }

  public connections(): readonly ConnectionInfo[] {
    return this.book.all().map(infoOf);
  }

  public standing(connectionId: string): readonly SyncTransaction[] {
    const connection = this.book.get(connectionId);
    return connection === undefined ? [] : [...this.book.standing(connection).values()];
  }

  public setWebhookUrl(url: string | undefined): void {
    this.webhooks.setUrl(url);
  }

  public signWebhook(body: string, issuedAt?: Date): Promise<string> {
    return this.webhooks.sign(body, issuedAt);
  }

  public close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.historyTimers) clearTimeout(timer);
      await this.webhooks.close();
      await new Promise<void>((resolve) => {
        if (this.server === undefined) return resolve();
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    })();
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
    if (this.publishingSince === undefined) return 0;
    return Math.min(total, Math.floor(((performance.now() - this.publishingSince) / 1000) * this.options.publishPerSecond));
  }

  public startPublishing(): number {
    if (this.publishingSince === undefined) {
      this.publishingSince = performance.now();
      this.publishingStartedAtMs = Date.now();
    }
    return this.publishingStartedAtMs ?? Date.now();
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
    if (url.pathname === WEBHOOK_KEYS_PATH && request.method === 'GET') {
      sendJson(response, 200, this.webhooks.keys());
      return;
    }
    if (url.pathname === SYNC_PATH || url.pathname.startsWith(CONNECTIONS_PATH) || SANDBOX_ACTIVITY.test(url.pathname)) {
      this.handleJson(url, request, response);
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

  /** Authorisation and the rate limit, as for pages; false when it answered already. */
  private admitted(response: ServerResponse, request: IncomingMessage): boolean {
    if (!this.authorised(request)) {
      this.stats_.unauthorized += 1;
      sendJson(response, 401, { error: 'unauthorized', message: 'send Authorization: Bearer <api key>' }, { 'www-authenticate': 'Bearer realm="broker"' });
      return false;
    }
    const token = this.bucket?.take();
    if (token !== undefined && !token.ok) {
      this.stats_.rateLimited += 1;
      const seconds = retryAfterSeconds(token.retryAfterMs);
      sendJson(response, 429, { error: 'rate-limited', message: `over ${this.options.rateLimit} requests/s; retry after ${seconds} s` }, { 'retry-after': String(seconds) });
      return false;
    }
    return true;
  }

  /** The aggregator API: connections, sync, the sandbox. JSON in and out. */
  private handleJson(url: URL, request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (!this.admitted(response, request)) return;
      if (size > MAX_BODY_BYTES) return sendJson(response, 413, { error: 'too-large', message: `request bodies are at most ${MAX_BODY_BYTES} bytes` });
      let body: Record<string, unknown> = {};
      if (size > 0) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          this.stats_.badRequests += 1;
          return sendJson(response, 400, { error: 'invalid-json', message: 'the request body is not JSON' });
        }
      }
      if (url.pathname === SYNC_PATH && request.method === 'POST') return this.serveSync(body, response);
      if (url.pathname === CONNECTIONS_PATH && request.method === 'POST') {
        const userId = body['userId'];
        const historySize = body['historySize'] ?? this.options.historySize;
        if (typeof userId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(userId) || typeof historySize !== 'number' || !Number.isSafeInteger(historySize) || historySize < 0) {
          this.stats_.badRequests += 1;
          return sendJson(response, 400, { error: 'invalid-request', message: 'send {"userId": "<1 to 64 of [A-Za-z0-9_-]>", "historySize"?: n}' });
        }
        return sendJson(response, 201, this.link(userId, historySize));
      }
      if (url.pathname === CONNECTIONS_PATH && request.method === 'GET') return sendJson(response, 200, { connections: this.connections() });
      const sandbox = SANDBOX_ACTIVITY.exec(url.pathname);
      if (sandbox !== null && request.method === 'POST') {
        const connectionId = sandbox[1] as string;
        if (this.book.get(connectionId) === undefined) return sendJson(response, 404, { error: 'unknown-connection', message: `no connection ${connectionId}` });
        return sendJson(response, 200, { entries: this.activity(connectionId, body as LiveActivity) });
      }
      sendJson(response, 404, { error: 'not-found', message: `no route ${request.method ?? ''} ${url.pathname}` });
    });
  }

  /** `POST /v1/transactions/sync` `{connectionId, cursor?, count?}`: Plaid's sync, with the page faults. */
  private serveSync(body: Record<string, unknown>, response: ServerResponse): void {
    const connectionId = body['connectionId'];
    const connection = typeof connectionId === 'string' ? this.book.get(connectionId) : undefined;
    if (connection === undefined) {
      this.stats_.badRequests += 1;
      return sendJson(response, 400, { error: 'unknown-connection', message: `no connection ${String(connectionId).slice(0, 80)}` });
    }
    const count = body['count'] ?? this.options.defaultPageSize;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      this.stats_.badRequests += 1;
      return sendJson(response, 400, { error: 'invalid-count', message: 'count must be a whole number >= 1' });
    }
    const cursor = body['cursor'];
    let answer;
    try {
      answer = this.book.sync(connection, typeof cursor === 'string' ? cursor : null, Math.min(count, this.options.maxPageSize));
    } catch (error) {
      if (!(error instanceof InvalidCursorError)) throw error;
      this.stats_.badRequests += 1;
      return sendJson(response, 400, { error: 'invalid-cursor', message: error.message });
    }
    const fault = this.faults.draw();
    if (fault === Fault.ServerError) {
      this.stats_.injectedErrors += 1;
      return sendJson(response, this.faults.serverErrorStatus(), { error: 'injected', message: 'the broker is having a bad moment; retry' });
    }
    const text = JSON.stringify(answer);
    if (fault === Fault.Reset) {
      this.stats_.injectedResets += 1;
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.write(text.slice(0, Math.floor(text.length / 2)), () => response.socket?.destroy());
      return;
    }
    this.stats_.syncs += 1;
    this.stats_.changesServed += answer.added.length + answer.modified.length + answer.removed.length;
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
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
export function startBroker(options: BrokerOptions): Promise<SyncBrokerHandle> {
  return MockBroker.start(options);
}
