import { z } from 'zod';

/**
 * The aggregator's webhooks, as the mock broker sends them and the webhook role receives them.
 * Modelled on Plaid's transactions webhooks: a JSON body naming the linked connection (`item_id`)
 * and what became available, signed with a JWT in a header that carries the SHA-256 of the exact
 * body bytes and its issue time.
 *
 * | code                     | sent when                                                     | sync lane |
 * |--------------------------|---------------------------------------------------------------|-----------|
 * | `INITIAL_UPDATE`         | the last 30 days of a newly linked connection are ready       | history   |
 * | `HISTORICAL_UPDATE`      | the whole history (up to 24 months) is ready                  | history   |
 * | `SYNC_UPDATES_AVAILABLE` | new changes (added, modified, removed) on a linked connection | live      |
 *
 * A webhook only says "sync this connection": it carries no transactions, so a duplicated, late
 * or reordered one can at worst cause one sync too many, never a wrong view.
 */

export const WebhookCode = {
  InitialUpdate: 'INITIAL_UPDATE',
  HistoricalUpdate: 'HISTORICAL_UPDATE',
  SyncUpdatesAvailable: 'SYNC_UPDATES_AVAILABLE',
} as const;
export type WebhookCodeName = (typeof WebhookCode)[keyof typeof WebhookCode];

/** The header carrying the signature JWT (Plaid's is `Plaid-Verification`). */
export const WEBHOOK_SIGNATURE_HEADER = 'broker-verification' as const;
/** The signing algorithm: ECDSA P-256 with SHA-256, as Plaid signs. */
export const WEBHOOK_SIGNING_ALG = 'ES256' as const;
/** The JWT claim holding the hex SHA-256 of the body as sent. */
export const BODY_HASH_CLAIM = 'request_body_sha256' as const;
/** Where the broker publishes its webhook verification keys (a JWKS), relative to its base URL. */
export const WEBHOOK_KEYS_PATH = '/v1/webhook-keys' as const;
/** A webhook signed longer ago than this is refused as stale (Plaid's guidance: five minutes). */
export const DEFAULT_WEBHOOK_MAX_AGE_SECONDS = 300;

const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const webhookBodySchema = z.object({
  webhook_type: z.literal('TRANSACTIONS'),
  webhook_code: z.enum([WebhookCode.InitialUpdate, WebhookCode.HistoricalUpdate, WebhookCode.SyncUpdatesAvailable]),
  item_id: z.string().regex(CONNECTION_ID, 'item_id must be 1 to 64 characters of [A-Za-z0-9_-]'),
  /** SYNC_UPDATES_AVAILABLE: the last 30 days are available. */
  initial_update_complete: z.boolean().optional(),
  /** SYNC_UPDATES_AVAILABLE: the whole history is available. */
  historical_update_complete: z.boolean().optional(),
  /** INITIAL_UPDATE, HISTORICAL_UPDATE: transactions that became available. */
  new_transactions: z.number().int().nonnegative().optional(),
  environment: z.string().optional(),
});

export type WebhookBody = z.infer<typeof webhookBodySchema>;
