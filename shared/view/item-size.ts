import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB bills writes per started kilobyte of item: 1 WRU up to this size, 2 above it. */
export const WRU_ITEM_BYTES = 1024;

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) {
    // About one byte per two significant digits, plus one (DynamoDB developer guide, item sizes).
    const digits = value.N.replace(/^-/, '').replace('.', '').replace(/e.*$/i, '').replace(/^0+/, '').replace(/0+$/, '').length;
    return Math.ceil(Math.max(1, digits) / 2) + 1;
  }
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((n, [name, v]) => n + 1 + Buffer.byteLength(name, 'utf8') + valueBytes(v), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  if (value.SS !== undefined) return value.SS.reduce((n, v) => n + Buffer.byteLength(v, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, v) => n + valueBytes({ N: v }), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, v) => n + v.byteLength, 0);
  return 0;
}

/**
 * An item's size as DynamoDB bills it: attribute names plus values (strings in UTF-8 bytes,
 * numbers about a byte per two digits). For checking that view items stay within one WRU; the
 * figure that counts is the consumed capacity DynamoDB reports.
 */
export function itemSizeBytes(item: Readonly<Record<string, AttributeValue>>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + Buffer.byteLength(name, 'utf8') + valueBytes(value), 0);
}
