import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DEV_ISSUER, DevIssuer, DevIssuerKeyError, keyFile, mintDevToken } from '../../../local/dev-issuer/index.js';
import { isPortInUse } from '../../../local/env/ports.js';

describe('Class: DevIssuer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dev-issuer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes a JWKS on loopback that verifies the tokens it mints, and keeps its private keys 0600', async () => {
    // Prepare
    const issuer = await DevIssuer.start({ keysDir: dir, audience: 'aud-1' });
    try {
      // Act
      const token = await issuer.mint('user-7', { ttlSeconds: 60 });
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUrl)), { issuer: DEV_ISSUER, audience: 'aud-1' });
      const jwks = (await (await fetch(issuer.jwksUrl)).json()) as { keys: Record<string, unknown>[] };

      // Assess
      expect(issuer.jwksUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
      expect(payload.sub).to.equal('user-7');
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).to.equal(60);
      expect(protectedHeader.alg).to.equal('RS256');
      expect(jwks.keys).to.have.length(1);
      expect(jwks.keys[0]).to.not.have.property('d');
      expect(statSync(keyFile(dir)).mode & 0o777).to.equal(0o600);
    } finally {
      await issuer.close();
    }
  });

  it('keeps its keys across restarts, so a token minted without the server still verifies', async () => {
    // Prepare
    const first = await DevIssuer.start({ keysDir: dir, audience: 'aud-1' });
    await first.close();
    const token = await mintDevToken({ keysDir: dir, issuer: DEV_ISSUER, audience: 'aud-1' }, 'user-1');

    // Act
    const second = await DevIssuer.start({ keysDir: dir, audience: 'aud-1' });
    try {
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(second.jwksUrl)), { issuer: DEV_ISSUER, audience: 'aud-1' });

      // Assess
      expect(payload.sub).to.equal('user-1');
    } finally {
      await second.close();
    }
  });

  it('publishes the previous key beside a rotated one', async () => {
    // Prepare
    const issuer = await DevIssuer.start({ keysDir: dir, audience: 'aud-1' });
    try {
      const before = (await (await fetch(issuer.jwksUrl)).json()) as { keys: { kid: string }[] };

      // Act
      await issuer.rotate();
      await issuer.rotate();
      const after = (await (await fetch(issuer.jwksUrl)).json()) as { keys: { kid: string }[] };

      // Assess: two keys at most, the newest first, the first one gone after two rotations.
      expect(after.keys).to.have.length(2);
      expect(after.keys.map((k) => k.kid)).to.not.include(before.keys[0]?.kid);
    } finally {
      await issuer.close();
    }
  });

  it('stops serving on close, and close is idempotent', async () => {
    // Prepare
    const issuer = await DevIssuer.start({ keysDir: dir, audience: 'aud-1' });
    const port = Number(new URL(issuer.jwksUrl).port);

    // Act
    const [first, second] = [issuer.close(), issuer.close()];
    await first;

    // Assess
    expect(second).to.equal(first);
    expect(await isPortInUse(port)).to.equal(false);
  });

  it('refuses a key file it did not write, naming the file', async () => {
    // Prepare
    writeFileSync(keyFile(dir), '{"keys": "nope"}');

    // Act
    let error: unknown;
    try {
      await DevIssuer.start({ keysDir: dir, audience: 'aud-1' });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).to.be.instanceOf(DevIssuerKeyError);
    expect((error as Error).message).to.contain(keyFile(dir)).and.contain('delete the folder');
  });
});
