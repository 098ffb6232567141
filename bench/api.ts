/**
 * The read path under concurrent users (issue 14 item 6): `GET /users/:id/insights` through the
 * api role's own server (bearer JWT verified against the local issuer's JWKS, per-user bucket,
 * the read model, DynamoDB through the api role's IAM front), driven by autocannon; beside it, in
 * the same run and on the same table, the ceiling: the exact DynamoDB `Query` requests one insights
 * read makes for that user, replayed bare (no HTTP, no token, no unmarshalling, no collapse).
 * `npm run bench -- --only api` (or `npm run bench:api`) prints both and the ratio.
 */
import { DeleteTableCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { ensureTable } from '../local/env/provision.js';
import { startLocalEnv } from '../local/env/start.js';
import type { LocalEnv } from '../local/env/start.js';
import { tableName } from '../shared/catalog.js';
import { CATEGORIES } from '../shared/schemas/categories.js';
import { SCORED_RESULT_VERSION } from '../shared/schemas/scored-result.js';
import type { ScoredResult } from '../shared/schemas/scored-result.js';
import { ApiServer } from '../workers/api/api-server.js';
import { TokenVerifier } from '../workers/api/auth/token-verifier.js';
import { UserRateLimiter } from '../workers/api/auth/user-rate-limiter.js';
import { InsightsQuery } from '../workers/api/insights-query.js';
import { ViewWriter } from '../workers/projector/view-writer.js';
import { benchTransactions, chunks } from './fixtures.js';

export interface ApiBenchOptions {
  readonly env: LocalEnv;
  /** Transactions written to the view before measuring (spread over the generator's users and recent days). */
  readonly transactions: number;
  /** Users whose insights are read, each with a token of their own. */
  readonly users: number;
  /** Concurrent connections (autocannon) and concurrent bare readers. */
  readonly connections: number;
  /** Seconds each side is measured, after a warm-up of a third of it. */
  readonly seconds: number;
  readonly onStep?: (message: string) => void;
}

export interface LoadFigures {
  /** Insights reads per second (one HTTP request, or one set of bare Queries). */
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly reads: number;
  /** Answers that were not 200 (the API) or failed (bare); the figures are void if not 0. */
  readonly failures: number;
}

export interface ApiBenchResult {
  readonly api: LoadFigures;
  readonly bareQuery: LoadFigures;
  /** api.perSecond / bareQuery.perSecond. */
  readonly ratio: number;
  readonly users: number;
  readonly connections: number;
  /** DynamoDB Query requests one insights read makes (months in the window, pages), averaged over the users. */
  readonly queriesPerRead: number;
  /** View items one insights read fetches, averaged over the users. */
  readonly itemsPerRead: number;
  readonly loadAverage: number;
}

/** Deterministic stand-in scores: the bench measures reading, not the models (no inference needed). */
function scored(transactions: ReturnType<typeof benchTransactions>): ScoredResult[] {
  const now = new Date().toISOString();
  return transactions.map(({ transaction, raw }, index) => {
    const digest = createHash('sha256').update(transaction.transactionId).digest();
    const which = (digest[0] ?? 0) % CATEGORIES.length;
    const category = CATEGORIES[which] ?? CATEGORIES[0];
    return {
      v: SCORED_RESULT_VERSION,
      transactionId: transaction.transactionId,
      userId: transaction.userId,
      accountId: transaction.accountId,
      bookedAt: transaction.bookedAt,
      amount: { minor: transaction.amount.minor, currency: transaction.amount.currency },
      merchant: transaction.merchant.mcc === undefined ? { name: transaction.merchant.name } : { name: transaction.merchant.name, mcc: transaction.merchant.mcc },
      category,
      categoryScores: CATEGORIES.map((_, i) => (i === which ? 0.9 : 0.1 / (CATEGORIES.length - 1))),
      anomalyScore: index % 10 === 0 ? 0.97 : 0.05,
      isAnomaly: index % 10 === 0,
      models: { categoriser: 'bench', anomaly: 'bench' },
      contentHash: raw.contentHash,
      ingestedAt: raw.ingestedAt,
      scoredAt: now,
    };
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** The Query requests `readInsights` makes for one user, recorded as it makes them (pages included). */
async function recordQueries(dynamodb: DynamoDBClient, table: string, userId: string): Promise<{ inputs: QueryCommandInput[]; items: number }> {
  const inputs: QueryCommandInput[] = [];
  let items = 0;
  const recorder = {
    send: async (command: QueryCommand) => {
      inputs.push({ ...command.input });
      const answer = await dynamodb.send(command);
      items += answer.Items?.length ?? 0;
      return answer;
    },
  } as unknown as DynamoDBClient;
  await new InsightsQuery({ dynamodb: recorder, tableName: table }).get({ userId });
  return { inputs, items };
}

/** `connections` readers, each replaying one user's recorded Queries after another, for `seconds`. */
async function bareLoad(dynamodb: DynamoDBClient, reads: readonly QueryCommandInput[][], connections: number, seconds: number): Promise<LoadFigures> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const inputs = reads[next++ % reads.length] ?? [];
        const at = performance.now();
        try {
          // As readInsights does: the months of the window at once.
          await Promise.all(inputs.map((input) => dynamodb.send(new QueryCommand(input))));
          latencies.push(performance.now() - at);
        } catch {
          failures += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: Math.round(latencies.length / elapsed), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), reads: latencies.length, failures };
}

async function apiLoad(url: string, requests: autocannon.Request[], connections: number, seconds: number): Promise<LoadFigures> {
  const result = await autocannon({ url, connections, duration: seconds, requests });
  return {
    perSecond: Math.round(result.requests.total / seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    reads: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

export async function apiBench(options: ApiBenchOptions): Promise<ApiBenchResult> {
  const step = options.onStep ?? (() => undefined);
  const { env } = options;
  const stack = `bench-api-${Date.now().toString(36)}`;
  const table = tableName(stack, 'view');
  const operator = env.clients();
  const projector = env.clientsFor('projector', stack);
  // The api role's own credentials through the IAM front, as a deployed task reads.
  const reader = env.clientsFor('api', stack);
  await ensureTable(operator.dynamodb, table, 'view');
  const server = new ApiServer({
    insights: new InsightsQuery({ dynamodb: reader.dynamodb, tableName: table }),
    verifier: new TokenVerifier({ issuer: env.issuer.issuer, audience: env.issuer.audience, jwksUrl: env.issuer.jwksUrl }),
    // The bucket's cost is measured, not its refusals: every user may ask as often as the load does.
    limiter: new UserRateLimiter({ ratePerSecond: 1_000_000, burst: 1_000_000 }),
  });
  try {
    const results = scored(benchTransactions(options.transactions, 14));
    const writer = new ViewWriter({ dynamodb: projector.dynamodb, tableName: table });
    for (const batch of chunks(results, 100)) await writer.write(batch);
    const byCount = new Map<string, number>();
    for (const r of results) byCount.set(r.userId, (byCount.get(r.userId) ?? 0) + 1);
    const users = [...byCount.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, options.users).map(([user]) => user);
    step(`api bench: ${results.length} transactions in the view, reading ${users.length} users with ${options.connections} connections`);

    const recorded = await Promise.all(users.map((user) => recordQueries(reader.dynamodb, table, user)));
    const tokens = await Promise.all(users.map((user) => env.issuer.mint(user)));
    const port = await server.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    const requests: autocannon.Request[] = users.map((user, i) => ({ method: 'GET', path: `/users/${user}/insights`, headers: { authorization: `Bearer ${tokens[i] ?? ''}` } }));
    const warmUp = Math.max(1, Math.round(options.seconds / 3));

    step(`api bench: warm-up ${warmUp} s each, then ${options.seconds} s of the API and ${options.seconds} s of bare Queries`);
    await apiLoad(url, requests, options.connections, warmUp);
    await bareLoad(reader.dynamodb, recorded.map((r) => r.inputs), options.connections, warmUp);
    const api = await apiLoad(url, requests, options.connections, options.seconds);
    const bareQuery = await bareLoad(reader.dynamodb, recorded.map((r) => r.inputs), options.connections, options.seconds);
    const mean = (values: number[]) => Math.round((values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)) * 10) / 10;
    return {
      api,
      bareQuery,
      ratio: Math.round((api.perSecond / Math.max(1, bareQuery.perSecond)) * 100) / 100,
      users: users.length,
      connections: options.connections,
      queriesPerRead: mean(recorded.map((r) => r.inputs.length)),
      itemsPerRead: mean(recorded.map((r) => r.items)),
      loadAverage: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    };
  } finally {
    await server.close();
    await operator.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    for (const clients of [operator, projector, reader]) clients.destroy();
  }
}

/** The figures as the bench prints them. */
export function apiBenchTable(r: ApiBenchResult): string {
  const row = (name: string, f: LoadFigures) => `| ${name} | ${f.perSecond.toLocaleString('en')} | ${f.p50Ms} | ${f.p99Ms} | ${f.reads.toLocaleString('en')} | ${f.failures} |`;
  return [
    `read path: ${r.users} users, ${r.connections} concurrent connections; one read = ${r.queriesPerRead} Query requests, ${r.itemsPerRead} items (load ${r.loadAverage}, ${cpus().length} cores)`,
    '',
    '| | reads/s | p50 ms | p99 ms | reads | failures |',
    '|---|---|---|---|---|---|',
    row('GET /users/:id/insights (JWT, bucket, read model)', r.api),
    row('bare DynamoDB Query, same requests', r.bareQuery),
    '',
    `API / bare Query = ${r.ratio}x`,
  ].join('\n');
}

/** `npm run bench -- --only api`: its own embedded environment, the figures on stdout. */
export async function runApiBench(flags: { quick?: boolean; onStep?: (message: string) => void }): Promise<ApiBenchResult> {
  const step = flags.onStep ?? ((message: string) => console.error(message));
  const env = await startLocalEnv({ provision: false, onProgress: step });
  try {
    const quick = flags.quick === true;
    const result = await apiBench({ env, transactions: quick ? 2_000 : 10_000, users: quick ? 10 : 50, connections: quick ? 10 : 32, seconds: quick ? 5 : 15, onStep: step });
    console.log(`\n${apiBenchTable(result)}`);
    if (result.api.failures > 0 || result.bareQuery.failures > 0) console.error(`warning: ${result.api.failures} API and ${result.bareQuery.failures} bare failures: the figures are void`);
    return result;
  } finally {
    await env.stop();
  }
}
