import { expect } from 'chai';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import type { JWTPayload } from 'jose';
import { TokenVerifier } from '../../../workers/api/auth/token-verifier.js';
import type { AuthenticationError } from '../../../workers/api/errors.js';

describe('Class: TokenVerifier (configured user claim)', () => {
  const issuer = 'https://issuer.test';
  const audience = 'insights-test';
  let sign: (claims: JWTPayload) => Promise<string>;
  let keys: ReturnType<typeof createLocalJWKSet>;

  before(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    keys = createLocalJWKSet({ keys: [jwk] });
    sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(issuer).setAudience(audience).setExpirationTime('5m').sign(privateKey);
  });

  it('reads the user id from the configured claim, not from sub', async () => {
    // Prepare: a Cognito-style token whose sub is the pool's own id and whose app user id is a custom claim.
    const verifier = new TokenVerifier({ issuer, audience, keys, userClaim: 'custom:user_id' });
    const token = await sign({ sub: 'pool-subject-1', 'custom:user_id': 'user-7' });

    // Act
    const caller = await verifier.verify(token);

    // Assess
    expect(caller.userId).to.equal('user-7');
  });

  it('refuses a token without the configured claim even when it has a sub', async () => {
    // Prepare
    const verifier = new TokenVerifier({ issuer, audience, keys, userClaim: 'custom:user_id' });
    const token = await sign({ sub: 'user-7' });

    // Act
    const reason = await verifier.verify(token).then(
      () => 'accepted',
      (error: unknown) => (error as AuthenticationError).reason,
    );

    // Assess
    expect(reason).to.equal('no-user-claim');
  });
});
