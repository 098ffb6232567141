import { readFile } from 'node:fs/promises';
import { transactionStream } from '../../models/synthetic/index.js';
import type { LabelledTransaction } from '../../models/synthetic/index.js';
import { DAY_MS } from '../../models/synthetic/calendar.js';
import { DEFAULT_GENERATE_OPTIONS } from '../../models/synthetic/index.js';

/**
 * What the broker serves: lines as bytes, so a file reaches the client exactly as written (even
 * bytes that are not UTF-8), plus the generator's labels when the lines are synthetic.
 */
export interface BrokerSource {
  readonly kind: 'synthetic' | 'file' | 'lines';
  readonly lines: readonly Buffer[];
  /** Synthetic sources only: line i is `transactions[i].broker`, with its label. */
  readonly transactions?: readonly LabelledTransaction[];
}

const NEWLINE = 0x0a;

/** Splits on `\n` only; a final newline ends the last line rather than starting an empty one. */
export function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, start)) {
    lines.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

export async function fileSource(path: string): Promise<BrokerSource> {
  return { kind: 'file', lines: splitLines(await readFile(path)) };
}

export function linesSource(lines: readonly string[]): BrokerSource {
  return { kind: 'lines', lines: lines.map((line) => Buffer.from(line, 'utf8')) };
}

/** Margin between the last synthetic line and now: the receiver allows one day ahead, we keep two behind. */
const PAST_MARGIN_DAYS = 2;

/**
 * A start day early enough that `records` lines (about two per user per day) all lie in the past,
 * as a live broker's would.
 */
export function defaultStartAt(records: number, users: number, now: Date = new Date()): Date {
  const days = Math.ceil(records / (2 * users)) + PAST_MARGIN_DAYS;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - days * DAY_MS);
}

export function syntheticSource(options: { records: number; seed: number; users?: number; startAt?: Date | string }): BrokerSource {
  const users = options.users ?? DEFAULT_GENERATE_OPTIONS.users;
  const startAt = options.startAt ?? defaultStartAt(options.records, users);
  const transactions = [...transactionStream({ seed: options.seed, count: options.records, users, startAt })];
  return { kind: 'synthetic', lines: transactions.map((t) => Buffer.from(JSON.stringify(t.broker), 'utf8')), transactions };
}
