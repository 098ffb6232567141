/** The wall-clock time of a booking where it happened, read from `bookedAt`'s own offset. */
export interface LocalTime {
  readonly hour: number;
  readonly minute: number;
  /** 0 is Sunday, as `Date.getUTCDay`. */
  readonly weekday: number;
  readonly dayOfMonth: number;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/;

/**
 * Reads the local time straight from the string: the offset the broker sent is the one that
 * matters (a payment at 03:00 local is unusual whatever UTC says), and no time-zone database is
 * needed. `bookedAt` has been validated upstream; a malformed one reads as midnight, 1 January.
 */
export function localTime(bookedAt: string): LocalTime {
  const match = LOCAL.exec(bookedAt);
  if (!match) return { hour: 0, minute: 0, weekday: 4, dayOfMonth: 1 };
  const [, year, month, day, hour, minute] = match;
  const weekday = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).getUTCDay();
  return { hour: Number(hour), minute: Number(minute), weekday, dayOfMonth: Number(day) };
}
