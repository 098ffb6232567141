import { InvalidCursorError } from './errors.js';

/**
 * The broker's cursor: opaque to clients, `base64url("v1:<offset>")` inside, where `<offset>` is
 * the index of the next line to serve. A cursor always names a position, never a page, so the
 * same cursor asked with another `limit` starts at the same line, and `(cursor, line)` pins one
 * line for good (the crawler's reject ids rely on that).
 */
const PREFIX = 'v1:';
const OFFSET = /^(0|[1-9]\d{0,15})$/;

export function encodeCursor(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`cursor offset must be a whole number >= 0, got ${offset}`);
  return Buffer.from(`${PREFIX}${offset}`, 'utf8').toString('base64url');
}

/** The offset a cursor names; throws `InvalidCursorError` for anything this broker did not issue. */
export function decodeCursor(cursor: string): number {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) throw new InvalidCursorError(cursor, 'not a cursor this broker issued');
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const digits = text.slice(PREFIX.length);
  if (!text.startsWith(PREFIX) || !OFFSET.test(digits) || !Number.isSafeInteger(Number(digits))) throw new InvalidCursorError(cursor, 'not a cursor this broker issued');
  return Number(digits);
}
