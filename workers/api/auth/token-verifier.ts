import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { AuthFailure, AuthenticationError, IdentityProviderError } from '../errors.js';

/** Asymmetric algorithms only: a shared-secret (HS*) token must never verify against a public key set. */
export const ACCEPTED_ALGORITHMS = ['RS256', 'ES256'] as const;
/** Clocks of the issuer and the API may disagree by this much before `exp`/`nbf` bite. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

export interface TokenVerifierOptions {
  /** The `iss` every token must carry, exactly. */
  readonly issuer: string;
  /** Accepted when it is the token's `aud` (or one of them), or its `client_id` when it has no `aud`. */
  readonly audience: string;
  /**
   * The issuer's JWKS: fetched on first use and cached; a token signed with a key id the cache
   * does not know triggers one more fetch (at most once per `jwksCooldownMs`), which is how a
   * rotated-in key is picked up. Exactly one of `jwksUrl` and `keys`.
   */
  readonly jwksUrl?: string;
  /** A ready key resolver instead of a URL (a local key set in tests). */
  readonly keys?: JWTVerifyGetKey;
  /** Claim holding the user id. @default 'sub' */
  readonly userClaim?: string;
  /** @default 5 s */
  readonly clockToleranceSeconds?: number;
  /** Least time between two JWKS fetches caused by unknown key ids. @default 30000 ms (jose's own default) */
  readonly jwksCooldownMs?: number;
  /** Cached keys older than this are fetched again before use. @default 600000 ms */
  readonly jwksCacheMaxAgeMs?: number;
  /** @default 5000 ms */
  readonly jwksTimeoutMs?: number;
}

/** Who a verified token speaks for. */
export interface VerifiedCaller {
  readonly userId: string;
  readonly expiresAt: Date;
  readonly claims: JWTPayload;
}

/** jose error codes that mean "this token is not acceptable"; anything else is the key source failing. */
const TOKEN_FAULTS: Readonly<Record<string, AuthFailure>> = {
  [errors.JWTExpired.code]: AuthFailure.Expired,
  [errors.JWSSignatureVerificationFailed.code]: AuthFailure.BadSignature,
  [errors.JWKSNoMatchingKey.code]: AuthFailure.UnknownKey,
  [errors.JWKSMultipleMatchingKeys.code]: AuthFailure.UnknownKey,
  [errors.JOSEAlgNotAllowed.code]: AuthFailure.MalformedToken,
  [errors.JOSENotSupported.code]: AuthFailure.MalformedToken,
  [errors.JWSInvalid.code]: AuthFailure.MalformedToken,
  [errors.JWTInvalid.code]: AuthFailure.MalformedToken,
};

/** A compact JWS: three base64url parts. Checked first, so garbage never reaches the key source. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies bearer JWTs from one identity provider with `jose`: signature against the issuer's JWKS
 * (cached, refreshed on rotation), `iss`, audience (`aud`, else `client_id`, as API Gateway's
 * JWT authoriser does), `exp` (required) and `nbf`, and reads the user id from the configured
 * claim. Every rejection is an `AuthenticationError` with a stable reason; a key source that
 * cannot be reached is an `IdentityProviderError`, so a caller is never told to sign in again
 * because the provider was down.
 *
 * @example
 * const verifier = new TokenVerifier({ issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, jwksUrl: env.AUTH_JWKS_URL });
 * const { userId } = await verifier.verify(token);
 */
export class TokenVerifier {
  private readonly issuer: string;
  private readonly audience: string;
  private readonly keys: JWTVerifyGetKey;
  private readonly keySource: string;
  private readonly userClaim: string;
  private readonly clockTolerance: number;

  public constructor(options: TokenVerifierOptions) {
    if ((options.jwksUrl === undefined) === (options.keys === undefined)) {
      throw new TypeError('TokenVerifier needs exactly one of jwksUrl and keys');
    }
    if (options.issuer === '') throw new TypeError('TokenVerifier needs a non-empty issuer');
    if (options.audience === '') throw new TypeError('TokenVerifier needs a non-empty audience');
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.userClaim = options.userClaim ?? 'sub';
    this.clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    if (options.jwksUrl !== undefined) {
      this.keySource = options.jwksUrl;
      this.keys = createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
        timeoutDuration: options.jwksTimeoutMs ?? 5_000,
      });
    } else {
      this.keySource = 'the configured key set';
      this.keys = options.keys!;
    }
  }

  /** The caller a compact JWT speaks for; throws `AuthenticationError` or `IdentityProviderError`. */
  public async verify(token: string): Promise<VerifiedCaller> {
    if (!COMPACT_JWS.test(token)) throw new AuthenticationError(AuthFailure.MalformedToken, 'the bearer token is not a compact JWT');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.issuer,
        algorithms: [...ACCEPTED_ALGORITHMS],
        clockTolerance: this.clockTolerance,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw this.classify(error);
    }
    if (!this.audienceMatches(payload)) throw new AuthenticationError(AuthFailure.WrongAudience, 'the token was not issued for this API');
    const userId = payload[this.userClaim];
    if (typeof userId !== 'string' || userId === '') {
      throw new AuthenticationError(AuthFailure.NoUserClaim, `the token has no '${this.userClaim}' claim naming a user`);
    }
    return { userId, expiresAt: new Date((payload.exp ?? 0) * 1000), claims: payload };
  }

  private audienceMatches(payload: JWTPayload): boolean {
    const { aud } = payload;
    if (aud !== undefined) return Array.isArray(aud) ? aud.includes(this.audience) : aud === this.audience;
    return payload['client_id'] === this.audience;
  }

  private classify(error: unknown): Error {
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'iss') return new AuthenticationError(AuthFailure.WrongIssuer, 'the token is from another issuer', { cause: error });
      if (error.claim === 'nbf') return new AuthenticationError(AuthFailure.NotYetValid, 'the token is not valid yet', { cause: error });
      return new AuthenticationError(AuthFailure.MalformedToken, `the token's '${error.claim}' claim is not acceptable`, { cause: error });
    }
    if (error instanceof errors.JOSEError) {
      const reason = TOKEN_FAULTS[error.code];
      if (reason === AuthFailure.Expired) return new AuthenticationError(reason, 'the token has expired', { cause: error });
      if (reason !== undefined) return new AuthenticationError(reason, `the token cannot be verified (${reason})`, { cause: error });
    }
    return new IdentityProviderError(this.keySource, { cause: error });
  }
}
