import type { StackResourceNames } from '../catalog.js';
import type { StackArns } from './resources.js';

/** Where a stack lives: the parts every ARN of it shares. */
export interface ArnScope {
  /** `aws` in the commercial partition. */
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/** `arn:aws:dynamodb:us-east-1:000000000000:table/name` from a scope and a physical name. */
export const arnOf = {
  stream: (scope: ArnScope, name: string): string => `arn:${scope.partition}:kinesis:${scope.region}:${scope.accountId}:stream/${name}`,
  table: (scope: ArnScope, name: string): string => `arn:${scope.partition}:dynamodb:${scope.region}:${scope.accountId}:table/${name}`,
  bucket: (scope: ArnScope, name: string): string => `arn:${scope.partition}:s3:::${name}`,
  object: (scope: ArnScope, bucketName: string, key: string): string => `arn:${scope.partition}:s3:::${bucketName}/${key}`,
};

function mapValues<K extends string>(record: Readonly<Record<K, string>>, to: (value: string) => string): Record<K, string> {
  return Object.fromEntries(Object.entries<string>(record).map(([key, value]) => [key, to(value)])) as Record<K, string>;
}

/**
 * The ARNs of a stack's catalog resources, built from their physical names: what AWS would name
 * them in that account and region. The local front renders each role's policy with these; the infra
 * tests rebuild the ARNs a plan names the same way.
 */
export function catalogArns(scope: ArnScope, names: Pick<StackResourceNames, 'streams' | 'tables' | 'buckets'>, extra: { keyArn: string; metricsNamespace: string; firehoseLogStreamArn?: string }): StackArns {
  return {
    keyArn: extra.keyArn,
    streams: mapValues(names.streams, (name) => arnOf.stream(scope, name)),
    tables: mapValues(names.tables, (name) => arnOf.table(scope, name)),
    buckets: mapValues(names.buckets, (name) => arnOf.bucket(scope, name)),
    metricsNamespace: extra.metricsNamespace,
    ...(extra.firehoseLogStreamArn === undefined ? {} : { firehoseLogStreamArn: extra.firehoseLogStreamArn }),
  };
}
