import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { BODY_HASH_CLAIM, DEFAULT_WEBHOOK_MAX_AGE_SECONDS, WEBHOOK_SIGNING_ALG, webhookBodySchema } from '../../shared/sync/webhook.js';
import type { WebhookBody } from '../../shared/sync/webhook.js';

/** Why a webhook was refused; each is counted (WebhooksRefused) and answered without a sync. */
export const Refusal = {
  /** No `broker-verification` header. */
  Unsigned: 'unsigned',
  /** Not a JWT, another algorithm, an unknown key or a signature that does not verify. */
  BadSignature: 'bad-signature',
  /** Signed longer ago than the freshness window (or in the future): a replay or a very late delivery. */
  Stale: 'stale',
  /** The body's SHA-256 is not the one the signature covers: altered on the way. */
  BodyMismatch: 'body-mismatch',
  /** Signed and intact, but not a webhook this system knows. */
  BadBody: 'bad-body',
} as const;
export type RefusalReason = (typeof Refusal)[keyof typeof Refusal];

export type Verdict = { readonly ok: true; readonly body: WebhookBody } | { readonly ok: false; readonly reason: RefusalReason; readonly detail: string };

export interface WebhookVerifierOptions {
  /** The broker's JWKS (WEBHOOK_JWKS_URL), or a key resolver (tests). */
  readonly keys: URL | JWTVerifyGetKey;
  /** @default 300 s (Plaid's guidance) */
  readonly maxAgeSeconds?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/**
 * Verifies a webhook as Plaid documents it: the header is an ES256 JWT (any other `alg` refused
 * before any key is used), signed by a key of the broker's JWKS (fetched once, cached, fetched again
 * for a key id it does not know: rotation), issued within the last `maxAgeSeconds`, and carrying
 * the SHA-256 of the exact body bytes (compared in constant time). Only then is the body parsed.
 *
 * @example
 * const verifier = new WebhookVerifier({ keys: new URL(env.WEBHOOK_JWKS_URL) });
 * const verdict = await verifier.verify(bodyBytes, request.headers['broker-verification']);
 */
export class WebhookVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly maxAgeSeconds: number;
  private readonly clock: () => Date;

  public constructor(options: WebhookVerifierOptions) {
    this.keys = options.keys instanceof URL ? createRemoteJWKSet(options.keys, { cooldownDuration: 30_000, cacheMaxAge: 600_000 }) : options.keys;
    this.maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_WEBHOOK_MAX_AGE_SECONDS;
    this.clock = options.clock ?? (() => new Date());
  }

  public async verify(body: Buffer, signature: string | undefined): Promise<Verdict> {
    if (signature === undefined || signature === '') return { ok: false, reason: Refusal.Unsigned, detail: 'no signature header' };
    try {
      if (decodeProtectedHeader(signature).alg !== WEBHOOK_SIGNING_ALG) return { ok: false, reason: Refusal.BadSignature, detail: `alg must be ${WEBHOOK_SIGNING_ALG}` };
    } catch {
      return { ok: false, reason: Refusal.BadSignature, detail: 'not a JWT' };
    }
    let claims: Record<string, unknown>;
    const now = this.clock();
    try {
      ({ payload: claims } = await jwtVerify(signature, this.keys, { algorithms: [WEBHOOK_SIGNING_ALG], currentDate: now, requiredClaims: ['iat', BODY_HASH_CLAIM] }));
    } catch (error) {
      return { ok: false, reason: Refusal.BadSignature, detail: (error as Error).message };
    }
    const iat = claims['iat'] as number;
    const age = now.getTime() / 1000 - iat;
    // A minute of clock skew the other way; older than the window is a replay or a delivery too late to trust.
    if (age > this.maxAgeSeconds || age < -60) return { ok: false, reason: Refusal.Stale, detail: `signed ${Math.round(age)} s ago, the window is ${this.maxAgeSeconds} s` };
    const claimed = Buffer.from(String(claims[BODY_HASH_CLAIM]), 'utf8');
    const actual = Buffer.from(createHash('sha256').update(body).digest('hex'), 'utf8');
    if (claimed.length !== actual.length || !timingSafeEqual(claimed, actual)) return { ok: false, reason: Refusal.BodyMismatch, detail: 'the body is not the one signed' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return { ok: false, reason: Refusal.BadBody, detail: 'not JSON' };
    }
    const result = webhookBodySchema.safeParse(parsed);
    if (!result.success) return { ok: false, reason: Refusal.BadBody, detail: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    return { ok: true, body: result.data };
  }
}
