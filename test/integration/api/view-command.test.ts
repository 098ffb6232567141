import { expect } from 'chai';
import { Command } from 'commander';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { formatInsights, resolveViewTarget, viewCommand } from '../../../cli/commands/view.js';
import type { KeptEnvState } from '../../../local/env/state.js';
import type { UserInsights } from '../../../workers/api/insights-query.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { getLocalEnv } from '../../helpers/local-env.js';
import { createViewTable, scoredResult } from '../projector/scored-results.js';

/** Runs `insights view ...` in this process with the given environment; returns what it printed. */
async function runView(args: readonly string[], env: Record<string, string>): Promise<string> {
  const saved = { ...process.env };
  const write = process.stdout.write.bind(process.stdout);
  const log = console.log;
  let printed = '';
  Object.assign(process.env, env);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    printed += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  console.log = (...parts: unknown[]) => void (printed += `${parts.join(' ')}\n`);
  try {
    await new Command('insights').exitOverride().addCommand(viewCommand()).parseAsync(['view', ...args], { from: 'user' });
  } finally {
    process.stdout.write = write;
    console.log = log;
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  return printed;
}

describe('Command: insights view', function () {
  this.timeout(60_000);
  let dynamodb: DynamoDBClient;
  let destroy: () => void;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const results = [
    scoredResult({ transactionId: 'tx-a', userId: 'cli-user', bookedAt: '2026-11-02T08:00:00+01:00', amount: { minor: -1250, currency: 'EUR' } }),
    scoredResult({ transactionId: 'tx-b', userId: 'cli-user', bookedAt: '2026-11-03T08:00:00+01:00', amount: { minor: -99, currency: 'EUR' }, isAnomaly: true, anomalyScore: 0.98 }),
  ];

  before(async () => {
    const local = await getLocalEnv();
    const clients = local.clients();
    dynamodb = clients.dynamodb;
    destroy = () => clients.destroy();
    const table = await createViewTable(dynamodb, 'cli-view');
    drop = table.drop;
    await new ViewWriter({ dynamodb, tableName: table.tableName }).write(results);
    env = { ...local.env, VIEW_TABLE_NAME: table.tableName };
  });

  after(async () => {
    await drop();
    destroy();
  });

  it('prints the insights as JSON with --json', async () => {
    // Prepare
    const args = ['cli-user', '--json', '--month', '2026-11'];

    // Act
    const insights = JSON.parse(await runView(args, env)) as UserInsights;

    // Assess
    expect(insights.recent.map((t) => t.transactionId)).to.deep.equal(['tx-b', 'tx-a']);
    expect(insights.months[0]?.totals[0]).to.deep.include({ category: 'groceries', currency: 'EUR', count: 2, sum: { minor: -1349, currency: 'EUR', value: '-13.49' } });
    expect(insights.anomalies.map((a) => a.transactionId)).to.deep.equal(['tx-b']);
  });

  it('prints a readable table without --json', async () => {
    // Prepare
    const args = ['cli-user', '--month', '2026-11'];

    // Act
    const text = await runView(args, env);

    // Assess
    expect(text).to.include('Insights for cli-user');
    expect(text).to.match(/groceries\s+-13\.49 EUR\s+2 txn/);
    expect(text).to.include('Flagged anomalies (1)');
  });

  it('fails with a clear message for a user with nothing in the view', async () => {
    // Prepare
    const args = ['nobody'];

    // Act
    const error = await runView(args, env).then(() => undefined, (e: unknown) => e as Error);

    // Assess
    expect(error?.message).to.match(/no insights for user 'nobody'/);
  });

  describe('Function: resolveViewTarget', () => {
    const state = { stack: 'local', env: { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1' }, workerEnv: { VIEW_TABLE_NAME: 'from-state' } } as unknown as KeptEnvState;

    it('prefers --stack, then VIEW_TABLE_NAME, then the kept local environment', () => {
      // Prepare
      const withTable = { VIEW_TABLE_NAME: 'from-env' };

      // Act
      const targets = [resolveViewTarget({ stack: 'local' }, withTable, state), resolveViewTarget({}, withTable, state), resolveViewTarget({}, {}, state)];

      // Assess
      expect(targets.map((t) => t.tableName)).to.deep.equal(['realtime-insights-local-view', 'from-env', 'from-state']);
      expect(targets[0]?.env['AWS_ENDPOINT_URL_DYNAMODB']).to.equal('http://127.0.0.1:1');
      expect(targets[2]?.env['AWS_ENDPOINT_URL_DYNAMODB']).to.equal('http://127.0.0.1:1');
    });

    it('says what to do when nothing names a table', () => {
      // Prepare
      const nothing = {};

      // Act
      const act = () => resolveViewTarget({}, nothing, undefined);

      // Assess
      expect(act).to.throw(/VIEW_TABLE_NAME/);
    });
  });

  describe('Function: formatInsights', () => {
    it('shows "(none)" when there are no anomalies and "(no transactions)" for an empty month', () => {
      // Prepare
      const insights: UserInsights = { userId: 'u', months: [{ month: '2026-10', totals: [] }], recent: [], anomalies: [], generatedAt: '2026-11-25T00:00:00.000Z' };

      // Act
      const text = formatInsights(insights);

      // Assess
      expect(text).to.include('(no transactions)').and.to.include('(none)');
    });
  });
});
