import { randomBytes } from 'node:crypto';
import { LOOPBACK } from '../env/ports.js';
import { BrokerOptionError } from './errors.js';

/** Options of the mock data broker. Give exactly one source: `records`, `input` or `lines`. */
export interface BrokerOptions {
  /** Serve this many transactions from the seeded synthetic generator (models/synthetic). */
  readonly records?: number;
  /** Serve this NDJSON file exactly as written: one line per transaction, broken ones included. */
  readonly input?: string;
  /** Serve these lines exactly as given (tests). */
  readonly lines?: readonly string[];
  /** Seeds the generator and the injected faults. @default 1 */
  readonly seed?: number;
  /** Synthetic account holders. @default 100 (the generator's) */
  readonly users?: number;
  /**
   * When the synthetic data starts. @default the UTC day that leaves every line at least two days
   * in the past (the receiving side rejects lines over a day ahead); pass it for lines that are
   * byte-identical on every day.
   */
  readonly startAt?: Date | string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default 127.0.0.1 (loopback only) */
  readonly host?: string;
  /** The bearer token clients must send. @default a random one, see the handle */
  readonly apiKey?: string;
  /** Requests per second before answering 429 with `Retry-After`. @default 0 (no limit) */
  readonly rateLimit?: number;
  /** Requests allowed at once after a quiet spell. @default max(1, ceil(rateLimit)) */
  readonly rateBurst?: number;
  /** Share of page requests answered 500, 502 or 503, 0 to 1. @default 0 */
  readonly errorRate?: number;
  /** Share of page requests whose connection drops halfway through the body, 0 to 1. @default 0 */
  readonly resetRate?: number;
  /** Most lines one page holds, whatever `limit` asks. @default 1000 */
  readonly maxPageSize?: number;
  /** Lines per page when a request has no `limit`. @default 100 (or maxPageSize if smaller) */
  readonly defaultPageSize?: number;
  /**
   * Lines made visible per second from start, so the source grows like a live feed; the rest
   * are "nothing newer" until their time. @default 0 (everything visible at once)
   */
  readonly publishPerSecond?: number;
  /**
   * With `publishPerSecond`: publish nothing until `startPublishing()` (a phase that measures live
   * traffic starts it once the workers are up, not while they load). @default false
   */
  readonly holdPublishing?: boolean;
  /** Where the broker POSTs its signed webhooks (linked connections); none are sent without it. */
  readonly webhookUrl?: string;
  /** How long a linked connection's history job takes before HISTORICAL_UPDATE. @default 200 ms */
  readonly historyDelayMs?: number;
  /** Transactions in a linked connection's history when the link does not say. @default 2400 */
  readonly historySize?: number;
  /** Share of webhooks sent twice, 0 to 1. @default 0 */
  readonly webhookDuplicateRate?: number;
  /** Each webhook waits a random time up to this: late and out of order. @default 0 ms */
  readonly webhookMaxDelayMs?: number;
}

export interface ResolvedBrokerOptions {
  readonly seed: number;
  readonly port: number;
  readonly host: string;
  readonly apiKey: string;
  readonly rateLimit: number;
  readonly rateBurst: number;
  readonly errorRate: number;
  readonly resetRate: number;
  readonly maxPageSize: number;
  readonly defaultPageSize: number;
  readonly publishPerSecond: number;
  readonly holdPublishing: boolean;
  readonly webhookUrl: string | undefined;
  readonly historyDelayMs: number;
  readonly historySize: number;
  readonly webhookDuplicateRate: number;
  readonly webhookMaxDelayMs: number;
}

function check(option: string, value: number, ok: boolean, what: string): number {
  if (!ok || Number.isNaN(value)) throw new BrokerOptionError(option, `must be ${what}, got ${value}`);
  return value;
}

/** Defaults, then the caller's options, then validation naming each bad option. */
export function resolveBrokerOptions(options: BrokerOptions): ResolvedBrokerOptions {
  const sources = (['records', 'input', 'lines'] as const).filter((key) => options[key] !== undefined);
  if (sources.length !== 1) {
    throw new BrokerOptionError(sources.join('/') || 'records', `give exactly one source: records (synthetic), input (a file) or lines; got ${sources.length}`);
  }
  if (options.records !== undefined) check('records', options.records, Number.isSafeInteger(options.records) && options.records >= 0, 'a whole number >= 0');
  const rateLimit = check('rateLimit', options.rateLimit ?? 0, (options.rateLimit ?? 0) >= 0, 'a number of requests per second >= 0');
  const maxPageSize = check('maxPageSize', options.maxPageSize ?? 1000, Number.isSafeInteger(options.maxPageSize ?? 1000) && (options.maxPageSize ?? 1000) >= 1, 'a whole number >= 1');
  const defaultPageSize = options.defaultPageSize ?? Math.min(100, maxPageSize);
  const rateBurst = options.rateBurst ?? Math.max(1, Math.ceil(rateLimit));
  const errorRate = options.errorRate ?? 0;
  const resetRate = options.resetRate ?? 0;
  const apiKey = options.apiKey ?? randomBytes(18).toString('base64url');
  if (apiKey === '' || /\s/.test(apiKey)) throw new BrokerOptionError('apiKey', 'must be a non-empty token without spaces');
  return {
    seed: check('seed', options.seed ?? 1, Number.isInteger(options.seed ?? 1), 'an integer'),
    port: check('port', options.port ?? 0, Number.isInteger(options.port ?? 0) && (options.port ?? 0) >= 0 && (options.port ?? 0) <= 65535, 'a port (0 to 65535)'),
    host: options.host ?? LOOPBACK,
    apiKey,
    rateLimit,
    rateBurst: check('rateBurst', rateBurst, rateBurst >= 1, 'at least 1'),
    errorRate: check('errorRate', errorRate, errorRate >= 0 && errorRate <= 1, 'between 0 and 1'),
    resetRate: check('resetRate', resetRate, resetRate >= 0 && errorRate + resetRate <= 1, 'between 0 and 1 - errorRate'),
    maxPageSize,
    defaultPageSize: check('defaultPageSize', defaultPageSize, Number.isSafeInteger(defaultPageSize) && defaultPageSize >= 1 && defaultPageSize <= maxPageSize, `a whole number from 1 to maxPageSize (${maxPageSize})`),
    publishPerSecond: check('publishPerSecond', options.publishPerSecond ?? 0, (options.publishPerSecond ?? 0) >= 0, 'a number of lines per second >= 0'),
    holdPublishing: options.holdPublishing ?? false,
    webhookUrl: options.webhookUrl,
    historyDelayMs: check('historyDelayMs', options.historyDelayMs ?? 200, Number.isInteger(options.historyDelayMs ?? 200) && (options.historyDelayMs ?? 200) >= 0, 'a whole number of ms >= 0'),
    historySize: check('historySize', options.historySize ?? 2400, Number.isSafeInteger(options.historySize ?? 2400) && (options.historySize ?? 2400) >= 0, 'a whole number >= 0'),
    webhookDuplicateRate: check('webhookDuplicateRate', options.webhookDuplicateRate ?? 0, (options.webhookDuplicateRate ?? 0) >= 0 && (options.webhookDuplicateRate ?? 0) <= 1, 'between 0 and 1'),
    webhookMaxDelayMs: check('webhookMaxDelayMs', options.webhookMaxDelayMs ?? 0, Number.isInteger(options.webhookMaxDelayMs ?? 0) && (options.webhookMaxDelayMs ?? 0) >= 0, 'a whole number of ms >= 0'),
  };
}
