import { crc32 } from 'node:zlib';

/** Header value type 7 of the event-stream encoding: a UTF-8 string with a 2-byte length. */
const STRING_HEADER = 7;
/** Total length, headers length, prelude CRC. */
const PRELUDE_BYTES = 12;
const MESSAGE_CRC_BYTES = 4;

function encodeHeaders(headers: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    const part = Buffer.alloc(1 + nameBytes.length + 1 + 2 + valueBytes.length);
    let at = part.writeUInt8(nameBytes.length, 0);
    at += nameBytes.copy(part, at);
    at = part.writeUInt8(STRING_HEADER, at);
    at = part.writeUInt16BE(valueBytes.length, at);
    valueBytes.copy(part, at);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/**
 * One message of the `application/vnd.amazon.eventstream` encoding that SubscribeToShard answers
 * in: prelude (total length, headers length, CRC32 of the two), string headers, payload, CRC32 of
 * everything before it. The SDK's decoder checks both CRCs, so a wrong frame fails loudly there.
 */
export function encodeEventMessage(headers: Readonly<Record<string, string>>, payload: Buffer): Buffer {
  const headerBytes = encodeHeaders(headers);
  const total = PRELUDE_BYTES + headerBytes.length + payload.length + MESSAGE_CRC_BYTES;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, PRELUDE_BYTES);
  payload.copy(message, PRELUDE_BYTES + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - MESSAGE_CRC_BYTES)), total - MESSAGE_CRC_BYTES);
  return message;
}

/** An event of the stream (`initial-response`, `SubscribeToShardEvent`), JSON payload. */
export function encodeEvent(eventType: string, payload: unknown): Buffer {
  return encodeEventMessage({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }, Buffer.from(JSON.stringify(payload)));
}

/** A modelled error that ends the stream (`ResourceInUseException` when another subscription takes over). */
export function encodeException(exceptionType: string, message: string): Buffer {
  return encodeEventMessage({ ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' }, Buffer.from(JSON.stringify({ message })));
}
