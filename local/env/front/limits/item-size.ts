import { asRecord } from '../calls/json-body.js';

/**
 * An item's size as DynamoDB counts it for capacity: each attribute's name (UTF-8 bytes) plus its
 * value: strings in UTF-8 bytes, binary in bytes, numbers about one byte per two significant
 * digits plus one, booleans and nulls one byte, lists and maps three bytes plus one per element
 * plus their elements, sets the sum of their members.
 */
export function itemSize(item: unknown): number {
  let size = 0;
  for (const [name, value] of Object.entries(asRecord(item))) size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  return size;
}

function numberSize(n: unknown): number {
  if (typeof n !== 'string') return 1;
  const digits = n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function base64Size(b: unknown): number {
  if (typeof b !== 'string') return 0;
  const padding = b.endsWith('==') ? 2 : b.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((b.length * 3) / 4) - padding);
}

function valueSize(value: unknown): number {
  const v = asRecord(value);
  if (typeof v['S'] === 'string') return Buffer.byteLength(v['S'], 'utf8');
  if (v['N'] !== undefined) return numberSize(v['N']);
  if (v['B'] !== undefined) return base64Size(v['B']);
  if (v['BOOL'] !== undefined || v['NULL'] !== undefined) return 1;
  if (Array.isArray(v['SS'])) return (v['SS'] as unknown[]).reduce<number>((n, s) => n + (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0), 0);
  if (Array.isArray(v['NS'])) return (v['NS'] as unknown[]).reduce<number>((n, s) => n + numberSize(s), 0);
  if (Array.isArray(v['BS'])) return (v['BS'] as unknown[]).reduce<number>((n, s) => n + base64Size(s), 0);
  if (Array.isArray(v['L'])) return 3 + (v['L'] as unknown[]).reduce<number>((n, e) => n + 1 + valueSize(e), 0);
  if (v['M'] !== undefined) return 3 + Object.entries(asRecord(v['M'])).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k, 'utf8') + valueSize(e), 0);
  return 0;
}

/** Write units for one item: 1 per KB, rounded up, at least 1 (twice inside a transaction). */
export function writeUnits(bytes: number, transactional = false): number {
  return Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
}

/** Read units for `bytes` read: 1 per 4 KB, rounded up, at least 1; half for eventually consistent, twice in a transaction. */
export function readUnits(bytes: number, consistency: 'strong' | 'eventual' | 'transactional'): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistency === 'eventual' ? units / 2 : consistency === 'transactional' ? units * 2 : units;
}
