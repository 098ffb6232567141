import type { ConditionValue, Statement } from '../../../../shared/iam/policy.js';
import { resourcesOf } from '../../../../shared/iam/policy.js';

/**
 * IAM's evaluation of identity-based policies for one request, as AWS documents it: an explicit
 * Deny in any matching statement wins; otherwise an Allow in a matching statement allows;
 * otherwise the request is implicitly denied. A statement matches when an action pattern matches
 * (case-insensitive, `*` and `?` wildcards), a resource pattern matches (each of the ARN's six
 * colon-separated parts on its own, wildcards never spanning two), and every condition holds.
 */

export type Decision =
  | { readonly effect: 'allow'; readonly statement: Statement; readonly resourceIndex: number }
  | { readonly effect: 'explicit-deny'; readonly statement: Statement }
  | { readonly effect: 'implicit-deny' };

/** The request as IAM sees it: action, resource and condition keys. */
export interface EvaluationRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
}

const patternCache = new Map<string, RegExp>();

/** `s3:Get*` -> /^s3:Get.*$/ with `?` one character; cached (policies are few, calls are many). */
function globRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const cacheKey = `${ignoreCase ? 'i' : 'c'}${pattern}`;
  let regexp = patternCache.get(cacheKey);
  if (regexp === undefined) {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regexp = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    patternCache.set(cacheKey, regexp);
  }
  return regexp;
}

export function actionMatches(pattern: string, action: string): boolean {
  return pattern === '*' || globRegExp(pattern, true).test(action);
}

/** Splits an ARN into its six parts; the last keeps any further colons (`table/x` or `log-group:g:log-stream:s`). */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

export function resourceMatches(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  const want = arnParts(pattern);
  const have = arnParts(resource);
  // An ARN pattern of fewer than six parts matches nothing: a wildcard never stands for a colon.
  if (want === undefined || have === undefined) return !pattern.startsWith('arn:') && globRegExp(pattern, false).test(resource);
  return want.every((part, i) => globRegExp(part, false).test(have[i] ?? ''));
}

function values(value: ConditionValue): string[] {
  if (typeof value === 'boolean') return [String(value)];
  return typeof value === 'string' ? [value] : [...value];
}

type Comparator = (actual: string, expected: string) => boolean;

const COMPARATORS: Readonly<Record<string, Comparator>> = {
  StringEquals: (a, e) => a === e,
  StringEqualsIgnoreCase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  StringLike: (a, e) => globRegExp(e, false).test(a),
  ArnEquals: (a, e) => a === e,
  ArnLike: (a, e) => resourceMatches(e, a),
  Bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
  NumericEquals: (a, e) => Number(a) === Number(e),
  NumericLessThan: (a, e) => Number(a) < Number(e),
  NumericLessThanEquals: (a, e) => Number(a) <= Number(e),
  NumericGreaterThan: (a, e) => Number(a) > Number(e),
  NumericGreaterThanEquals: (a, e) => Number(a) >= Number(e),
};

const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NumericNotEquals: 'NumericEquals',
};

export class UnsupportedConditionError extends Error {
  public override readonly name = 'UnsupportedConditionError';
}

/**
 * One condition operator over its keys (all must hold; any of a key's values may match). A
 * missing key fails a positive operator, satisfies a negated one, and satisfies any `...IfExists`.
 */
export function conditionHolds(operator: string, entries: Readonly<Record<string, ConditionValue>>, context: Readonly<Record<string, string>>): boolean {
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  return Object.entries(entries).every(([key, expected]) => {
    const actual = context[key];
    if (base === 'Null') return values(expected).some((e) => (e.toLowerCase() === 'true') === (actual === undefined));
    if (actual === undefined) return ifExists || base in NEGATED;
    const positive = NEGATED[base] ?? base;
    const compare = COMPARATORS[positive];
    if (compare === undefined) throw new UnsupportedConditionError(`the local IAM evaluator does not implement the condition operator '${operator}'`);
    const matched = values(expected).some((e) => compare(actual, e));
    return base in NEGATED ? !matched : matched;
  });
}

/** Evaluates a role's statements for one request. */
export function evaluate(statements: readonly Statement[], request: EvaluationRequest): Decision {
  let allowed: Decision | undefined;
  for (const statement of statements) {
    if (!statement.Action.some((pattern) => actionMatches(pattern, request.action))) continue;
    const resourceIndex = resourcesOf(statement).findIndex((pattern) => resourceMatches(pattern, request.resource));
    if (resourceIndex === -1) continue;
    const condition = statement.Condition ?? {};
    if (!Object.entries(condition).every(([operator, entries]) => conditionHolds(operator, entries, request.context))) continue;
    if (statement.Effect === 'Deny') return { effect: 'explicit-deny', statement };
    allowed ??= { effect: 'allow', statement, resourceIndex };
  }
  return allowed ?? { effect: 'implicit-deny' };
}
