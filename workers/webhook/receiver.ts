import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { SYNC_JOB_NAME, syncJobFor, syncJobOptions } from '../../shared/sync/sync-job.js';
import type { SyncJobData } from '../../shared/sync/sync-job.js';
import { WEBHOOK_SIGNATURE_HEADER } from '../../shared/sync/webhook.js';
import type { RefusalReason, WebhookVerifier } from './verifier.js';

/** Where the broker posts its webhooks. */
export const WEBHOOK_PATH = '/webhooks/transactions' as const;
/** Webhook bodies are a few hundred bytes; anything far larger is not one. */
const MAX_BODY_BYTES = 16 * 1024;

export interface WebhookReceiverOptions {
  readonly verifier: Pick<WebhookVerifier, 'verify'>;
  /** The sync queue (SYNC_QUEUE_NAME): where a verified webhook becomes a (coalesced) sync job. */
  readonly queue: Pick<Queue<SyncJobData>, 'add'>;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export interface WebhookReceiverStats {
  readonly received: number;
  /** Verified and turned into a sync job (coalesced ones included: BullMQ drops them by the connection's id). */
  readonly accepted: number;
  readonly refused: number;
  readonly refusedByReason: Readonly<Partial<Record<RefusalReason, number>>>;
  /** Accepted webhooks whose job could not be queued (Redis down): answered 503 so the broker retries. */
  readonly queueErrors: number;
}

type MutableStats = { -readonly [K in keyof WebhookReceiverStats]: WebhookReceiverStats[K] } & { refusedByReason: Partial<Record<RefusalReason, number>> };

/**
 * The webhook endpoint: `POST /webhooks/transactions`. Verifies each webhook (signature, freshness,
 * body hash), adds one sync job for its connection to the sync queue and answers `200` at once:
 * the sync runs on a crawler, never inside the request, so the broker sees an answer within a few
 * milliseconds. Repeated webhooks for a connection coalesce in the queue (one job per connection
 * waiting, see `shared/sync/sync-job.ts`). Refusals answer `401` (unsigned, bad signature, stale,
 * altered) or `400` (not a webhook) and are counted; a queue failure answers `503` so the broker
 * delivers again.
 *
 * @example
 * const receiver = new WebhookReceiver({ verifier, queue });
 * const port = await receiver.listen(8082, '0.0.0.0');
 */
export class WebhookReceiver {
  private readonly stats_: MutableStats = { received: 0, accepted: 0, refused: 0, refusedByReason: {}, queueErrors: 0 };
  private readonly log: Logger;
  private readonly clock: () => Date;
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  /** Refusals since the last `takeRefused()`: the WebhooksRefused metric per period. */
  private refusedSinceTake = 0;

  public constructor(private readonly options: WebhookReceiverOptions) {
    this.log = options.logger ?? silentLogger();
    this.clock = options.clock ?? (() => new Date());
  }

  public stats(): WebhookReceiverStats {
    return { ...this.stats_, refusedByReason: { ...this.stats_.refusedByReason } };
  }

  /** Refusals since the last call (a counter metric, taken and reset). */
  public takeRefused(): number {
    const n = this.refusedSinceTake;
    this.refusedSinceTake = 0;
    return n;
  }

  /** Listens; resolves with the port (0 picks a free one). */
  public listen(port: number, host: string): Promise<number> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.log.error({ err: error }, 'webhook handling failed');
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  /** Stops listening; requests under way finish. Idempotent. */
  public close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      if (this.server === undefined) return resolve();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://receiver').pathname;
    if (path !== WEBHOOK_PATH) return void response.writeHead(404).end();
    if (request.method !== 'POST') return void response.writeHead(405, { allow: 'POST' }).end();
    this.stats_.received += 1;
    const body = await readBody(request);
    if (body === undefined) return this.refuse(response, 'bad-body', 'body too large', 413);
    const header = request.headers[WEBHOOK_SIGNATURE_HEADER];
    const verdict = await this.options.verifier.verify(body, Array.isArray(header) ? header[0] : header);
    if (!verdict.ok) return this.refuse(response, verdict.reason, verdict.detail, verdict.reason === 'bad-body' ? 400 : 401);
    const job = syncJobFor(verdict.body, this.clock());
    try {
      await this.options.queue.add(SYNC_JOB_NAME, job, syncJobOptions(job));
    } catch (error) {
      this.stats_.queueErrors += 1;
      this.log.warn({ err: error, connectionId: job.connectionId }, 'sync job not queued; the broker will deliver again');
      return void response.writeHead(503, { 'retry-after': '1' }).end();
    }
    this.stats_.accepted += 1;
    this.log.debug({ connectionId: job.connectionId, code: verdict.body.webhook_code, lane: job.lane }, 'webhook accepted');
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"queued"}');
  }

  private refuse(response: ServerResponse, reason: RefusalReason, detail: string, status: number): void {
    this.stats_.refused += 1;
    this.refusedSinceTake += 1;
    this.stats_.refusedByReason[reason] = (this.stats_.refusedByReason[reason] ?? 0) + 1;
    this.log.warn({ reason, detail }, 'webhook refused');
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason }));
  }
}

/** The whole body, or undefined past the size limit (the rest is drained, not kept). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
