import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalEnv } from '../../../local/env/index.js';
import { ensureTable } from '../../../local/env/provision.js';
import { tableName } from '../../../shared/catalog.js';
import { uniqueStack } from '../../helpers/local-env.js';

/** A stack's view table of its own, and clients for the roles that touch it. */
export interface StackView {
  readonly stack: string;
  readonly tableName: string;
  /** As the projector: what writes the view. */
  readonly projector: DynamoDBClient;
  /** As the api role: reads pass the local IAM front only if the contract grants them. */
  readonly api: DynamoDBClient;
  /** Drops the table and closes the clients. */
  close(): Promise<void>;
}

/**
 * The catalog's view table of a new stack, so the read path runs under the api role's own grants,
 * exactly as a deployed task would (a table under any other name would be denied).
 */
export async function createStackView(env: LocalEnv): Promise<StackView> {
  const stack = uniqueStack();
  const name = tableName(stack, 'view');
  const operator = env.clients();
  await ensureTable(operator.dynamodb, name, 'view');
  const projector = env.clientsFor('projector', stack);
  const api = env.clientsFor('api', stack);
  return {
    stack,
    tableName: name,
    projector: projector.dynamodb,
    api: api.dynamodb,
    close: async () => {
      await operator.dynamodb.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
      for (const clients of [operator, projector, api]) clients.destroy();
    },
  };
}
