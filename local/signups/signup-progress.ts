import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ConnectionInfo, SyncBrokerHandle } from '../broker/index.js';
import { parseDecimalToMinor } from '../../shared/money.js';
import { readUserMonths } from '../../shared/view/scan-view.js';
import type { UserMonth } from '../../shared/view/scan-view.js';
import { localMonth, monthRange } from '../../shared/view/months.js';
import type { LiveVersion } from '../../shared/view/version.js';
import { percentiles } from '../runner/stats.js';

/** Time to insight of the sign-ups: from link to the whole history in the view. */
export interface SignupFigures {
  /** Sign-ups whose every transaction (and so every month total) the view shows at its latest version. */
  readonly count: number;
  /** Linked, but not whole in the view (yet). */
  readonly incomplete: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Transactions of the complete sign-ups. */
  readonly transactions: number;
}

/** Time to insight of the sign-ups from their whole ones (see `SignupProgress`). */
export function signupFigures(whole: ReadonlyMap<string, { ms: number; transactions: number }>, linked: number): SignupFigures {
  const times = [...whole.values()].map((w) => w.ms);
  const p = percentiles(times);
  const transactions = [...whole.values()].reduce((n, w) => n + w.transactions, 0);
  return { count: times.length, incomplete: linked - times.length, p50Ms: p.p50, p95Ms: p.p95, maxMs: p.max, transactions };
}

const keyOf = (userId: string, month: string): string => `${userId}\u0000${month}`;

/**
 * Sign-ups' progress into the view, poll after poll, reading each user-month only until it is
 * whole: every transaction standing on the user's connections in that month is shown at the amount
 * the broker has now, and nothing else of those connections is. A month found whole keeps what it
 * showed, and a sign-up found whole keeps its time (the last `viewedAt` of its history minus the
 * link, not when a poll saw it), so a poll reads only what may still change. The reads are the
 * measurement's own, and on a small machine each one takes the store's CPU from the pipeline
 * being measured: at full size a poll of every month of every sign-up read about ten times the
 * items the sign-ups brought.
 *
 * A month seen whole is not read again: a later amendment of it is not followed. That is what the
 * figure means: time to the first moment the whole history was in the view.
 */
export class SignupProgress {
  private readonly wholeMonths = new Map<string, readonly LiveVersion[]>();
  private readonly whole = new Map<string, { ms: number; transactions: number }>();

  public constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly broker: SyncBrokerHandle,
  ) {}

  /** Reads the months not yet whole of the sign-ups not yet whole, and returns the figures of all of `linked`. */
  public async poll(linked: readonly ConnectionInfo[]): Promise<SignupFigures> {
    const pending = linked.filter((c) => !this.whole.has(c.connectionId));
    const monthsOf = new Map(pending.map((c) => [c.connectionId, this.monthsOf(c)]));
    const toRead = new Map<string, UserMonth>();
    for (const connection of pending) {
      for (const month of monthsOf.get(connection.connectionId) ?? []) {
        const key = keyOf(connection.userId, month);
        if (!this.wholeMonths.has(key)) toRead.set(key, { userId: connection.userId, month });
      }
    }
    const view = await readUserMonths(this.dynamodb, this.tableName, [...toRead.values()]);
    const fresh = new Map<string, LiveVersion[]>();
    for (const t of view.transactions) {
      const key = keyOf(t.userId, localMonth(t.bookedAt));
      const list = fresh.get(key) ?? [];
      list.push(t);
      fresh.set(key, list);
    }
    for (const [key, { userId, month }] of toRead) {
      const shown = fresh.get(key) ?? [];
      if (this.monthWhole(pending.filter((c) => c.userId === userId), month, shown)) this.wholeMonths.set(key, shown);
    }
    // A sign-up is whole when every month of its history is: its time is the last write of its transactions.
    for (const connection of pending) {
      const months = (monthsOf.get(connection.connectionId) ?? []).map((m) => this.wholeMonths.get(keyOf(connection.userId, m)));
      if (months.length === 0 || months.some((m) => m === undefined)) continue;
      const own = months.flatMap((m) => m ?? []).filter((t) => t.transactionId.startsWith(`${connection.connectionId}-`));
      this.whole.set(connection.connectionId, { ms: Math.max(...own.map((t) => Date.parse(t.viewedAt))) - connection.linkedAt, transactions: own.length });
    }
    return signupFigures(this.whole, linked.length);
  }

  /** Each local month from the first to the last transaction standing on the connection (a stray item in a month between is seen too). */
  private monthsOf(connection: ConnectionInfo): string[] {
    const months = this.broker
      .standing(connection.connectionId)
      .map((t) => localMonth(t.bookedAt))
      .sort();
    return months.length === 0 ? [] : monthRange(months[0]!, months[months.length - 1]!);
  }

  private monthWhole(connections: readonly ConnectionInfo[], month: string, shown: readonly LiveVersion[]): boolean {
    const shownById = new Map(shown.map((t) => [t.transactionId, t.amount.minor]));
    return connections.every((connection) => {
      const standing = this.broker.standing(connection.connectionId).filter((t) => localMonth(t.bookedAt) === month);
      const ofConnection = shown.filter((t) => t.transactionId.startsWith(`${connection.connectionId}-`));
      return ofConnection.length === standing.length && standing.every((t) => shownById.get(t.transactionId) === parseDecimalToMinor(t.amount.value, t.amount.currency).minor);
    });
  }
}
