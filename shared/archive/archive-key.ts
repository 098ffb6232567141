import { ARCHIVE_FILE_EXTENSION, RAW_ARCHIVE_PARTITIONS, RAW_ARCHIVE_PREFIX, partitionValue } from '../analytics-schema.js';
import type { PartitionKey } from '../analytics-schema.js';
import { LANE_STREAMS, PROJECT, assertStackName } from '../catalog.js';

/**
 * The raw archive's key layout, as Firehose writes it with the prefix infra sets:
 * `raw/year=YYYY/month=MM/day=DD/hour=HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>`.
 * The time in both the prefix and the name is the approximate arrival time of the oldest record in
 * the object, in UTC. The local archiver writes these keys; the batch job and replay read them, so
 * they live in one place.
 */

/** Firehose numbers a delivery stream's configuration versions from 1. */
export const FIREHOSE_FIRST_VERSION = 1;
/**
 * The extension infra gives the delivery stream (`fileExtension` in infra/components/raw-archive.ts).
 * Without one, Firehose appends `.gz` for GZIP; readers accept both.
 */
export { ARCHIVE_FILE_EXTENSION };

/** The raw stream of each lane: each has a delivery stream of its own (Firehose takes one Kinesis source). */
export type ArchivedStream = (typeof LANE_STREAMS)[keyof typeof LANE_STREAMS]['raw'];

/**
 * `realtime-insights-<stack>-raw-archive` (the live lane's) and `realtime-insights-<stack>-raw-history-archive`:
 * the delivery stream names objects carry. Both write under the same prefix; the name in each
 * object's key keeps them apart.
 */
export function deliveryStreamName(stack: string, stream: ArchivedStream = LANE_STREAMS.live.raw): string {
  assertStackName(stack);
  return stream === LANE_STREAMS.live.raw ? `${PROJECT}-${stack}-raw-archive` : `${PROJECT}-${stack}-raw-history-archive`;
}

const [YEAR, MONTH, DAY, HOUR] = RAW_ARCHIVE_PARTITIONS as readonly [PartitionKey, PartitionKey, PartitionKey, PartitionKey];

/** `raw/year=2026/month=11/day=25/hour=09/`: the hour partition of a UTC instant. */
export function archiveHourPrefix(at: Date, prefix: string = RAW_ARCHIVE_PREFIX): string {
  return (
    `${prefix}${YEAR.name}=${partitionValue(YEAR, at.getUTCFullYear())}/${MONTH.name}=${partitionValue(MONTH, at.getUTCMonth() + 1)}/` +
    `${DAY.name}=${partitionValue(DAY, at.getUTCDate())}/${HOUR.name}=${partitionValue(HOUR, at.getUTCHours())}/`
  );
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-25-09-05-07`: Firehose's timestamp in object names (UTC, second precision). */
export function nameTimestamp(at: Date): string {
  return `${at.getUTCFullYear()}-${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())}-${two(at.getUTCHours())}-${two(at.getUTCMinutes())}-${two(at.getUTCSeconds())}`;
}

export interface ArchiveKeyParts {
  readonly deliveryStreamName: string;
  /** Arrival time of the oldest record in the object. */
  readonly oldestArrival: Date;
  readonly uuid: string;
  /** @default 1 */
  readonly version?: number;
  /** @default 'raw/' (RAW_ARCHIVE_PREFIX) */
  readonly prefix?: string;
  /** @default '.ndjson.gz' */
  readonly extension?: string;
}

/** The full key of an archive object. */
export function archiveObjectKey(parts: ArchiveKeyParts): string {
  const version = parts.version ?? FIREHOSE_FIRST_VERSION;
  return `${archiveHourPrefix(parts.oldestArrival, parts.prefix)}${parts.deliveryStreamName}-${version}-${nameTimestamp(parts.oldestArrival)}-${parts.uuid}${parts.extension ?? ARCHIVE_FILE_EXTENSION}`;
}

/** What an archive key says about its object. */
export interface ParsedArchiveKey {
  readonly hourPrefix: string;
  readonly deliveryStreamName: string;
  readonly version: number;
  /** The name's timestamp: the oldest record's arrival, to the second. */
  readonly timestamp: Date;
  readonly uuid: string;
}

const KEY =
  /^(.*year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\/)(.+)-(\d+)-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\.[a-z0-9]+)*$/;

/** Parses a key Firehose (or the local archiver) wrote; undefined for any other key. */
export function parseArchiveKey(key: string): ParsedArchiveKey | undefined {
  const m = KEY.exec(key);
  if (m === null) return undefined;
  const [, hourPrefix, py, pm, pd, ph, stream, version, y, mo, d, h, mi, s, uuid] = m as unknown as string[];
  // A name whose time disagrees with its partition was not written by Firehose's rules.
  if (py !== y || pm !== mo || pd !== d || ph !== h) return undefined;
  const timestamp = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (Number.isNaN(timestamp.getTime()) || nameTimestamp(timestamp) !== `${y}-${mo}-${d}-${h}-${mi}-${s}`) return undefined;
  return { hourPrefix: hourPrefix!, deliveryStreamName: stream!, version: Number(version), timestamp, uuid: uuid! };
}

/** Every hour partition prefix from the hour of `from` to the hour of `to`, inclusive. */
export function hourPrefixesBetween(from: Date, to: Date, prefix: string = RAW_ARCHIVE_PREFIX): string[] {
  const out: string[] = [];
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate(), from.getUTCHours());
  for (let t = start; t <= to.getTime(); t += 3_600_000) out.push(archiveHourPrefix(new Date(t), prefix));
  return out;
}
