import type { JobsOptions } from 'bullmq';
import { Lane } from '../schemas/transaction-change.js';
import type { LaneName } from '../schemas/transaction-change.js';
import { WebhookCode } from './webhook.js';
import type { WebhookBody, WebhookCodeName } from './webhook.js';

/**
 * The sync job: the contract between the webhook role (which adds jobs) and the crawler (which
 * runs them). One job means "bring this connection up to date": the crawler syncs it from its
 * durable cursor until the broker has nothing more.
 *
 * Coalescing: every job of a connection shares one BullMQ deduplication id (the connection id)
 * with `keepLastIfActive`. While a job waits, further webhooks for that connection add nothing
 * (the waiting sync will see their changes); while one runs, the latest of them is kept and
 * becomes one new job when the running one ends (its changes may have come after the running
 * sync's last page). So a connection has at most one job running and one waiting, however many
 * webhooks arrive, and never two syncs at once.
 */

export const SYNC_JOB_VERSION = 1 as const;
/** BullMQ job name of every sync job (the queue holds nothing else). */
export const SYNC_JOB_NAME = 'sync' as const;

export interface SyncJobData {
  readonly v: typeof SYNC_JOB_VERSION;
  readonly connectionId: string;
  /** Which lane the sync serves: history jobs yield to live ones (see `LANE_PRIORITY`). */
  readonly lane: LaneName;
  /** What asked for the sync. */
  readonly reason: WebhookCodeName | 'continue';
  /** The broker said the connection's whole history is available (so a sync to its end finishes the backfill). */
  readonly historyComplete: boolean;
  /** When the webhook was received (ISO 8601), for the time from webhook to sync. */
  readonly receivedAt: string;
}

/**
 * BullMQ priorities (lower runs first). Live syncs always go before waiting history syncs, so a
 * user's new card payment never waits for somebody else's 24-month backfill to be picked up.
 */
export const LANE_PRIORITY: Readonly<Record<LaneName, number>> = { [Lane.Live]: 1, [Lane.History]: 10 };

/** A sync that failed for good stays this long for an operator (the next webhook syncs the connection again). */
export const FAILED_SYNC_RETENTION_SECONDS = 7 * 86_400;

export interface SyncJobRetryOptions {
  /** Runs of a job before it fails: broker outages longer than the crawler's own retries. @default 12 */
  readonly attempts?: number;
  /** First retry delay, doubling. @default 1_000 ms (12 attempts span about an hour) */
  readonly backoffMs?: number;
}

/** The options every sync job is added with: coalesced per connection, prioritised by lane. */
export function syncJobOptions(data: Pick<SyncJobData, 'connectionId' | 'lane'>, retry: SyncJobRetryOptions = {}): JobsOptions {
  return {
    deduplication: { id: data.connectionId, keepLastIfActive: true },
    priority: LANE_PRIORITY[data.lane],
    attempts: retry.attempts ?? 12,
    backoff: { type: 'exponential', delay: retry.backoffMs ?? 1_000, jitter: 0.25 },
    // Nothing to keep once done: the connection's cursor is durable in DynamoDB, and a finished
    // job must not stand in the way of the next webhook's.
    removeOnComplete: true,
    removeOnFail: { age: FAILED_SYNC_RETENTION_SECONDS, count: 10_000 },
  };
}

/**
 * The sync a webhook asks for. History codes, and a sync-available webhook sent while the history
 * is still incomplete, go in the history lane; everything else is live.
 */
export function syncJobFor(body: WebhookBody, receivedAt: Date): SyncJobData {
  const historyComplete = body.webhook_code === WebhookCode.HistoricalUpdate || body.historical_update_complete === true;
  const lane = body.webhook_code === WebhookCode.SyncUpdatesAvailable && body.historical_update_complete !== false ? Lane.Live : Lane.History;
  return { v: SYNC_JOB_VERSION, connectionId: body.item_id, lane, reason: body.webhook_code, historyComplete, receivedAt: receivedAt.toISOString() };
}
