/**
 * The Kinesis partition key of every record on the raw streams, and of each packed record on the
 * results streams (its first result's; see `scored-results-record.ts`): `<userId>#<YYYY-MM>`,
 * the user and the local month of the version the record carries (the date part of `bookedAt`,
 * which keeps the user's offset).
 *
 * Why not `userId` alone: a user who links a bank brings up to 24 months of history at once. On
 * one key that history lands on one shard, which takes 1,000 records/s at most and is shared with
 * every other user's live records hashed there: a 2,400-transaction sign-up would hold that shard
 * for 2.4 s at best. Keyed by user and month, the same history spreads over every shard.
 *
 * What is kept: raw records of one user and month land on one shard (results of one user and
 * month may not: a packed record carries many users' results, and the view does not need them
 * together, as totals are summed on read). Order is not kept and not needed, within a key (the
 * crawlers and the scorer put a key's records many to a call, and PutRecords keeps no order
 * between entries) or across months and users: every record carries its change envelope, and the
 * view keeps each transaction at its highest `revision` whatever order the versions arrive in (see
 * `transaction-change.ts`).
 */

/** Kinesis allows partition keys of up to 256 characters; ids are at most 64, months 7. */
const MONTH = /^\d{4}-\d{2}/;

export function streamPartitionKey(transaction: { readonly userId: string; readonly bookedAt: string }): string {
  const month = MONTH.exec(transaction.bookedAt)?.[0];
  // A record reaching a producer has passed validation, so bookedAt starts with a date; the
  // fallback only keeps a malformed one on its user's key instead of throwing deep in a producer.
  return month === undefined ? transaction.userId : `${transaction.userId}#${month}`;
}
