/**
 * Local time for the synthetic users: offsets with the EU and UK daylight-saving rules, so that
 * `bookedAt` carries the offset a real bank would send (`+01:00` in winter, `+02:00` in summer).
 */

/** Time zones the generator uses. `FIXED` zones keep one offset all year (a simplification). */
export type Zone =
  | { readonly kind: 'eu'; readonly standardMinutes: number }
  | { readonly kind: 'fixed'; readonly minutes: number };

export const DAY_MS = 24 * 60 * 60 * 1000;

/** EU summer time runs from the last Sunday of March to the last Sunday of October, 01:00 UTC. */
function lastSundayUtc(year: number, monthIndex: number): number {
  const lastDay = Date.UTC(year, monthIndex + 1, 0);
  const weekday = new Date(lastDay).getUTCDay();
  return lastDay - weekday * DAY_MS + 60 * 60 * 1000;
}

/** The zone's offset from UTC, in minutes, at instant `utcMs`. */
export function offsetMinutes(zone: Zone, utcMs: number): number {
  if (zone.kind === 'fixed') return zone.minutes;
  const year = new Date(utcMs).getUTCFullYear();
  const summer = utcMs >= lastSundayUtc(year, 2) && utcMs < lastSundayUtc(year, 9);
  return zone.standardMinutes + (summer ? 60 : 0);
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `2026-11-25T10:15:00+01:00`: the instant written in local time with its offset. */
export function formatLocal(utcMs: number, offset: number): string {
  const local = new Date(utcMs + offset * 60 * 1000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** The UTC instant of a local wall-clock time on the local calendar day that starts at `dayUtcMs`. */
export function localToUtc(zone: Zone, dayUtcMs: number, minuteOfDay: number): { utcMs: number; offset: number } {
  // Take the offset at local noon: a generated event never lands in the DST gap in a way that matters.
  const offset = offsetMinutes(zone, dayUtcMs + 12 * 60 * 60 * 1000);
  return { utcMs: dayUtcMs + minuteOfDay * 60 * 1000 - offset * 60 * 1000, offset };
}

export const MONTH_NAMES = {
  en: ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'],
  nl: ['JANUARI', 'FEBRUARI', 'MAART', 'APRIL', 'MEI', 'JUNI', 'JULI', 'AUGUSTUS', 'SEPTEMBER', 'OKTOBER', 'NOVEMBER', 'DECEMBER'],
  de: ['JANUAR', 'FEBRUAR', 'MAERZ', 'APRIL', 'MAI', 'JUNI', 'JULI', 'AUGUST', 'SEPTEMBER', 'OKTOBER', 'NOVEMBER', 'DEZEMBER'],
  fr: ['JANVIER', 'FEVRIER', 'MARS', 'AVRIL', 'MAI', 'JUIN', 'JUILLET', 'AOUT', 'SEPTEMBRE', 'OCTOBRE', 'NOVEMBRE', 'DECEMBRE'],
} as const;

export type Language = keyof typeof MONTH_NAMES;
