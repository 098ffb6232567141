import { WorkerError } from '../errors.js';

/** Base of every read-path failure. */
export class ApiError extends WorkerError {
  public override readonly name: string = 'ApiError';
}

/**
 * A request the read path cannot answer as asked (HTTP 400); names the parameter. The read model
 * (shared/view) throws it too, so the server tells bad requests apart from failures with one check.
 */
export { InvalidRequestError } from '../../shared/view/errors.js';

/** Why a request was not authenticated; stable codes that clients may show or log. */
export const AuthFailure = {
  MissingToken: 'missing-token',
  MalformedToken: 'malformed-token',
  Expired: 'expired-token',
  NotYetValid: 'token-not-yet-valid',
  BadSignature: 'bad-signature',
  UnknownKey: 'unknown-signing-key',
  WrongIssuer: 'wrong-issuer',
  WrongAudience: 'wrong-audience',
  NoUserClaim: 'no-user-claim',
} as const;
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];

/**
 * The request carries no token the API can trust (HTTP 401). Says what is wrong with the token,
 * never anything about the user the request asked for.
 */
export class AuthenticationError extends ApiError {
  public override readonly name = 'AuthenticationError';
  public constructor(
    public readonly reason: AuthFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The identity provider's keys cannot be fetched (HTTP 503): the token may be fine, so the caller
 * should retry rather than sign in again.
 */
export class IdentityProviderError extends ApiError {
  public override readonly name = 'IdentityProviderError';
  public constructor(
    public readonly jwksUrl: string,
    options?: { cause?: unknown },
  ) {
    super(`the signing keys at ${jwksUrl} cannot be read`, options);
  }
}
