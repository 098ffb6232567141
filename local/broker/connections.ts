import { randomUUID } from 'node:crypto';
import { transactionStream } from '../../models/synthetic/index.js';
import { Random } from '../../models/synthetic/index.js';
import type { BrokerTransaction } from '../../shared/schemas/transaction.js';
import { DAY_MS } from '../../models/synthetic/calendar.js';
import { InvalidCursorError } from './errors.js';

/**
 * Linked connections as an aggregator keeps them (Plaid's items): each one a user's link to a
 * bank, with its own append-only change log that `sync` serves from a cursor per connection.
 *
 * A log entry is one change as the bank reported it: a transaction added, modified (same id,
 * other content) or removed. `sync` collapses a range of the log the way Plaid's
 * `/transactions/sync` does: each transaction at most once per answer, in the array of what the
 * range did to it, with its latest content.
 */

/** A transaction as `sync` serves it: the broker's line object, plus the pending fields. */
export type SyncTransaction = BrokerTransaction & {
  /** True while the bank reports it as pending (authorised, not posted). */
  readonly pending?: boolean;
  /** On a posted transaction: the pending one it replaces (which the same answer, or a later one, removes). */
  readonly pendingTransactionId?: string;
};

export type LogEntry =
  | { readonly kind: 'added' | 'modified'; readonly transaction: SyncTransaction }
  | { readonly kind: 'removed'; readonly transactionId: string };

/** One answer of `POST /v1/transactions/sync` (Plaid's field names for the envelope). */
export interface SyncAnswer {
  readonly added: readonly SyncTransaction[];
  readonly modified: readonly SyncTransaction[];
  readonly removed: readonly { readonly transactionId: string }[];
  readonly next_cursor: string;
  readonly has_more: boolean;
}

export interface Connection {
  readonly connectionId: string;
  readonly userId: string;
  /** When the user linked it (epoch ms): the start of the sign-up's time-to-insight clock. */
  readonly linkedAt: number;
  /** Transactions of the history job. */
  readonly historySize: number;
  /** When the history was in the log and announced (epoch ms); undefined while the job runs. */
  historyReadyAt: number | undefined;
  readonly log: LogEntry[];
}

const CURSOR_PREFIX = 's1';

/** `base64url("s1:<connectionId>:<offset>")`: a position in one connection's log. */
export function encodeSyncCursor(connectionId: string, offset: number): string {
  return Buffer.from(`${CURSOR_PREFIX}:${connectionId}:${offset}`, 'utf8').toString('base64url');
}

/** The offset a connection's cursor names; `InvalidCursorError` for anything else (another connection's cursor included). */
export function decodeSyncCursor(connectionId: string, cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^s1:([A-Za-z0-9_-]{1,64}):(0|[1-9]\d{0,12})$/.exec(text);
  if (m === null) throw new InvalidCursorError(cursor, 'not a sync cursor this broker issued');
  if (m[1] !== connectionId) throw new InvalidCursorError(cursor, `issued for connection ${m[1] ?? '?'}, not ${connectionId}`);
  return Number(m[2]);
}

/** Collapses a log range as Plaid's sync does: each id once, in the array of its net change, at its latest content. */
export function collapse(entries: readonly LogEntry[]): Pick<SyncAnswer, 'added' | 'modified' | 'removed'> {
  // First-seen order per id, so a re-read of a longer range keeps every id's place.
  const net = new Map<string, { addedHere: boolean; removed: boolean; latest: SyncTransaction | undefined }>();
  for (const entry of entries) {
    const id = entry.kind === 'removed' ? entry.transactionId : entry.transaction.transactionId;
    const state = net.get(id) ?? { addedHere: entry.kind === 'added', removed: false, latest: undefined };
    if (entry.kind === 'removed') state.removed = true;
    else state.latest = entry.transaction;
    net.set(id, state);
  }
  const added: SyncTransaction[] = [];
  const modified: SyncTransaction[] = [];
  const removed: { transactionId: string }[] = [];
  for (const [transactionId, state] of net) {
    if (state.removed) {
      // Added and removed inside the range: the client never saw it, so there is nothing to say.
      if (!state.addedHere) removed.push({ transactionId });
    } else if (state.latest !== undefined) (state.addedHere ? added : modified).push(state.latest);
  }
  return { added, modified, removed };
}

/** What one sandbox call does to a connection (Plaid's `/sandbox/transactions/...` in spirit). */
export interface LiveActivity {
  /** New posted transactions. */
  readonly add?: number;
  /** New pending transactions. */
  readonly pending?: number;
  /** Pending ones posted: a new id naming the pending one, often another amount; the pending one removed. */
  readonly post?: number;
  /** Posted ones whose amount the bank corrects (same date). */
  readonly modify?: number;
  /** Posted ones the bank withdraws. */
  readonly remove?: number;
}

/** Past margin for synthetic history: every line at least two days old, as the receiver expects. */
const PAST_MARGIN_DAYS = 2;
/** History spans at most this many days (24 months). */
const HISTORY_DAYS = 730;

/** The connections of one broker and their logs. */
export class ConnectionBook {
  private readonly connections = new Map<string, Connection>();
  private readonly random: Random;
  private liveCounter = 0;

  public constructor(private readonly seed: number) {
    this.random = new Random(seed, 0x434f4e4e);
  }

  public get(connectionId: string): Connection | undefined {
    return this.connections.get(connectionId);
  }

  public all(): readonly Connection[] {
    return [...this.connections.values()];
  }

  /** A new connection for a user; its history is made by `makeHistory` when the job finishes. */
  public link(userId: string, historySize: number, now: number = Date.now()): Connection {
    const connectionId = `conn-${randomUUID().slice(0, 13)}`;
    const connection: Connection = { connectionId, userId, linkedAt: now, historySize, historyReadyAt: undefined, log: [] };
    this.connections.set(connectionId, connection);
    return connection;
  }

  /** Appends the history (up to 24 months, oldest first) to the log and marks it ready. */
  public completeHistory(connection: Connection, now: number = Date.now()): number {
    const count = connection.historySize;
    // Spread the history over at most 24 months: the generator books about two a day per user.
    const users = Math.max(1, Math.ceil(count / (2 * HISTORY_DAYS)));
    const days = Math.ceil(count / (2 * users)) + PAST_MARGIN_DAYS;
    const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
    const generate = (startAt: Date) => [...transactionStream({ seed: this.seedOf(connection), count, users, startAt })];
    // The generator's pace varies with the seed and the weekdays: move the start back until the last booking is two days old.
    let back = days;
    let history = generate(new Date(today - back * DAY_MS));
    for (let tries = 0; tries < 20; tries += 1) {
      const overshoot = Math.max(...history.map((t) => Date.parse(t.broker.bookedAt)), 0) - (now - PAST_MARGIN_DAYS * DAY_MS);
      if (overshoot <= 0) break;
      back += Math.ceil(overshoot / DAY_MS) + 1;
      history = generate(new Date(today - back * DAY_MS));
    }
    history.forEach((t, i) => {
      connection.log.push({ kind: 'added', transaction: { ...t.broker, userId: connection.userId, accountId: `${connection.connectionId}-acct`, transactionId: `${connection.connectionId}-h${i}` } });
    });
    connection.historyReadyAt = now;
    return count;
  }

  /** Appends live changes; returns how many log entries it added. */
  public applyLive(connection: Connection, activity: LiveActivity, now: number = Date.now()): number {
    const before = connection.log.length;
    const bookedAt = new Date(now - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const fresh = (pending: boolean): SyncTransaction => {
      this.liveCounter += 1;
      const cents = 100 + Math.floor(this.random.next() * 9_900);
      return {
        transactionId: `${connection.connectionId}-l${this.liveCounter}`,
        userId: connection.userId,
        accountId: `${connection.connectionId}-acct`,
        bookedAt,
        amount: { value: `-${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`, currency: 'EUR' },
        merchant: { name: 'CORNER CAFE', mcc: '5814' },
        ...(pending ? { pending: true } : {}),
      } as SyncTransaction;
    };
    for (let i = 0; i < (activity.add ?? 0); i += 1) connection.log.push({ kind: 'added', transaction: fresh(false) });
    for (let i = 0; i < (activity.pending ?? 0); i += 1) connection.log.push({ kind: 'added', transaction: fresh(true) });
    const state = this.standing(connection);
    const pendings = [...state.values()].filter((t) => t.pending === true);
    for (const pending of pendings.slice(0, activity.post ?? 0)) {
      // A tip or a currency settlement: the posted amount differs from the authorised one.
      const posted = fresh(false);
      const tip = (Number(pending.amount.value) * 1.1).toFixed(2);
      connection.log.push({ kind: 'added', transaction: { ...posted, bookedAt: pending.bookedAt, amount: { value: tip, currency: pending.amount.currency }, pendingTransactionId: pending.transactionId } });
      connection.log.push({ kind: 'removed', transactionId: pending.transactionId });
    }
    const posted = [...state.values()].filter((t) => t.pending !== true);
    for (const t of posted.slice(Math.max(0, posted.length - (activity.modify ?? 0)))) {
      const value = (Number(t.amount.value) - 1).toFixed(2);
      connection.log.push({ kind: 'modified', transaction: { ...t, amount: { value, currency: t.amount.currency } } });
    }
    const removable = [...this.standing(connection).values()].filter((t) => t.pending !== true);
    for (const t of removable.slice(0, activity.remove ?? 0)) connection.log.push({ kind: 'removed', transactionId: t.transactionId });
    return connection.log.length - before;
  }

  /** One sync answer from a cursor (null: from the beginning). */
  public sync(connection: Connection, cursor: string | null, count: number): SyncAnswer {
    const offset = cursor === null || cursor === '' ? 0 : decodeSyncCursor(connection.connectionId, cursor);
    if (offset > connection.log.length) throw new InvalidCursorError(cursor ?? '', 'past the end of this connection');
    const end = Math.min(offset + count, connection.log.length);
    return { ...collapse(connection.log.slice(offset, end)), next_cursor: encodeSyncCursor(connection.connectionId, end), has_more: end < connection.log.length };
  }

  /** Every transaction standing now, by id (the ground truth tests and the runner compare with). */
  public standing(connection: Connection): Map<string, SyncTransaction> {
    const state = new Map<string, SyncTransaction>();
    for (const entry of connection.log) {
      if (entry.kind === 'removed') state.delete(entry.transactionId);
      else state.set(entry.transaction.transactionId, entry.transaction);
    }
    return state;
  }

  private seedOf(connection: Connection): number {
    let h = this.seed;
    for (const c of connection.connectionId) h = (h * 31 + c.charCodeAt(0)) | 0;
    return Math.abs(h) + 1;
  }
}
