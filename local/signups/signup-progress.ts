import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ConnectionInfo, SyncBrokerHandle } from '../broker/index.js';
import { parseDecimalToMinor } from '../../shared/money.js';
import { readUserMonths } from '../../shared/view/scan-view.js';
import type { UserMonth, ViewContents } from '../../shared/view/scan-view.js';
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

/**
 * The sign-ups that are whole in the view, with their time to insight: a sign-up is whole when the
 * view (as the read model collapses it) shows every transaction standing on its connection at the
 * broker, with the amount the broker has now, and nothing else of that connection; month totals are
 * sums of what is shown, so they are then right too. Its time to insight is the last of those
 * transactions' `viewedAt` minus the moment of the link.
 */
export function wholeSignups(view: Pick<ViewContents, 'transactions'>, broker: SyncBrokerHandle, linked: readonly ConnectionInfo[]): Map<string, { ms: number; transactions: number }> {
  const shownByUser = new Map<string, Map<string, { minor: number; viewedAt: number }>>();
  for (const t of view.transactions) {
    let shown = shownByUser.get(t.userId);
    if (shown === undefined) shownByUser.set(t.userId, (shown = new Map()));
    shown.set(t.transactionId, { minor: t.amount.minor, viewedAt: Date.parse(t.viewedAt) });
  }
  const whole = new Map<string, { ms: number; transactions: number }>();
  for (const connection of linked) {
    const standing = broker.standing(connection.connectionId);
    const shown = shownByUser.get(connection.userId) ?? new Map<string, { minor: number; viewedAt: number }>();
    const ofConnection = [...shown.keys()].filter((id) => id.startsWith(`${connection.connectionId}-`));
    const complete =
      standing.length > 0 &&
      ofConnection.length === standing.length &&
      standing.every((t) => shown.get(t.transactionId)?.minor === parseDecimalToMinor(t.amount.value, t.amount.currency).minor);
    if (complete) whole.set(connection.connectionId, { ms: Math.max(...standing.map((t) => shown.get(t.transactionId)?.viewedAt ?? 0)) - connection.linkedAt, transactions: standing.length });
  }
  return whole;
}

/** Time to insight of the sign-ups from their whole ones (see `wholeSignups`). */
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
    const transactions = pending.flatMap((c) => (monthsOf.get(c.connectionId) ?? []).flatMap((m) => this.wholeMonths.get(keyOf(c.userId, m)) ?? fresh.get(keyOf(c.userId, m)) ?? []));
    for (const [connectionId, figure] of wholeSignups({ transactions }, this.broker, pending)) this.whole.set(connectionId, figure);
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
