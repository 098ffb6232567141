/**
 * Month and instant helpers of the view. A transaction is counted in the month of the user's LOCAL
 * booking date: the date part of `bookedAt`, which carries the user's offset (never converted to
 * UTC: `2026-11-30T23:30:00-05:00` is November for its user although it is December in UTC).
 */

// ISO 8601 with a mandatory offset, as the broker contract requires (shared/schemas/transaction.ts).
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** True when `bookedAt` is an ISO 8601 date-time with an offset that names a real instant. */
export function isBookedAt(bookedAt: string): boolean {
  return ISO_WITH_OFFSET.test(bookedAt) && !Number.isNaN(Date.parse(bookedAt));
}

/** True for `YYYY-MM` with a real month. */
export function isMonth(month: string): boolean {
  return MONTH.test(month);
}

/**
 * `YYYY-MM` of the user's local booking date. The date-time part of an ISO string with an offset
 * IS the local time at that offset, so no conversion is needed (and none may happen).
 */
export function localMonth(bookedAt: string): string {
  const match = ISO_WITH_OFFSET.exec(bookedAt);
  if (match === null) throw new RangeError(`bookedAt '${bookedAt}' is not ISO 8601 with an offset`);
  return `${match[1]}-${match[2]}`;
}

/** The booking instant in UTC with millisecond precision: the sortable time part of the keys. */
export function utcInstant(bookedAt: string): string {
  const ms = Date.parse(bookedAt);
  if (Number.isNaN(ms)) throw new RangeError(`bookedAt '${bookedAt}' is not a date`);
  return new Date(ms).toISOString();
}

/** Months since year 0 of `YYYY-MM`: what month arithmetic counts in. */
function monthIndex(month: string): number {
  const match = MONTH.exec(month);
  if (match === null) throw new RangeError(`'${month}' is not YYYY-MM`);
  return Number(match[1]) * 12 + Number(match[2]) - 1;
}

/** The month `count` months before `YYYY-MM` (1: the previous month). */
export function monthsBefore(month: string, count: number): string {
  const index = monthIndex(month) - count;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Every month from `first` to `last` (`YYYY-MM`), both included; empty when `last` is before `first`. */
export function monthRange(first: string, last: string): string[] {
  const span = monthIndex(last) - monthIndex(first);
  return Array.from({ length: Math.max(0, span + 1) }, (_, i) => monthsBefore(last, span - i));
}

/** The month before `YYYY-MM`. */
export function previousMonth(month: string): string {
  return monthsBefore(month, 1);
}

/**
 * `YYYY-MM` of an instant seen at a UTC offset in minutes (east positive), e.g. "this month" for a
 * user whose latest transaction was booked at `+01:00`.
 */
export function monthAt(instant: Date, offsetMinutes: number): string {
  return new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 7);
}

/** The UTC offset of a `bookedAt` string in minutes (east positive); 0 for `Z`. */
export function offsetMinutes(bookedAt: string): number {
  const match = /([+-])(\d{2}):(\d{2})$/.exec(bookedAt);
  if (match === null) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** The offsets a `bookedAt` may carry (the broker contract accepts up to ±14:00). */
const EARLIEST_OFFSET_MINUTES = -14 * 60;
const LATEST_OFFSET_MINUTES = 14 * 60;

/**
 * The months some user somewhere is in at `instant`, latest first: one month, or two around a
 * month's turn (it is already December in Kiribati while still November in Samoa).
 */
export function monthsAnywhere(instant: Date): string[] {
  const latest = monthAt(instant, LATEST_OFFSET_MINUTES);
  const earliest = monthAt(instant, EARLIEST_OFFSET_MINUTES);
  return latest === earliest ? [latest] : [latest, earliest];
}

/** Epoch seconds of the moment a month has ended at every offset (its last local midnight, at -14:00). */
export function monthEndEverywhere(month: string): number {
  if (!isMonth(month)) throw new RangeError(`'${month}' is not YYYY-MM`);
  const [year, mon] = month.split('-').map(Number) as [number, number];
  return Math.floor((Date.UTC(year, mon, 1) - EARLIEST_OFFSET_MINUTES * 60_000) / 1000);
}
