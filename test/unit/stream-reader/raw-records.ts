import type { KinesisRecord } from '../../../shared/kinesis/index.js';
import type { RawRecord } from '../../../shared/schemas/raw-record.js';
import { normaliseBrokerTransaction, transactionContentHash } from '../../../shared/schemas/transaction.js';
import { brokerTransaction } from '../../helpers/factories.js';

/** A raw-stream envelope around a broker transaction, as the crawler writes it. */
export function rawRecord(overrides: Record<string, unknown> = {}, line = 0): RawRecord {
  const transaction = brokerTransaction(overrides) as RawRecord['transaction'];
  let contentHash = 'not-normalisable';
  try {
    contentHash = transactionContentHash(normaliseBrokerTransaction(transaction, new Date('2026-11-21T00:00:00Z')));
  } catch {
    // A record built to fail normalisation (the scorer's unscorable case) keeps a placeholder hash.
  }
  return { v: 1, ingestedAt: '2026-11-20T09:15:00.000Z', source: { cursor: null, line }, contentHash, transaction };
}

/** A Kinesis record as the consumer hands it over, with the given data and a sequence number. */
export function kinesisRecord(data: string | Uint8Array, sequenceNumber: string, partitionKey = 'user-1'): KinesisRecord {
  return {
    data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
    partitionKey,
    sequenceNumber,
    approximateArrivalTimestamp: new Date(),
  };
}

/** Sequence numbers shaped like Kinesis's (long decimal, increasing). */
export function sequenceNumber(i: number): string {
  return `4966${String(i).padStart(52, '0')}`;
}
