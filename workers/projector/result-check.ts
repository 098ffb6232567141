import { CATEGORIES } from '../../shared/schemas/categories.js';
import { SCORED_RESULT_VERSION } from '../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { ChangeKind, Lane } from '../../shared/schemas/transaction-change.js';

const CATEGORY_SET: ReadonlySet<unknown> = new Set(CATEGORIES);
const KINDS: ReadonlySet<unknown> = new Set(Object.values(ChangeKind));
const LANES: ReadonlySet<unknown> = new Set(Object.values(Lane));
const ID = /^[A-Za-z0-9_-]{1,64}$/;

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function isScores(value: unknown): boolean {
  if (!Array.isArray(value) || value.length !== CATEGORIES.length) return false;
  for (const score of value) if (!isNumber(score)) return false;
  return true;
}

function isChange(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isObject(value)) return false;
  const pending = value['pendingTransactionId'];
  return (
    KINDS.has(value['kind']) &&
    Number.isSafeInteger(value['revision']) &&
    (value['revision'] as number) >= 0 &&
    isString(value['connectionId']) &&
    ID.test(value['connectionId']) &&
    LANES.has(value['lane']) &&
    (pending === undefined || (isString(pending) && ID.test(pending)))
  );
}

/**
 * True when `value` certainly passes `scoredResultSchema`: the schema's rules written out by hand,
 * for the projector's hot path (zod was most of the per-record parse cost). It may only ever be
 * stricter than the schema, never looser: a record it refuses goes through zod, which accepts it or
 * says what is wrong (`test/unit/projector/result-check.test.ts` holds the two side by side). Unlike
 * zod it does not strip unknown keys; the view reads only the fields it names.
 */
export function isScoredResult(value: unknown): value is ScoredResult {
  if (!isObject(value)) return false;
  const amount = value['amount'];
  const merchant = value['merchant'];
  const models = value['models'];
  const anomalyScore = value['anomalyScore'];
  return (
    value['v'] === SCORED_RESULT_VERSION &&
    isString(value['transactionId']) &&
    isString(value['userId']) &&
    isString(value['accountId']) &&
    isString(value['bookedAt']) &&
    isObject(amount) &&
    Number.isSafeInteger(amount['minor']) &&
    isString(amount['currency']) &&
    amount['currency'].length === 3 &&
    isObject(merchant) &&
    isString(merchant['name']) &&
    (merchant['mcc'] === undefined || isString(merchant['mcc'])) &&
    CATEGORY_SET.has(value['category']) &&
    isScores(value['categoryScores']) &&
    isNumber(anomalyScore) &&
    anomalyScore >= 0 &&
    anomalyScore <= 1 &&
    typeof value['isAnomaly'] === 'boolean' &&
    isObject(models) &&
    isString(models['categoriser']) &&
    isString(models['anomaly']) &&
    isString(value['contentHash']) &&
    isString(value['ingestedAt']) &&
    isString(value['scoredAt']) &&
    isChange(value['change'])
  );
}
