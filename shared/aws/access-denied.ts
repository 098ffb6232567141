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
