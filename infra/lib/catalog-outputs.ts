import * as pulumi from '@pulumi/pulumi';
import { QUEUES, queueName, queuePrefix } from '../../shared/catalog.js';
import type { BucketName, QueueName, StackResourceNames, StreamName, TableName } from '../../shared/catalog.js';
import type { StackArns } from '../../shared/iam/resources.js';

/**
 * The one path a catalog resource's name takes into a task: catalog → the resource a component
 * creates → its `name` and `arn` Outputs → every task environment and policy that names it. A task
 * definition built from these Outputs depends on the stream, table or bucket it names, so Pulumi
 * creates them first and a rename reaches every task in the same `up`.
 */

/** What a component hands on for one catalog resource it created. */
export interface CatalogResource {
  /** The physical name, as the resource reports it. */
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
}

/** Every stream, table and bucket of the catalog, as the components created them. */
export interface CatalogResources {
  readonly streams: Readonly<Record<StreamName, CatalogResource>>;
  readonly tables: Readonly<Record<TableName, CatalogResource>>;
  readonly buckets: Readonly<Record<BucketName, CatalogResource>>;
}

function collect<K extends string>(record: Readonly<Record<K, CatalogResource>>, pick: (r: CatalogResource) => pulumi.Output<string>): pulumi.Output<Record<K, string>> {
  const entries = Object.entries<CatalogResource>(record).map(([key, resource]) => pick(resource).apply((value) => [key, value] as const));
  return pulumi.all(entries).apply((pairs) => Object.fromEntries(pairs) as Record<K, string>);
}

/**
 * The stack's physical names from the resources themselves; queues are BullMQ key names in Redis,
 * not AWS resources, so they come straight from the catalog.
 */
export function catalogNames(stack: string, resources: CatalogResources): pulumi.Output<StackResourceNames> {
  const queues = Object.fromEntries((Object.keys(QUEUES) as QueueName[]).map((queue) => [queue, queueName(stack, queue)])) as Record<QueueName, string>;
  return pulumi
    .all([collect(resources.streams, (r) => r.name), collect(resources.tables, (r) => r.name), collect(resources.buckets, (r) => r.name)])
    .apply(([streams, tables, buckets]) => ({ streams, tables, buckets, queues, queuePrefix: queuePrefix(stack) }));
}

/** The ARNs every role's policy is rendered with, from the resources themselves. */
export function catalogArns(resources: CatalogResources, extra: { readonly keyArn: pulumi.Input<string>; readonly metricsNamespace: string }): pulumi.Output<StackArns> {
  return pulumi
    .all([pulumi.output(extra.keyArn), collect(resources.streams, (r) => r.arn), collect(resources.tables, (r) => r.arn), collect(resources.buckets, (r) => r.arn)])
    .apply(([keyArn, streams, tables, buckets]) => ({ keyArn, streams, tables, buckets, metricsNamespace: extra.metricsNamespace }));
}
