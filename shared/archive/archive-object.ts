import { gunzipSync } from 'node:zlib';
import { CorruptObjectError } from './errors.js';

/** Why an archive object was quarantined: stable codes kept in batchState and the reason object. */
export const QuarantineReason = {
  Empty: 'empty-object',
  NotGzip: 'not-gzip',
  TruncatedGzip: 'truncated-gzip',
  CorruptGzip: 'corrupt-gzip',
  NotUtf8: 'not-utf8',
  NotNdjson: 'not-ndjson',
} as const;
export type QuarantineReasonCode = (typeof QuarantineReason)[keyof typeof QuarantineReason];

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function gunzip(key: string, bytes: Uint8Array): Buffer {
  if (bytes.byteLength === 0) throw new CorruptObjectError(key, QuarantineReason.Empty, 'the object has no bytes');
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) {
    throw new CorruptObjectError(key, QuarantineReason.NotGzip, 'the object does not start with the GZIP magic bytes');
  }
  try {
    return gunzipSync(bytes);
  } catch (error) {
    // zlib says Z_BUF_ERROR ("unexpected end of file") when the stream stops before its trailer.
    const code = (error as { code?: string }).code;
    const reason = code === 'Z_BUF_ERROR' ? QuarantineReason.TruncatedGzip : QuarantineReason.CorruptGzip;
    throw new CorruptObjectError(key, reason, (error as Error).message, { cause: error });
  }
}

/**
 * The lines of one archive object: GZIP (one member or several, as Firehose may concatenate),
 * UTF-8, newline-delimited. Empty lines are dropped. Throws `CorruptObjectError` for an object
 * that is not that at all; single bad lines are the caller's to reject.
 */
export function decodeArchiveObject(key: string, bytes: Uint8Array): string[] {
  const raw = gunzip(key, bytes);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch (error) {
    throw new CorruptObjectError(key, QuarantineReason.NotUtf8, 'the decompressed bytes are not UTF-8', { cause: error });
  }
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  return lines.filter((line) => line.trim() !== '');
}
