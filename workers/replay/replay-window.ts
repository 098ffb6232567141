import { hourPrefixesBetween, parseArchiveKey } from '../../shared/archive/archive-key.js';
import { ReplayOptionError } from './errors.js';

/** A replay window: archive objects whose oldest record arrived in [from, to). */
export interface ReplayWindow {
  readonly from: Date;
  readonly to: Date;
}

// ISO 8601 with a time and a zone, so a window never depends on the machine's time zone.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses `--from` and `--to`; throws `ReplayOptionError` naming the bad one. */
export function parseWindow(from: string | undefined, to: string | undefined): ReplayWindow {
  const parse = (name: string, value: string | undefined): Date => {
    if (value === undefined || value === '') throw new ReplayOptionError(`--${name}`, 'is required (ISO 8601 with a zone, like 2026-11-25T10:00:00Z)');
    if (!ISO.test(value) || Number.isNaN(Date.parse(value))) throw new ReplayOptionError(`--${name}`, `must be ISO 8601 with a zone, like 2026-11-25T10:00:00Z, got '${value}'`);
    return new Date(value);
  };
  const window = { from: parse('from', from), to: parse('to', to) };
  if (window.to.getTime() <= window.from.getTime()) throw new ReplayOptionError('--to', `must be after --from (${window.from.toISOString()})`);
  return window;
}

/** The hour partitions (`raw/year=/month=/day=/hour=/`) that can hold objects of the window. */
export function windowPrefixes(window: ReplayWindow, prefix?: string): string[] {
  // `to` is exclusive: an object stamped exactly at `to` belongs to the next window.
  return hourPrefixesBetween(window.from, new Date(window.to.getTime() - 1), prefix);
}

/**
 * Whether an archive object belongs to the window, by the time in its name (its oldest record's
 * arrival, to the second; Firehose's own stamp, so windows are exact and never overlap).
 */
export function inWindow(key: string, window: ReplayWindow): boolean {
  const parsed = parseArchiveKey(key);
  if (parsed === undefined) return false;
  const t = parsed.timestamp.getTime();
  return t >= window.from.getTime() && t < window.to.getTime();
}
