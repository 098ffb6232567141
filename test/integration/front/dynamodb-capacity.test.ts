import type { BatchWriteItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, BatchWriteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'chai';
import { startFronts } from '../../../local/env/front/fronts.js';
import type { Fronts } from '../../../local/env/front/fronts.js';
import { LOCAL_REGION, operatorCredentials } from '../../../local/env/front/identities.js';
import { HOT_KEY_MESSAGE, PARTITION_LIMITS } from '../../../local/env/front/limits/dynamodb-capacity.js';
import type { TableCapacity } from '../../../local/env/front/limits/dynamodb-capacity.js';
import { readUnits, writeUnits } from '../../../local/env/front/limits/item-size.js';
import { provisionCatalog } from '../../../local/env/provision.js';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { AwsClients } from '../../../shared/aws/clients.js';
import type { StackResourceNames } from '../../../shared/catalog.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';

/** A rejects-table item of about `bytes` bytes under partition key `id`. */
const item = (id: string, bytes: number) => ({ rejectId: { S: id }, pad: { S: 'x'.repeat(bytes) } });

describe('Local front: DynamoDB capacity', function () {
  this.timeout(60_000);
  let fronts: Fronts;
  let clients: AwsClients & { destroy(): void };
  let names: StackResourceNames;
  const capacity = (): Record<string, TableCapacity> => (fronts.stats().fronts[0]?.middlewares['dynamodbCapacity'] as { tables: Record<string, TableCapacity> }).tables;

  before(async () => {
    const env = await getLocalEnv();
    const operator = env.clients();
    try {
      names = await provisionCatalog(operator, { stack: uniqueStack(), shards: { raw: 1, results: 1 } });
    } finally {
      operator.destroy();
    }
    const upstreams = env.front?.upstreams ?? env.endpoints;
    fronts = await startFronts({ services: [{ service: 'dynamodb', upstream: upstreams.dynamodb }] });
    clients = createAwsClients({ region: LOCAL_REGION, credentials: operatorCredentials(), maxAttempts: 1, env: { AWS_ENDPOINT_URL_DYNAMODB: fronts.endpoints.dynamodb ?? '' } });
  });

  after(async () => {
    clients?.destroy();
    await fronts?.close();
  });

  it('counts capacity as AWS bills it: per KB written, twice in a transaction, per 4 KB read, half eventually consistent', async () => {
    // Prepare
    const table = names.tables.rejects;
    const before = capacity()[table] ?? { wru: 0, rru: 0 };

    // Act
    const put = await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: item('a', 2_500), ReturnConsumedCapacity: 'TOTAL' }));
    const quiet = await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: item('b', 100) }));
    const transact = await clients.dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: table, Item: item('c', 100) } }], ReturnConsumedCapacity: 'TOTAL' }));
    const eventual = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { rejectId: { S: 'a' } }, ReturnConsumedCapacity: 'TOTAL' }));
    const strong = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { rejectId: { S: 'a' } }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));

    // Assess: DynamoDB Local's reported figures follow AWS's rules
    expect(put.ConsumedCapacity?.CapacityUnits).to.equal(writeUnits(2_520));
    expect(quiet.ConsumedCapacity, 'not asked, not handed back').to.equal(undefined);
    expect(transact.ConsumedCapacity?.[0]?.CapacityUnits).to.equal(writeUnits(120, true));
    expect(eventual.ConsumedCapacity?.CapacityUnits).to.equal(readUnits(2_520, 'eventual'));
    expect(strong.ConsumedCapacity?.CapacityUnits).to.equal(readUnits(2_520, 'strong'));
    const after = capacity()[table];
    expect(after?.wru).to.equal(before.wru + writeUnits(2_520) + writeUnits(120) + writeUnits(120, true));
    expect(after?.rru).to.equal(before.rru + readUnits(2_520, 'eventual') + readUnits(2_520, 'strong'));
    expect(after?.roles['operator']?.wru).to.equal(after?.wru);
  });

  it('charges a read of an item that does not exist as AWS does: a whole unit strongly consistent, half eventually, each key of a batch apart', async () => {
    // Prepare
    const table = names.tables.rejects;
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: item('found', 5_000) }));
    const before = { ...(capacity()[table] ?? { wru: 0, rru: 0 }) };

    // Act
    const missing = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { rejectId: { S: 'absent-1' } }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));
    const batch = await clients.dynamodb.send(
      new BatchGetItemCommand({
        RequestItems: { [table]: { Keys: [{ rejectId: { S: 'found' } }, { rejectId: { S: 'absent-2' } }, { rejectId: { S: 'absent-3' } }], ConsistentRead: true } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    const eventual = await clients.dynamodb.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: [{ rejectId: { S: 'absent-4' } }] } } }));

    // Assess
    const found = readUnits(5_020, 'strong');
    expect(missing.ConsumedCapacity?.CapacityUnits).to.equal(readUnits(0, 'strong'));
    expect(batch.Responses?.[table]).to.have.length(1);
    expect(batch.ConsumedCapacity?.[0]?.CapacityUnits).to.equal(found + 2 * readUnits(0, 'strong'));
    expect(eventual.Responses?.[table]).to.deep.equal([]);
    expect(capacity()[table]?.rru).to.equal(before.rru + readUnits(0, 'strong') + found + 2 * readUnits(0, 'strong') + readUnits(0, 'eventual'));
  });

  it('refuses a partition-key value past 1,000 WRU a second with ProvisionedThroughputExceededException, and a batch\'s entries on it as unprocessed', async () => {
    // Prepare: items of nearly 400 KB (400 WRU each) on one key
    const table = names.tables.rejects;
    const big = (n: number) => ({ rejectId: { S: 'hot' }, n: { S: String(n) }, pad: { S: 'x'.repeat(399 * 1024) } });
    // Three seconds' worth of the key's units at once: one second's worth plus one put passed only
    // when all of them reached the front within a second, which a busy machine (CI runs every test
    // file's stacks side by side) did not always manage, and the key had refilled meanwhile.
    const puts = Math.ceil((3 * PARTITION_LIMITS.writeUnits) / writeUnits(399 * 1024)) + 1;

    // Act
    let batch: Promise<BatchWriteItemCommandOutput> | undefined;
    // The batch goes the moment a put is refused, while the key is still paying its second back.
    const sendBatch = () => (batch ??= clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: [{ PutRequest: { Item: item('hot', 10) } }, { PutRequest: { Item: item('cold', 10) } }] } })));
    const outcomes = await Promise.all(
      Array.from({ length: puts }, (_, n) =>
        clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: big(n) })).then(
          () => undefined,
          (error: unknown) => {
            void sendBatch();
            return error as Error;
          },
        ),
      ),
    );
    const written = await sendBatch();
    const query = await clients.dynamodb.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'rejectId = :k', ExpressionAttributeValues: { ':k': { S: 'cold' } } }));

    // Assess
    const refused = outcomes.filter((o) => o !== undefined);
    expect(refused.length).to.be.greaterThan(0);
    expect([refused[0]?.name, refused[0]?.message]).to.deep.equal(['ProvisionedThroughputExceededException', HOT_KEY_MESSAGE]);
    expect(written.UnprocessedItems?.[table]?.map((r) => r.PutRequest?.Item?.['rejectId']?.S)).to.deep.equal(['hot']);
    expect(query.Items?.length, 'another key is not held back').to.equal(1);
  });
});
