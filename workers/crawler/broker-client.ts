import { BrokerNetworkError, BrokerProtocolError, BrokerRateLimitedError, BrokerRequestError, BrokerServerError, CrawlerOptionError } from './errors.js';

/** One page as the broker served it. */
export interface BrokerPage {
  /** The cursor the page was asked with; null for the very first page. */
  readonly cursor: string | null;
  /** Each NDJSON line exactly as received (decoded as UTF-8), blank and broken ones included. */
  readonly lines: readonly string[];
  /** `X-Next-Cursor`; undefined when the broker has nothing newer. */
  readonly nextCursor: string | undefined;
}

/** What the crawler needs from a broker; tests may hand it any implementation. */
export interface BrokerPageSource {
  fetchPage(request: { readonly cursor: string | null; readonly limit: number; readonly signal?: AbortSignal }): Promise<BrokerPage>;
}

export interface BrokerClientOptions {
  /** The broker's base URL (BROKER_URL); the API is `<base>/v1/transactions`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` (BROKER_API_KEY). */
  readonly apiKey: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** A call (headers and whole body) taking longer is abandoned as a network error. @default 30_000 ms */
  readonly requestTimeoutMs?: number;
}

const NDJSON = 'application/x-ndjson';
/** Servers may answer with a date; anything further away than this is treated as a day. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** `Retry-After` as ms: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/** Splits an NDJSON body into lines; a final newline ends the last line rather than starting an empty one. */
export function splitNdjson(body: string): string[] {
  if (body === '') return [];
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function detail(response: Response): Promise<string> {
  try {
    const text = (await response.text()).slice(0, 300);
    return text === '' ? response.statusText : text;
  } catch {
    return response.statusText;
  }
}

/**
 * The broker API over HTTP: `GET /v1/transactions?cursor=C&limit=L` with a bearer token. Each
 * answer that is not a whole page becomes a typed error the crawler acts on: rate-limited (wait
 * `Retry-After`), server or network trouble (back off and retry), or a refusal (stop).
 *
 * @example
 * const broker = new BrokerClient({ baseUrl: env.BROKER_URL, apiKey: env.BROKER_API_KEY });
 * const page = await broker.fetchPage({ cursor: null, limit: 500 });
 */
export class BrokerClient implements BrokerPageSource {
  private readonly endpoint: URL;
  private readonly authorization: string;
  private readonly fetchFn: typeof fetch;
  private readonly requestTimeoutMs: number;

  public constructor(options: BrokerClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    } catch {
      throw new CrawlerOptionError('baseUrl', 'must be an absolute http(s) URL');
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CrawlerOptionError('baseUrl', `must use http or https, got ${base.protocol}`);
    if (options.apiKey === '') throw new CrawlerOptionError('apiKey', 'must not be empty');
    this.endpoint = new URL('v1/transactions', base);
    this.authorization = `Bearer ${options.apiKey}`;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    if (!Number.isInteger(this.requestTimeoutMs) || this.requestTimeoutMs < 1) throw new CrawlerOptionError('requestTimeoutMs', `must be a positive whole number of ms, got ${this.requestTimeoutMs}`);
  }

  /** Where this client reads from, without credentials; also names the crawler's durable cursor. */
  public get endpointUrl(): string {
    return this.endpoint.href;
  }

  public async fetchPage(request: { readonly cursor: string | null; readonly limit: number; readonly signal?: AbortSignal }): Promise<BrokerPage> {
    const url = new URL(this.endpoint);
    if (request.cursor !== null) url.searchParams.set('cursor', request.cursor);
    url.searchParams.set('limit', String(request.limit));
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const signal = request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]);

    let response: Response;
    let body: string;
    try {
      response = await this.fetchFn(url, { headers: { authorization: this.authorization, accept: NDJSON }, signal });
      if (response.status !== 200) return await this.refuse(response);
      // Read the whole body before using any line: a connection cut mid-page throws here, so a
      // partial page is never processed (its records would be accepted under a cursor that says
      // the page was whole).
      body = Buffer.from(await response.arrayBuffer()).toString('utf8');
    } catch (error) {
      if (error instanceof BrokerRateLimitedError || error instanceof BrokerServerError || error instanceof BrokerRequestError) throw error;
      if (request.signal?.aborted === true) throw request.signal.reason ?? error;
      const reason = timeout.aborted ? `no whole answer within ${this.requestTimeoutMs} ms` : ((error as Error).message ?? String(error));
      const cause = (error as { cause?: { code?: string } }).cause;
      throw new BrokerNetworkError(cause?.code === undefined ? reason : `${reason} (${cause.code})`, { cause: error });
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.toLowerCase().startsWith(NDJSON)) throw new BrokerProtocolError(`200 with content type '${contentType}', expected ${NDJSON}`);
    const next = response.headers.get('x-next-cursor');
    return { cursor: request.cursor, lines: splitNdjson(body), nextCursor: next === null || next === '' ? undefined : next };
  }

  private async refuse(response: Response): Promise<never> {
    const status = response.status;
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      await response.body?.cancel().catch(() => undefined);
      throw new BrokerRateLimitedError(retryAfterMs);
    }
    const text = await detail(response);
    if (status >= 500 || status === 408) throw new BrokerServerError(status, text);
    throw new BrokerRequestError(status, status === 401 || status === 403 ? `${text} (check BROKER_API_KEY)` : text);
  }
}
