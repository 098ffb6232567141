/**
 * The analytics contract: where the raw archive and the enriched Parquet live in S3, how they are
 * partitioned, and their columns. Infra builds the Glue tables from these lists and the batch job
 * writes Parquet with exactly these columns, so Athena and the job cannot drift apart.
 */

/** One column of a Glue table, in Glue/Hive type syntax. */
export interface AnalyticsColumn {
  readonly name: string;
  readonly glueType: string;
  readonly description: string;
}

/** How a partition key's values are spelled in S3 keys, for Athena partition projection. */
export interface PartitionKey extends AnalyticsColumn {
  /** Inclusive range of the integer values, as Athena's `projection.<key>.range` wants it. */
  readonly range: readonly [number, number];
  /** Zero-padded width (`month=03`), Athena's `projection.<key>.digits`. */
  readonly digits: number;
}

/** Key prefix of the Firehose copy of the raw stream inside the raw archive bucket. */
export const RAW_ARCHIVE_PREFIX = 'raw/' as const;
/** Key prefix where Firehose puts records it could not deliver, by error type. */
export const RAW_ARCHIVE_ERROR_PREFIX = 'errors/' as const;
/** Key prefix of the enriched Parquet inside the analytics bucket. */
export const ENRICHED_PREFIX = 'enriched/' as const;
/** Key prefix in the analytics bucket where the batch job sets aside archive objects it cannot read. */
export const QUARANTINE_PREFIX = 'quarantine/' as const;
/** Extension Firehose gives archive objects (its `fileExtension`) and the local archiver copies. */
export const ARCHIVE_FILE_EXTENSION = '.ndjson.gz' as const;
/** Key prefix of Athena query results inside the analytics bucket. */
export const ATHENA_RESULTS_PREFIX = 'athena-results/' as const;

// Athena projects only the years in this range: widen it before 2100 rather than let new
// partitions go unseen.
const YEARS: readonly [number, number] = [2024, 2100];

function partition(name: string, description: string, range: readonly [number, number], digits: number): PartitionKey {
  return { name, glueType: 'string', description, range, digits };
}

/**
 * Columns of the raw archive: one JSON object per line, exactly the raw record the crawler put on
 * the raw stream (see `rawRecordSchema`). Money stays the broker's decimal string here.
 */
export const RAW_ARCHIVE_COLUMNS = [
  { name: 'v', glueType: 'int', description: 'Raw record format version.' },
  { name: 'ingestedAt', glueType: 'string', description: 'When the crawler accepted the line (ISO 8601, UTC).' },
  { name: 'source', glueType: 'struct<cursor:string,line:bigint>', description: 'Broker cursor and line number the record came from.' },
  { name: 'contentHash', glueType: 'string', description: 'sha256 prefix of the normalised transaction content.' },
  {
    name: 'transaction',
    glueType:
      'struct<transactionId:string,userId:string,accountId:string,bookedAt:string,amount:struct<value:string,currency:string>,merchant:struct<name:string,mcc:string>,description:string>',
    description: "The broker's transaction as received (unknown fields are not projected).",
  },
  {
    name: 'change',
    glueType: 'struct<kind:string,revision:bigint,connectionId:string,lane:string,pendingTransactionId:string>',
    description: 'Which version of the transaction this is (added, modified or removed, and its revision); absent on records from before the envelope: added at revision 0.',
  },
] as const satisfies readonly AnalyticsColumn[];

/** Firehose's time partitions of the raw archive: `raw/year=YYYY/month=MM/day=DD/hour=HH/`. */
export const RAW_ARCHIVE_PARTITIONS: readonly PartitionKey[] = [
  partition('year', 'UTC year Firehose received the record, four digits.', YEARS, 4),
  partition('month', 'UTC month, two digits (01-12).', [1, 12], 2),
  partition('day', 'UTC day of month, two digits (01-31).', [1, 31], 2),
  partition('hour', 'UTC hour, two digits (00-23).', [0, 23], 2),
];

/**
 * Columns of the enriched Parquet the batch job writes: one row per transaction and local day, at
 * its latest version, money in minor units, the model outputs, and the merchant enrichment. A
 * transaction removed at the bank keeps its row with `removed` true (its last version), so an
 * older version archived again later cannot bring it back: queries that count filter on
 * `NOT removed`. Order here is the Parquet column order.
 */
export const ENRICHED_COLUMNS = [
  { name: 'transaction_id', glueType: 'string', description: "The broker's transactionId; unique per local day (a transaction moved to another day is removed from the first)." },
  { name: 'user_id', glueType: 'string', description: 'The user the transaction belongs to.' },
  { name: 'account_id', glueType: 'string', description: "The user's account at the broker." },
  { name: 'booked_at', glueType: 'timestamp', description: 'Booking time, converted to UTC.' },
  { name: 'local_date', glueType: 'date', description: "Booking date in the offset the broker sent (the user's day)." },
  { name: 'weekday', glueType: 'int', description: 'ISO weekday of local_date: 1 is Monday, 7 is Sunday.' },
  { name: 'amount_minor', glueType: 'bigint', description: 'Amount in minor units of currency; negative is money out.' },
  { name: 'currency', glueType: 'string', description: 'ISO 4217 code.' },
  { name: 'spend_sign', glueType: 'string', description: "'debit' when money left the account, 'credit' when it came in." },
  { name: 'merchant_name', glueType: 'string', description: 'Merchant name as the broker sent it.' },
  { name: 'merchant_normalised', glueType: 'string', description: 'Merchant name lower-cased, with store numbers and noise removed.' },
  { name: 'brand', glueType: 'string', description: 'Brand the merchant belongs to, when known.' },
  { name: 'mcc', glueType: 'string', description: 'ISO 18245 merchant category code (4 digits), when sent.' },
  { name: 'mcc_description', glueType: 'string', description: 'Description of the merchant category code.' },
  { name: 'merchant_country', glueType: 'string', description: 'ISO 3166-1 alpha-2 country of the merchant, when known.' },
  { name: 'category', glueType: 'string', description: "The categoriser's class (one of CATEGORIES)." },
  { name: 'anomaly_score', glueType: 'double', description: 'In [0, 1]; higher is more unusual for this user.' },
  { name: 'is_anomaly', glueType: 'boolean', description: 'anomaly_score above the model threshold.' },
  { name: 'ingested_at', glueType: 'timestamp', description: 'When the crawler accepted the transaction (UTC).' },
  { name: 'revision', glueType: 'bigint', description: "The version's revision (the crawler's, per connection): the highest one archived is the row." },
  { name: 'removed', glueType: 'boolean', description: 'The transaction was removed at the bank (or moved to another day): count only rows where this is false.' },
  { name: 'pending_transaction_id', glueType: 'string', description: 'On a posted transaction: the pending one it replaces (that one is removed).' },
] as const satisfies readonly AnalyticsColumn[];

/** Hive partitions of the enriched Parquet: `enriched/year=YYYY/month=MM/day=DD/`, from local_date. */
export const ENRICHED_PARTITIONS: readonly PartitionKey[] = [
  partition('year', 'Year of local_date, four digits.', YEARS, 4),
  partition('month', 'Month of local_date, two digits (01-12).', [1, 12], 2),
  partition('day', 'Day of month of local_date, two digits (01-31).', [1, 31], 2),
];

export type EnrichedColumnName = (typeof ENRICHED_COLUMNS)[number]['name'];

/** The values a partition key takes in S3 keys, zero-padded (`month=03`). */
export function partitionValue(key: PartitionKey, value: number): string {
  if (!Number.isInteger(value) || value < key.range[0] || value > key.range[1]) {
    throw new RangeError(`partition ${key.name} must be a whole number in ${key.range[0]}..${key.range[1]}, got ${value}`);
  }
  return String(value).padStart(key.digits, '0');
}
