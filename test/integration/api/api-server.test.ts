import { expect } from 'chai';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { ApiServer } from '../../../workers/api/api-server.js';
import { InsightsQuery } from '../../../workers/api/insights-query.js';
import type { UserInsights } from '../../../workers/api/insights-query.js';
import { utcInstant } from '../../../workers/projector/view-model.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { getLocalEnv } from '../../helpers/local-env.js';
import { createViewTable, expectedTotals, scoredResults } from '../projector/scored-results.js';

describe('Class: ApiServer', function () {
  this.timeout(60_000);
  let dynamodb: DynamoDBClient;
  let destroy: () => void;
  let drop: () => Promise<void>;
  let server: ApiServer;
  let base: string;
  let results: ScoredResult[];
  const user = 'user-1';

  before(async () => {
    const env = await getLocalEnv();
    const clients = env.clients();
    dynamodb = clients.dynamodb;
    destroy = () => clients.destroy();
    const table = await createViewTable(dynamodb, 'api-view');
    drop = table.drop;
    results = scoredResults(200, { seed: 21, users: 3, months: ['2026-10', '2026-11'] });
    await new ViewWriter({ dynamodb, tableName: table.tableName }).write(results);
    // "Now" is mid-November 2026 for the user, so the default months are November and October.
    const query = new InsightsQuery({ dynamodb, tableName: table.tableName, consistentRead: true, clock: () => new Date('2026-11-18T12:00:00Z') });
    server = new ApiServer({ query });
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  });

  after(async () => {
    await server.close();
    await drop();
    destroy();
  });

  async function get(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const mine = () => results.filter((r) => r.userId === user);

  describe('Method: GET /users/:id/insights', () => {
    it('returns the 20 newest transactions, newest first, and the current and previous months', async () => {
      // Prepare
      const newest = [...mine()].sort((a, b) => utcInstant(b.bookedAt).localeCompare(utcInstant(a.bookedAt)) || b.transactionId.localeCompare(a.transactionId)).slice(0, 20);

      // Act
      const { status, body } = await get(`/users/${user}/insights`);
      const insights = body as unknown as UserInsights;

      // Assess
      expect(status).to.equal(200);
      expect(insights.recent.map((t) => t.transactionId)).to.deep.equal(newest.map((r) => r.transactionId));
      expect(insights.months.map((m) => m.month)).to.deep.equal(['2026-11', '2026-10']);
      expect(insights.recent[0]?.amount.value).to.match(/^-?\d+(\.\d+)?$/);
    });

    it('returns month totals by category equal to the sums of what was written', async () => {
      // Prepare
      const expected = [...expectedTotals(mine())].filter(([key]) => key.split('|')[1] === '2026-10');

      // Act
      const { body } = await get(`/users/${user}/insights?month=2026-10&limit=5`);
      const insights = body as unknown as UserInsights;

      // Assess
      expect(insights.recent).to.have.length(5);
      expect(insights.months).to.have.length(1);
      const totals = insights.months[0]?.totals ?? [];
      expect(new Map(totals.map((t) => [`${user}|2026-10|${t.category}|${t.currency}`, { sumMinor: t.sum.minor, txnCount: t.count }]))).to.deep.equal(new Map(expected));
    });

    it('returns only flagged anomalies, newest first', async () => {
      // Prepare
      const flagged = mine()
        .filter((r) => r.isAnomaly)
        .sort((a, b) => utcInstant(b.bookedAt).localeCompare(utcInstant(a.bookedAt)) || b.transactionId.localeCompare(a.transactionId))
        .slice(0, 20);

      // Act
      const { body } = await get(`/users/${user}/insights?limit=100`);
      const insights = body as unknown as UserInsights;

      // Assess
      expect(flagged.length).to.be.greaterThan(0);
      expect(insights.anomalies.map((a) => a.transactionId)).to.deep.equal(flagged.map((r) => r.transactionId));
    });

    it('answers 400 for a malformed id, limit or month', async () => {
      // Prepare
      const paths = [`/users/${'x'.repeat(65)}/insights`, '/users/bad%20id/insights', '/users/%E0%A4%A/insights', `/users/${user}/insights?limit=0`, `/users/${user}/insights?limit=101`, `/users/${user}/insights?limit=abc`, `/users/${user}/insights?month=2026-13`];

      // Act
      const answers = await Promise.all(paths.map((path) => get(path)));

      // Assess
      expect(answers.map((a) => a.status)).to.deep.equal(paths.map(() => 400));
      expect(answers.map((a) => a.body['parameter'])).to.deep.equal(['userId', 'userId', 'userId', 'limit', 'limit', 'limit', 'month']);
    });

    it('answers 404 for a user with nothing in the view and for other paths, 405 for other methods', async () => {
      // Prepare
      const unknown = '/users/nobody-here/insights';

      // Act
      const [missing, elsewhere, posted] = await Promise.all([get(unknown), get('/users/user-1'), get(`/users/${user}/insights`, { method: 'POST' })]);

      // Assess
      expect([missing.status, elsewhere.status, posted.status]).to.deep.equal([404, 404, 405]);
      expect(missing.body['error']).to.equal('unknown-user');
    });
  });

  describe('Method: close', () => {
    it('is idempotent', async () => {
      // Prepare
      const spare = new ApiServer({ query: { get: () => Promise.resolve(undefined) } });
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
