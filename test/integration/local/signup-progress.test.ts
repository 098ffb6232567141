import { expect } from 'chai';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startBroker } from '../../../local/broker/index.js';
import type { SyncBrokerHandle } from '../../../local/broker/index.js';
import { SignupProgress } from '../../../local/signups/signup-progress.js';
import { parseDecimalToMinor } from '../../../shared/money.js';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { localMonth } from '../../../shared/view/months.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { getLocalEnv } from '../../helpers/local-env.js';
import { createStackView } from '../api/stack-view.js';
import type { StackView } from '../api/stack-view.js';
import { scoredResult } from '../projector/scored-results.js';
import { waitFor } from '../crawler/helpers.js';

/** Counts a client's Query calls: what a poll costs the store. */
function countQueries(client: DynamoDBClient): () => number {
  let queries = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') queries += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countQueries' },
  );
  return () => queries;
}

describe('Class: SignupProgress', function () {
  this.timeout(60_000);
  let broker: SyncBrokerHandle;
  let view: StackView;
  let destroy: () => void = () => undefined;

  beforeEach(async () => {
    broker = await startBroker({ records: 0, historyDelayMs: 0, maxPageSize: 100 });
    view = await createStackView(await getLocalEnv());
  });
  afterEach(async () => {
    destroy();
    await view.close();
    await broker.close();
  });

  it('finds a sign-up whole only once every month of its history is in the view, at its last write, reading again only the months still incomplete', async () => {
    // Prepare: a linked history, written to the view as the projector writes it, all but its latest month first.
    const connection = broker.link('user-progress', 600);
    await waitFor('the history job', () => broker.connections().find((c) => c.connectionId === connection.connectionId)?.historyReadyAt !== undefined);
    const standing = broker.standing(connection.connectionId);
    const results: ScoredResult[] = standing.map((t) =>
      scoredResult({ transactionId: t.transactionId, userId: t.userId, accountId: t.accountId, bookedAt: t.bookedAt, amount: parseDecimalToMinor(t.amount.value, t.amount.currency) }),
    );
    const months = [...new Set(results.map((r) => localMonth(r.bookedAt)))].sort();
    const lastMonth = months[months.length - 1]!;
    let now = connection.linkedAt + 1_000;
    const writer = new ViewWriter({ dynamodb: view.projector, tableName: view.tableName, clock: () => new Date(now) });
    const env = await getLocalEnv();
    const operator = env.clients();
    destroy = () => operator.destroy();
    const queries = countQueries(operator.dynamodb);
    const progress = new SignupProgress(operator.dynamodb, view.tableName, broker);
    await writer.write(results.filter((r) => localMonth(r.bookedAt) !== lastMonth));

    // Act
    const before = await progress.poll([connection]);
    const firstPollQueries = queries();
    now = connection.linkedAt + 4_000;
    await writer.write(results.filter((r) => localMonth(r.bookedAt) === lastMonth));
    const after = await progress.poll([connection]);
    const secondPollQueries = queries() - firstPollQueries;
    const again = await progress.poll([connection]);

    // Assess
    expect(months.length, 'a history over several months').to.be.greaterThan(2);
    expect(before).to.include({ count: 0, incomplete: 1 });
    expect(firstPollQueries).to.be.at.least(months.length);
    expect(after).to.include({ count: 1, incomplete: 0, transactions: standing.length, p95Ms: 4_000 });
    expect(secondPollQueries, 'only the month that was not whole is read again').to.equal(1);
    expect(again).to.deep.equal(after);
    expect(queries() - firstPollQueries - secondPollQueries, 'a whole sign-up is not read again').to.equal(0);
  });
});
