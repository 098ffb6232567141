import { SYNC_API_PATH, syncAnswerSchema } from '../../shared/sync/sync-api.js';
import type { SyncAnswerBody, SyncRequest } from '../../shared/sync/sync-api.js';
import { parseRetryAfter } from './broker-client.js';
import { BrokerNetworkError, BrokerProtocolError, BrokerRateLimitedError, BrokerRequestError, BrokerServerError, CrawlerOptionError } from './errors.js';

/** What the connection syncer needs from the aggregator; tests may hand it any implementation. */
export interface SyncSource {
  sync(request: SyncRequest & { readonly signal?: AbortSignal }): Promise<SyncAnswerBody>;
}

export interface SyncClientOptions {
  /** The broker's base URL (BROKER_URL). */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` (BROKER_API_KEY). */
  readonly apiKey: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** A call (headers and whole body) taking longer is abandoned as a network error. @default 30_000 ms */
  readonly requestTimeoutMs?: number;
}

/**
 * The aggregator's `sync` over HTTP. Every answer that is not a whole, well-formed sync answer
 * becomes the same typed errors the feed client throws, so the crawler treats them alike:
 * rate-limited (wait `Retry-After`), server or network trouble (back off, retry), refused (stop;
 * 400 `invalid-cursor` included, which retrying cannot fix).
 *
 * @example
 * const client = new SyncClient({ baseUrl: env.BROKER_URL, apiKey: env.BROKER_API_KEY });
 * const answer = await client.sync({ connectionId, cursor: null, count: 500 });
 */
export class SyncClient implements SyncSource {
  private readonly endpoint: URL;
  private readonly authorization: string;
  private readonly fetchFn: typeof fetch;
  private readonly requestTimeoutMs: number;

  public constructor(options: SyncClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new CrawlerOptionError('baseUrl', 'must be an absolute http(s) URL');
    }
    if (options.apiKey === '') throw new CrawlerOptionError('apiKey', 'must not be empty');
    this.endpoint = new URL(SYNC_API_PATH, base);
    this.authorization = `Bearer ${options.apiKey}`;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  public async sync(request: SyncRequest & { readonly signal?: AbortSignal }): Promise<SyncAnswerBody> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const signal = request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]);
    const body = JSON.stringify({ connectionId: request.connectionId, ...(request.cursor === null ? {} : { cursor: request.cursor }), count: request.count });
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(this.endpoint, { method: 'POST', headers: { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' }, body, signal });
      if (response.status === 429) {
        await response.body?.cancel().catch(() => undefined);
        throw new BrokerRateLimitedError(parseRetryAfter(response.headers.get('retry-after')));
      }
      // The whole body before any change is used: a connection cut mid-answer throws here.
      text = await response.text();
    } catch (error) {
      if (error instanceof BrokerRateLimitedError) throw error;
      if (request.signal?.aborted === true) throw request.signal.reason ?? error;
      const reason = timeout.aborted ? `no whole answer within ${this.requestTimeoutMs} ms` : ((error as Error).message ?? String(error));
      throw new BrokerNetworkError(`sync ${request.connectionId}: ${reason}`, { cause: error });
    }
    if (response.status >= 500 || response.status === 408) throw new BrokerServerError(response.status, text.slice(0, 300));
    if (response.status !== 200) throw new BrokerRequestError(response.status, `sync ${request.connectionId}: ${text.slice(0, 300)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new BrokerProtocolError(`sync ${request.connectionId}: 200 whose body is not JSON (${(error as Error).message})`);
    }
    const answer = syncAnswerSchema.safeParse(parsed);
    if (!answer.success) throw new BrokerProtocolError(`sync ${request.connectionId}: 200 that is not a sync answer (${answer.error.issues[0]?.message ?? 'bad shape'})`);
    return answer.data;
  }
}
