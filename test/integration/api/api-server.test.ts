import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import type { LocalEnv } from '../../../local/env/index.js';
import { DevIssuer, devAudience, mintDevToken } from '../../../local/dev-issuer/index.js';
import { freePort } from '../../../local/env/ports.js';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { ApiServer } from '../../../workers/api/api-server.js';
import { TokenVerifier } from '../../../workers/api/auth/token-verifier.js';
import { UserRateLimiter } from '../../../workers/api/auth/user-rate-limiter.js';
import { InsightsQuery } from '../../../workers/api/insights-query.js';
import type { UserInsights } from '../../../workers/api/insights-query.js';
import { PageAssets } from '../../../workers/api/page-assets.js';
import { utcInstant } from '../../../shared/view/months.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { getLocalEnv } from '../../helpers/local-env.js';
import { expectedTotals, scoredResults } from '../projector/scored-results.js';
import { createStackView } from './stack-view.js';
import type { StackView } from './stack-view.js';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('Class: ApiServer', function () {
  this.timeout(60_000);
  let env: LocalEnv;
  let view: StackView;
  let query: InsightsQuery;
  let server: ApiServer;
  let base: string;
  let results: ScoredResult[];
  const user = 'user-1';
  const other = 'user-2';

  before(async () => {
    env = await getLocalEnv();
    view = await createStackView(env);
    results = scoredResults(200, { seed: 21, users: 3, months: ['2026-10', '2026-11'] });
    await new ViewWriter({ dynamodb: view.projector, tableName: view.tableName }).write(results);
    // "Now" is mid-November 2026 for the user, so the default months are November and October.
    query = new InsightsQuery({ dynamodb: view.api, tableName: view.tableName, consistentRead: true, clock: () => new Date('2026-11-18T12:00:00Z') });
    server = new ApiServer({
      insights: query,
      verifier: new TokenVerifier({ issuer: env.issuer.issuer, audience: env.issuer.audience, jwksUrl: env.issuer.jwksUrl }),
      page: new PageAssets({ userClaim: 'sub', signInUrl: '' }),
    });
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  });

  after(async () => {
    await server?.close();
    await view?.close();
  });

  async function get(path: string, token?: string, init: RequestInit = {}, at = base): Promise<Answer> {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    const response = await fetch(`${at}${path}`, { ...init, headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  const mine = () => results.filter((r) => r.userId === user);

  describe('Method: GET /users/:id/insights', () => {
    it('answers 200 with the 20 newest transactions and the current and previous months for a token of that user', async () => {
      // Prepare
      const token = await env.issuer.mint(user);
      const newest = [...mine()].sort((a, b) => utcInstant(b.bookedAt).localeCompare(utcInstant(a.bookedAt)) || b.transactionId.localeCompare(a.transactionId)).slice(0, 20);

      // Act
      const { status, body } = await get(`/users/${user}/insights`, token);
      const insights = body as unknown as UserInsights;

      // Assess
      expect(status).to.equal(200);
      expect(insights.userId).to.equal(user);
      expect(insights.recent.map((t) => t.transactionId)).to.deep.equal(newest.map((r) => r.transactionId));
      expect(insights.months.map((m) => m.month)).to.deep.equal(['2026-11', '2026-10']);
    });

    it('returns month totals by category equal to the sums of what was written', async () => {
      // Prepare
      const token = await env.issuer.mint(user);
      const expected = [...expectedTotals(mine())].filter(([key]) => key.split('|')[1] === '2026-10');

      // Act
      const { body } = await get(`/users/${user}/insights?month=2026-10&limit=5`, token);
      const insights = body as unknown as UserInsights;

      // Assess
      expect(insights.recent).to.have.length(5);
      expect(insights.months).to.have.length(1);
      const totals = insights.months[0]?.totals ?? [];
      expect(new Map(totals.map((t) => [`${user}|2026-10|${t.category}|${t.currency}`, { sumMinor: t.sum.minor, txnCount: t.count }]))).to.deep.equal(new Map(expected));
    });

    it('returns only flagged anomalies, newest first', async () => {
      // Prepare
      const token = await env.issuer.mint(user);
      const flagged = mine()
        .filter((r) => r.isAnomaly)
        .sort((a, b) => utcInstant(b.bookedAt).localeCompare(utcInstant(a.bookedAt)) || b.transactionId.localeCompare(a.transactionId))
        .slice(0, 20);

      // Act
      const { body } = await get(`/users/${user}/insights?limit=100`, token);
      const insights = body as unknown as UserInsights;

      // Assess
      expect(flagged.length).to.be.greaterThan(0);
      expect(insights.anomalies.map((a) => a.transactionId)).to.deep.equal(flagged.map((r) => r.transactionId));
    });

    it("answers 403 for another user's id, the same for a user who exists and one who does not", async () => {
      // Prepare
      const token = await env.issuer.mint(user);
      expect(results.some((r) => r.userId === other)).to.equal(true);

      // Act
      const [existing, unknown] = await Promise.all([get(`/users/${other}/insights`, token), get('/users/nobody-here/insights', token)]);

      // Assess
      expect([existing.status, unknown.status]).to.deep.equal([403, 403]);
      expect(existing.body).to.deep.equal(unknown.body);
      expect(JSON.stringify(existing.body)).to.not.contain(other);
    });

    it('answers 200 with empty insights for a signed-in user with nothing in the view', async () => {
      // Prepare
      const token = await env.issuer.mint('nobody-here');

      // Act
      const { status, body } = await get('/users/nobody-here/insights', token);

      // Assess
      expect(status).to.equal(200);
      expect(body).to.include({ userId: 'nobody-here' });
      expect(body['recent']).to.deep.equal([]);
      expect(body['months']).to.deep.equal([]);
    });

    it('answers 401 without a token, with a malformed one, and with an expired one, saying nothing of the user', async () => {
      // Prepare
      const expired = await env.issuer.mint(user, { issuedAt: new Date(Date.now() - 2 * 3600_000), ttlSeconds: 3600 });
      const cases: [string, string | undefined, RequestInit?][] = [
        ['missing-token', undefined],
        ['malformed-token', undefined, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }],
        ['malformed-token', 'not-a-jwt'],
        ['malformed-token', 'a.b.c'],
        ['expired-token', expired],
      ];

      // Act
      const answers = await Promise.all(cases.map(([, token, init]) => get(`/users/${user}/insights`, token, init)));
      const unknownUser = await get('/users/nobody-here/insights');

      // Assess
      expect(answers.map((a) => a.status)).to.deep.equal(cases.map(() => 401));
      expect(answers.map((a) => a.body['reason'])).to.deep.equal(cases.map(([reason]) => reason));
      expect(answers[0]?.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token", error_description="missing-token"');
      expect(unknownUser.body).to.deep.equal(answers[0]?.body);
      expect(answers.every((a) => a.body['recent'] === undefined)).to.equal(true);
    });

    it('answers 401 for a token signed with a key the issuer never published, under its key id', async () => {
      // Prepare: a forger who knows the issuer, audience and key id, but not the private key.
      const genuine = await env.issuer.mint(user);
      const kid = (JSON.parse(Buffer.from(genuine.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid: string }).kid;
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(env.issuer.issuer)
        .setAudience(env.issuer.audience)
        .setSubject(user)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
      const tampered = `${genuine.split('.')[0]}.${Buffer.from(JSON.stringify({ iss: env.issuer.issuer, aud: env.issuer.audience, sub: other, exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.${genuine.split('.')[2]}`;

      // Act
      const answers = await Promise.all([get(`/users/${user}/insights`, forged), get(`/users/${other}/insights`, tampered)]);

      // Assess
      expect(answers.map((a) => [a.status, a.body['reason']])).to.deep.equal([
        [401, 'bad-signature'],
        [401, 'bad-signature'],
      ]);
    });

    it('answers 401 for a token of another issuer or audience, and accepts client_id where there is no aud', async () => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), 'issuer-'));
      const stranger = await DevIssuer.start({ keysDir: dir, audience: devAudience('other'), issuer: 'https://issuer.example' });
      try {
        const foreign = await stranger.mint(user);
        const otherAudience = await env.issuer.mint(user, { audience: devAudience('prod') });
        const accessToken = await env.issuer.mint(user, { audience: '', claims: { client_id: env.issuer.audience } });
        // Signed with the environment's own key (its default keys folder), but naming another issuer.
        const misnamed = await mintDevToken({ keysDir: join(env.dataDir, 'dev-issuer'), issuer: 'https://issuer.example', audience: env.issuer.audience }, user);

        // Act
        const [fromStranger, wrongIssuer, forProd, viaClientId] = await Promise.all([
          get(`/users/${user}/insights`, foreign),
          get(`/users/${user}/insights`, misnamed),
          get(`/users/${user}/insights`, otherAudience),
          get(`/users/${user}/insights`, accessToken),
        ]);

        // Assess
        expect([fromStranger.status, fromStranger.body['reason']]).to.deep.equal([401, 'unknown-signing-key']);
        expect([wrongIssuer.status, wrongIssuer.body['reason']]).to.deep.equal([401, 'wrong-issuer']);
        expect([forProd.status, forProd.body['reason']]).to.deep.equal([401, 'wrong-audience']);
        expect(viaClientId.status).to.equal(200);
      } finally {
        await stranger.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('answers 400 for a malformed limit or month of your own insights', async () => {
      // Prepare
      const token = await env.issuer.mint(user);
      const paths = [`/users/${user}/insights?limit=0`, `/users/${user}/insights?limit=101`, `/users/${user}/insights?limit=abc`, `/users/${user}/insights?month=2026-13`];

      // Act
      const answers = await Promise.all(paths.map((path) => get(path, token)));

      // Assess
      expect(answers.map((a) => a.status)).to.deep.equal(paths.map(() => 400));
      expect(answers.map((a) => a.body['parameter'])).to.deep.equal(['limit', 'limit', 'limit', 'month']);
    });

    it('answers 404 for other paths and 405 for other methods', async () => {
      // Prepare
      const token = await env.issuer.mint(user);

      // Act
      const [elsewhere, posted] = await Promise.all([get('/users/user-1', token), get(`/users/${user}/insights`, token, { method: 'POST' })]);

      // Assess
      expect([elsewhere.status, posted.status]).to.deep.equal([404, 405]);
    });
  });

  describe('Key rotation and an unreachable issuer', () => {
    it('accepts tokens of a newly rotated key and of the previous one, fetching the key set again', async () => {
      // Prepare: an issuer of its own, so rotating does not disturb the other tests.
      const dir = mkdtempSync(join(tmpdir(), 'issuer-'));
      const issuer = await DevIssuer.start({ keysDir: dir, audience: 'rotation-test' });
      const rotating = new ApiServer({ insights: query, verifier: new TokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl, jwksCooldownMs: 0 }) });
      const at = `http://127.0.0.1:${await rotating.listen(0, '127.0.0.1')}`;
      try {
        const before = await issuer.mint(user);
        expect((await get(`/users/${user}/insights`, before, {}, at)).status).to.equal(200);
        const fetchesBefore = issuer.stats.jwksRequests;

        // Act
        await issuer.rotate();
        const after = await issuer.mint(user);
        const [withNew, withOld] = [await get(`/users/${user}/insights`, after, {}, at), await get(`/users/${user}/insights`, before, {}, at)];

        // Assess
        expect([withNew.status, withOld.status]).to.deep.equal([200, 200]);
        expect(issuer.stats.jwksRequests).to.equal(fetchesBefore + 1);
      } finally {
        await rotating.close();
        await issuer.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('answers 503, not 401, when the signing keys cannot be fetched', async () => {
      // Prepare
      const closedPort = await freePort();
      const blind = new ApiServer({ insights: query, verifier: new TokenVerifier({ issuer: env.issuer.issuer, audience: env.issuer.audience, jwksUrl: `http://127.0.0.1:${closedPort}/jwks.json` }) });
      const at = `http://127.0.0.1:${await blind.listen(0, '127.0.0.1')}`;
      try {
        // Act
        const answer = await get(`/users/${user}/insights`, await env.issuer.mint(user), {}, at);

        // Assess
        expect(answer.status).to.equal(503);
        expect(answer.headers.get('retry-after')).to.equal('5');
      } finally {
        await blind.close();
      }
    });
  });

  describe('Per-user throttling', () => {
    it("answers 429 with Retry-After once a user's burst is spent, and leaves other users alone", async () => {
      // Prepare
      const throttled = new ApiServer({
        insights: query,
        verifier: new TokenVerifier({ issuer: env.issuer.issuer, audience: env.issuer.audience, jwksUrl: env.issuer.jwksUrl }),
        limiter: new UserRateLimiter({ ratePerSecond: 0.5, burst: 3 }),
      });
      const at = `http://127.0.0.1:${await throttled.listen(0, '127.0.0.1')}`;
      try {
        const [mineToken, otherToken] = [await env.issuer.mint(user), await env.issuer.mint(other)];

        // Act
        const burst: Answer[] = [];
        for (let i = 0; i < 4; i += 1) burst.push(await get(`/users/${user}/insights?limit=1`, mineToken, {}, at));
        const neighbour = await get(`/users/${other}/insights?limit=1`, otherToken, {}, at);

        // Assess
        expect(burst.map((a) => a.status)).to.deep.equal([200, 200, 200, 429]);
        expect(Number(burst[3]?.headers.get('retry-after'))).to.be.within(1, 2);
        expect(neighbour.status).to.equal(200);
        expect(throttled.stats.throttled).to.equal(1);
      } finally {
        await throttled.close();
      }
    });
  });

  describe('Method: GET / (the page)', () => {
    it('serves the page without a token, with a strict content security policy, and 304 for an unchanged copy', async () => {
      // Act
      const page = await fetch(`${base}/`);
      const html = await page.text();
      const again = await fetch(`${base}/`, { headers: { 'if-none-match': page.headers.get('etag') ?? '' } });
      const script = await fetch(`${base}/assets/app.js`);

      // Assess
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).to.contain("script-src 'self'").and.contain("frame-ancestors 'none'");
      expect(html).to.contain('<meta name="insights-user-claim" content="sub">');
      expect(again.status).to.equal(304);
      expect(script.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    });
  });

  describe('Method: close', () => {
    it('is idempotent', async () => {
      // Prepare
      const spare = new ApiServer({ insights: { get: () => Promise.resolve(undefined) }, verifier: { verify: () => Promise.reject(new Error('unused')) } });
      await spare.listen(0, '127.0.0.1');

      // Act
      const first = spare.close();
      const second = spare.close();

      // Assess
      expect(second).to.equal(first);
      await first;
    });
  });
});
