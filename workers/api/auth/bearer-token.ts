import { AuthFailure, AuthenticationError } from '../errors.js';

/** `Bearer <token>`, scheme case-insensitive (RFC 7235), one space or more. */
const BEARER = /^Bearer +(\S+)\s*$/i;

/**
 * The token of an `Authorization: Bearer <token>` header; throws `AuthenticationError`
 * (`missing-token` or `malformed-token`) for anything else.
 */
export function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === '') throw new AuthenticationError(AuthFailure.MissingToken, 'an Authorization: Bearer <token> header is required');
  const match = BEARER.exec(header);
  if (match === null) throw new AuthenticationError(AuthFailure.MalformedToken, 'the Authorization header must be Bearer <token>');
  return match[1] ?? '';
}
