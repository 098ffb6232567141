import { PERMANENT_ERRORS, THROTTLING_ERRORS } from './constants.js';

/** The SDK v3 error name (`ProvisionedThroughputExceededException`), or a stable fallback. */
export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'UnknownError';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Matched by name, not `instanceof`, so a mock's or another SDK copy's errors classify the same. */
export function isThrottling(error: unknown): boolean {
  return THROTTLING_ERRORS.has(errorName(error));
}

export function isExpiredIterator(error: unknown): boolean {
  return errorName(error) === 'ExpiredIteratorException';
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

export function isPermanent(error: unknown): boolean {
  return PERMANENT_ERRORS.has(errorName(error));
}
