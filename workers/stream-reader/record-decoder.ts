import { rawRecordSchema } from '../../shared/schemas/raw-record.js';
import type { RawRecord } from '../../shared/schemas/raw-record.js';
import type { KinesisRecord } from '../../shared/kinesis/index.js';

// Fatal: bytes that are not UTF-8 are malformed, not silently replaced with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A raw-stream record read back: the crawler's envelope, or why it is not one. */
export type DecodedRecord =
  | { readonly ok: true; readonly sequenceNumber: string; readonly record: RawRecord }
  | { readonly ok: false; readonly sequenceNumber: string; readonly message: string; readonly raw: string; readonly transactionId?: string };

/**
 * Decodes one raw-stream record as a `RawRecord` (UTF-8 JSON that matches the crawler's envelope).
 * Never throws: a record that is not one is returned with a readable reason, for the reject store.
 */
export function decodeRawRecord(record: KinesisRecord): DecodedRecord {
  const { sequenceNumber } = record;
  let text: string;
  try {
    text = utf8.decode(record.data);
  } catch {
    return { ok: false, sequenceNumber, message: 'record data is not UTF-8', raw: Buffer.from(record.data).toString('base64') };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, sequenceNumber, message: `record data is not JSON: ${(error as Error).message}`, raw: text };
  }
  const parsed = rawRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const message = `record is not a raw-stream envelope: ${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}`;
    return { ok: false, sequenceNumber, message, raw: text, ...transactionIdOf(value) };
  }
  return { ok: true, sequenceNumber, record: parsed.data };
}

/** The transaction id of a broken envelope when it has a readable one, so a reject can be traced. */
function transactionIdOf(value: unknown): { transactionId?: string } {
  const transaction = (value as { transaction?: { transactionId?: unknown } } | null)?.transaction;
  const id = transaction?.transactionId;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? { transactionId: id } : {};
}
