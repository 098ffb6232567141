import { optionErrorOf } from '../../shared/errors.js';
import { WorkerError } from '../errors.js';

/** Base of every crawler failure. */
export class CrawlerError extends WorkerError {
  public override readonly name: string = 'CrawlerError';
  /** Worth asking again (after back-off); false means a person must change something. */
  public readonly retryable: boolean = true;
}

/** An option the crawler cannot work with; names the option. */
export class CrawlerOptionError extends optionErrorOf(CrawlerError, 'crawler') {
  public override readonly name = 'CrawlerOptionError';
  public override readonly retryable = false;
}

/** The broker answered 429: come back after `retryAfterMs` (from `Retry-After`, when it sent one). */
export class BrokerRateLimitedError extends CrawlerError {
  public override readonly name = 'BrokerRateLimitedError';
  public constructor(public readonly retryAfterMs: number | undefined) {
    super(`broker rate-limited the crawler${retryAfterMs === undefined ? '' : `; retry after ${retryAfterMs} ms`}`);
  }
}

/** The broker answered with a status that says "try again" (5xx, 408). */
export class BrokerServerError extends CrawlerError {
  public override readonly name = 'BrokerServerError';
  public constructor(
    public readonly status: number,
    detail: string,
  ) {
    super(`broker answered ${status}: ${detail}`);
  }
}

/** The call never got a whole answer: refused, reset, timed out, or the body was cut short. */
export class BrokerNetworkError extends CrawlerError {
  public override readonly name = 'BrokerNetworkError';
  public constructor(detail: string, options?: { cause?: unknown }) {
    super(`broker call failed: ${detail}`, options);
  }
}

/** A 200 that is not the broker API (wrong content type): a proxy or a wrong URL, maybe for a moment. */
export class BrokerProtocolError extends CrawlerError {
  public override readonly name = 'BrokerProtocolError';
  public constructor(detail: string) {
    super(`broker answer is not the broker API: ${detail}`);
  }
}

/**
 * The broker refused the request in a way retrying will not fix: 401/403 (wrong key), 400 (a
 * cursor it did not issue), 404 (wrong URL). The crawler stops and says so.
 */
export class BrokerRequestError extends CrawlerError {
  public override readonly name = 'BrokerRequestError';
  public override readonly retryable = false;
  public constructor(
    public readonly status: number,
    detail: string,
  ) {
    super(`broker refused the request with ${status}: ${detail}`);
  }
}

/** The ingest ledger could not be read or written; the page is retried, nothing was lost. */
export class LedgerError extends CrawlerError {
  public override readonly name = 'LedgerError';
  public constructor(operation: string, options?: { cause?: unknown }) {
    super(`ingest ledger ${operation} failed`, options);
  }
}

/** The durable cursor could not be read or written. */
export class CursorStoreError extends CrawlerError {
  public override readonly name = 'CursorStoreError';
  public constructor(operation: string, options?: { cause?: unknown }) {
    super(`crawler cursor ${operation} failed`, options);
  }
}

/** Some of a page's records did not reach the raw stream or the reject store; the page is retried. */
export class PagePublishError extends CrawlerError {
  public override readonly name = 'PagePublishError';
  public constructor(
    public readonly failed: number,
    public readonly total: number,
    options?: { cause?: unknown },
  ) {
    super(`${failed} of ${total} record(s) of the page were not stored`, options);
  }
}

/** Another crawler started on the same crawl (a newer run): this one must stop, its cursor is no longer its own. */
export class CrawlerFencedError extends CrawlerError {
  public override readonly name = 'CrawlerFencedError';
  public override readonly retryable = false;
  public constructor(
    public readonly crawl: string,
    public readonly epoch: number,
    options?: { cause?: unknown },
  ) {
    super(`crawl '${crawl}' run ${epoch} was superseded by a newer run (another crawler started); stopping`, options);
  }
}
