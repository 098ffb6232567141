/**
 * Answers AWS gives a caller its identity may not make: IAM refused the action (Kinesis and
 * DynamoDB `AccessDeniedException`, S3 `AccessDenied`, KMS on a caller's behalf), or the
 * credentials are not known at all. Retrying changes nothing: a role missing a grant must stop and
 * say so, not retry for ever.
 */
export const ACCESS_DENIED_ERRORS: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'KMSAccessDeniedException',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'MissingAuthenticationTokenException',
]);

/** Matched by name, so errors of any SDK copy (or a mock) classify the same. */
export function isAccessDenied(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' && ACCESS_DENIED_ERRORS.has(name);
}

/** True when the error, or any error in its `cause` chain, is an access-denied answer (wrapped by the code that called AWS). */
export function causedByAccessDenied(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 10; depth += 1) {
    if (isAccessDenied(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
