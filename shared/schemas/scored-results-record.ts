import type { ScoredResult } from './scored-result.js';
import { streamPartitionKey } from './stream-partition-key.js';

/**
 * A results-stream record carrying several results, the way the Kinesis Producer Library
 * aggregates user records (without its protobuf framing): `{"v":2,"results":[<result>, ...]}`,
 * each element a `ScoredResult` exactly as a single record (version 1) carries it.
 *
 * Why: a result is about 700 bytes, and on the results stream every record costs per record, not
 * per byte: a PUT payload unit per record of up to 25 KB on AWS, one of a shard's 1,000 records/s,
 * and in every caller, front and emulator a parse, a sequence number and a store entry. Packed,
 * about 35 results share each of those.
 *
 * What is kept: every result is checked and written on its own (a malformed one is rejected alone,
 * its place named by the record's sequence number and its `subSequenceNumber`, as the KCL names a
 * user record in an aggregate). What changes: a packed record is keyed by its first result's
 * partition key, so results of one user and month no longer share a shard. Nothing depends on
 * that: the view keeps each transaction at its highest revision whatever order or shard its
 * versions arrive by (`shared/view/README.md`). Version 1 records are still read (replays of
 * older records, a scorer of the previous release during a rolling deploy).
 */
export const SCORED_RESULTS_RECORD_VERSION = 2 as const;

/**
 * Data of a packed record: one PUT payload unit (25 KB), less room for the partition key (at most
 * 256 characters), which Kinesis counts in a record's size with the data.
 */
export const RESULTS_RECORD_MAX_BYTES = 25 * 1024 - 256;

const HEAD = `{"v":${SCORED_RESULTS_RECORD_VERSION},"results":[`;
const TAIL = ']}';
const ENVELOPE_BYTES = HEAD.length + TAIL.length;

/** One record to put: its data, its partition key, and which of the packed results it carries. */
export interface PackedResults {
  readonly data: string;
  readonly partitionKey: string;
  /** Index of its first result in the list given to `packScoredResults`. */
  readonly first: number;
  readonly count: number;
}

/**
 * The results in order, as records of at most `maxBytes` each (a result larger than that alone
 * goes in a record of its own, which the producer refuses only past Kinesis' 1 MiB).
 */
export function packScoredResults(results: readonly ScoredResult[], maxBytes: number = RESULTS_RECORD_MAX_BYTES): PackedResults[] {
  const records: PackedResults[] = [];
  let pieces: string[] = [];
  let bytes = ENVELOPE_BYTES;
  let first = 0;
  const flush = (end: number): void => {
    if (pieces.length === 0) return;
    records.push({ data: `${HEAD}${pieces.join(',')}${TAIL}`, partitionKey: streamPartitionKey(results[first] as ScoredResult), first, count: end - first });
    pieces = [];
    bytes = ENVELOPE_BYTES;
    first = end;
  };
  results.forEach((result, index) => {
    const piece = JSON.stringify(result);
    const size = Buffer.byteLength(piece, 'utf8');
    // The comma before every piece but a record's first.
    if (pieces.length > 0 && bytes + 1 + size > maxBytes) flush(index);
    bytes += (pieces.length === 0 ? 0 : 1) + size;
    pieces.push(piece);
  });
  flush(results.length);
  return records;
}

/** What one results-stream record holds: each result as parsed JSON, not yet checked. */
export interface UnpackedResults {
  /** A version 2 record (its results named by `subSequenceNumber`), or a single result. */
  readonly packed: boolean;
  readonly values: readonly unknown[];
}

/** The results a record carries; throws `SyntaxError` when its bytes are not JSON. */
export function unpackScoredResults(data: Uint8Array): UnpackedResults {
  const value: unknown = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  if (typeof value === 'object' && value !== null && (value as { v?: unknown }).v === SCORED_RESULTS_RECORD_VERSION && Array.isArray((value as { results?: unknown }).results)) {
    return { packed: true, values: (value as { results: unknown[] }).results };
  }
  return { packed: false, values: [value] };
}
