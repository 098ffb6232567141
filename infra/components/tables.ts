import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { TABLES, tableName } from '../../shared/catalog.js';
import type { TableName, TableSpec } from '../../shared/catalog.js';
import type { StackContext } from '../context.js';
import type { CatalogResource } from '../lib/catalog-outputs.js';

export interface TablesArgs {
  readonly context: StackContext;
  readonly keyArn: pulumi.Input<string>;
}

/** Key attributes of a catalog table, as DynamoDB wants them declared. */
export function keyAttributes(spec: TableSpec): { name: string; type: string }[] {
  return [spec.partitionKey, ...(spec.sortKey === undefined ? [] : [spec.sortKey])].map((a) => ({ name: a.name, type: a.type }));
}

/**
 * Every DynamoDB table of the catalog (insights view, shard leases, ingest ledger, crawler cursor,
 * rejects, batch state), named per stack: on-demand billing, point-in-time recovery, encryption
 * with the project key, TTL where the catalog names an expiry attribute, and deletion protection
 * where the stack asks for it.
 *
 * @example
 * const tables = new Tables('dev-tables', { context, keyArn });
 * tables.resources.leases.arn;
 */
export class Tables extends pulumi.ComponentResource {
  /** Name and ARN of each table, as the table reports them: what tasks and policies are given. */
  public readonly resources: Readonly<Record<TableName, CatalogResource>>;

  public constructor(name: string, args: TablesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:tables:Tables', name, {}, opts);
    const { context } = args;
    const resources = {} as Record<TableName, CatalogResource>;
    for (const logical of Object.keys(TABLES) as TableName[]) {
      const spec: TableSpec = TABLES[logical];
      const table = new aws.dynamodb.Table(
        `${name}-${logical}`,
        {
          name: tableName(context.stack, logical),
          billingMode: 'PAY_PER_REQUEST',
          hashKey: spec.partitionKey.name,
          ...(spec.sortKey === undefined ? {} : { rangeKey: spec.sortKey.name }),
          attributes: keyAttributes(spec),
          pointInTimeRecovery: { enabled: true },
          serverSideEncryption: { enabled: true, kmsKeyArn: args.keyArn },
          ...(spec.ttlAttribute === undefined ? {} : { ttl: { attributeName: spec.ttlAttribute, enabled: true } }),
          deletionProtectionEnabled: context.protect,
          tags: { 'realtime-insights:table': logical },
        },
        { parent: this, protect: context.protect },
      );
      resources[logical] = { name: table.name, arn: table.arn };
    }
    this.resources = resources;
    this.registerOutputs({ resources: this.resources });
  }
}
