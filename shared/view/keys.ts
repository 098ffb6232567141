import { utcInstant } from './months.js';

/**
 * The view table's keys (catalog `view`: partition key `pk` S, sort key `sk` S). Part of the
 * stored data: never change one without migrating the table.
 *
 * | key  | value                                                        |
 * |------|--------------------------------------------------------------|
 * | `pk` | `USER#<userId>#<YYYY-MM>`: a user's local month              |
 * | `sk` | `TXN#<bookedAt as UTC ISO ms>#<transactionId>#<revision>`    |
 *
 * One item per version of a transaction, so a write never has to read or condition on what is
 * there: the same version always lands on the same key (a replay or a redelivery rewrites it
 * unchanged) and a newer version lands beside the older one, to be collapsed on read. The month in
 * the partition key spreads a user's history over one key per month (a sign-up's 24 months of
 * history are 24 keys, each under DynamoDB's 1,000 WRU/s per key), and a month's items (which its
 * totals are computed from) are one Query. The instant in the sort key keeps a month's items in
 * booking order with two spellings of one instant (`+01:00`, `Z`) on one key.
 *
 * Ids are `[A-Za-z0-9_-]{1,64}` (the broker contract), so `#` separates the parts unambiguously.
 */
export const KeyPrefix = {
  User: 'USER#',
  Transaction: 'TXN#',
} as const;

const SEPARATOR = '#';

/** The partition key of a user's local month. */
export function userMonthPk(userId: string, month: string): string {
  return `${KeyPrefix.User}${userId}${SEPARATOR}${month}`;
}

/** The sort key of one version of a transaction. */
export function versionSk(bookedAt: string, transactionId: string, revision: number): string {
  return `${KeyPrefix.Transaction}${utcInstant(bookedAt)}${SEPARATOR}${transactionId}${SEPARATOR}${revision}`;
}

/** The user and month a partition key names, or undefined for a key the view did not write. */
export function parseUserMonthPk(pk: string): { readonly userId: string; readonly month: string } | undefined {
  if (!pk.startsWith(KeyPrefix.User)) return undefined;
  const rest = pk.slice(KeyPrefix.User.length);
  const at = rest.lastIndexOf(SEPARATOR);
  if (at <= 0) return undefined;
  return { userId: rest.slice(0, at), month: rest.slice(at + 1) };
}

/** The instant, transaction and revision a sort key names, or undefined for a key the view did not write. */
export function parseVersionSk(sk: string): { readonly bookedAtUtc: string; readonly transactionId: string; readonly revision: number } | undefined {
  if (!sk.startsWith(KeyPrefix.Transaction)) return undefined;
  const parts = sk.slice(KeyPrefix.Transaction.length).split(SEPARATOR);
  if (parts.length !== 3) return undefined;
  const [bookedAtUtc, transactionId, revision] = parts as [string, string, string];
  if (transactionId === '' || !/^\d+$/.test(revision)) return undefined;
  return { bookedAtUtc, transactionId, revision: Number(revision) };
}
