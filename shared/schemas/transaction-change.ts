import { z } from 'zod';

/**
 * Which version of a transaction a record carries. Bank data changes after the fact (aggregators
 * send `added`, `modified` and `removed` per linked connection; a posted card payment replaces its
 * pending one under a new id, often with another amount), so every stage after the crawler keeps
 * this envelope beside the transaction and the view shows each transaction at its highest
 * `revision`, counted once.
 *
 * | kind       | meaning for the view                                                         |
 * |------------|------------------------------------------------------------------------------|
 * | `added`    | a new transaction; a changed copy under the same id without `modified` is a `conflicting-duplicate` |
 * | `modified` | replaces the versions of lower revision; one that moves the transaction to another local date comes with a `removed` change carrying the previous version at the same revision, so the month and day it leaves forget it (the view reads by month, the batch job rewrites by day) |
 * | `removed`  | the transaction disappears; `transaction` still holds its last version so every stage knows the user and month |
 *
 * A posted transaction names the pending one it replaces in `pendingTransactionId`; the pending
 * one is removed (by its own `removed` change, whichever of the two arrives first).
 *
 * Records written before this envelope existed carry none: they read as `added` at revision 0.
 */

export const ChangeKind = {
  Added: 'added',
  Modified: 'modified',
  Removed: 'removed',
} as const;
export type ChangeKindName = (typeof ChangeKind)[keyof typeof ChangeKind];

/**
 * Where a change came from: `live` (new transactions on a connection) or `history` (the backfill
 * after a user links a bank). Live work never waits behind history.
 */
export const Lane = {
  Live: 'live',
  History: 'history',
} as const;
export type LaneName = (typeof Lane)[keyof typeof Lane];

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export const transactionChangeSchema = z.object({
  kind: z.enum([ChangeKind.Added, ChangeKind.Modified, ChangeKind.Removed]),
  /**
   * Orders the versions of one transaction: higher wins. Assigned by the crawler per connection,
   * increasing across every sync of that connection (persisted with the connection's cursor), so a
   * redelivery or a replay of an older version never overwrites a newer one.
   */
  revision: z.number().int().nonnegative().safe(),
  /** The linked connection (aggregator item) the change was synced from. */
  connectionId: z.string().regex(ID, 'connectionId must be 1 to 64 characters of [A-Za-z0-9_-]'),
  lane: z.enum([Lane.Live, Lane.History]),
  /** On a posted transaction: the pending transaction it replaces. */
  pendingTransactionId: z.string().regex(ID, 'pendingTransactionId must be 1 to 64 characters of [A-Za-z0-9_-]').optional(),
});

export type TransactionChange = z.infer<typeof transactionChangeSchema>;

/** What a record without an envelope means: the first and only version of a transaction. */
export const IMPLICIT_CHANGE = { kind: ChangeKind.Added, revision: 0 } as const;

/** The change a record carries, or the implicit one of a record from before the envelope. */
export function changeOf(record: { readonly change?: TransactionChange | undefined }): Pick<TransactionChange, 'kind' | 'revision'> & Partial<TransactionChange> {
  return record.change ?? IMPLICIT_CHANGE;
}
