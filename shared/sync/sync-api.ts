import { z } from 'zod';

/**
 * The aggregator's sync API as the crawler calls it and the mock broker serves it (Plaid's
 * `/transactions/sync`): `POST /v1/transactions/sync` with `{connectionId, cursor?, count?}` and a
 * bearer token, answering the changes on that one connection after the cursor.
 *
 * The transactions inside are left as `unknown` here: each one is validated on its own by the
 * crawler (`parseBrokerLine`), so one broken transaction is rejected with its code while the rest
 * of the answer goes on.
 */

export const SYNC_API_PATH = '/v1/transactions/sync' as const;

export const syncAnswerSchema = z.object({
  added: z.array(z.unknown()),
  modified: z.array(z.unknown()),
  removed: z.array(z.object({ transactionId: z.string() })),
  next_cursor: z.string().min(1),
  has_more: z.boolean(),
});

export type SyncAnswerBody = z.infer<typeof syncAnswerSchema>;

/** What one `sync` call asks for. */
export interface SyncRequest {
  readonly connectionId: string;
  /** null: from the beginning of the connection. */
  readonly cursor: string | null;
  readonly count: number;
}
