import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { TABLES, tableName } from '../../shared/catalog.js';
import type { TableName, TableSpec } from '../../shared/catalog.js';
import type { StackContext } from '../context.js';

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
 * tables.arns.leases;
 */
export class Tables extends pulumi.ComponentResource {
  /** Physical names by logical name (from the catalog). */
  public readonly names: Readonly<Record<TableName, string>>;
  /** ARNs by logical name. */
  public readonly arns: Readonly<Record<TableName, pulumi.Output<string>>>;

  public constructor(name: string, args: TablesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:tables:Tables', name, {}, opts);
    const { context } = args;
    const names = {} as Record<TableName, string>;
    const arns = {} as Record<TableName, pulumi.Output<string>>;
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
      names[logical] = tableName(context.stack, logical);
      arns[logical] = table.arn;
    }
    this.names = names;
    this.arns = arns;
    this.registerOutputs({ names: this.names, arns: this.arns });
  }
}
