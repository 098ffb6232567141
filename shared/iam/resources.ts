import { STREAM_CONSUMERS } from '../catalog.js';
import type { BucketName, StreamConsumerName, StreamName, TableName } from '../catalog.js';

/**
 * The resources a grant names, by catalog logical name. A rendering turns each into the ARN of one
 * stack (`RoleArns`): the Pulumi program with the ARNs of the resources it created, the local front
 * with the ARNs of a local stack's catalog names.
 */
export type ResourceRef =
  | { readonly kind: 'stream'; readonly name: StreamName }
  /** A registered consumer of a stream, any registration of it: `<stream arn>/consumer/<name>:*`. */
  | { readonly kind: 'stream-consumer'; readonly name: StreamConsumerName }
  | { readonly kind: 'table'; readonly name: TableName }
  | { readonly kind: 'table-index'; readonly name: TableName; readonly index: string }
  | { readonly kind: 'bucket'; readonly name: BucketName }
  | { readonly kind: 'objects'; readonly bucket: BucketName; readonly prefix: string }
  | { readonly kind: 'project-key' }
  | { readonly kind: 'firehose-log-stream' }
  | { readonly kind: 'any' };

/** Builders, so the contract reads as `stream('raw')`, `objects('rawArchive', RAW_ARCHIVE_PREFIX)`. */
export const stream = (name: StreamName): ResourceRef => ({ kind: 'stream', name });
export const streamConsumer = (name: StreamConsumerName): ResourceRef => ({ kind: 'stream-consumer', name });
export const table = (name: TableName): ResourceRef => ({ kind: 'table', name });
/** `<table arn>/index/<index>`; `*` for every index of the table. */
export const tableIndex = (name: TableName, index = '*'): ResourceRef => ({ kind: 'table-index', name, index });
export const bucket = (name: BucketName): ResourceRef => ({ kind: 'bucket', name });
/** Every object under a key prefix: `arn:aws:s3:::bucket/prefix*`. */
export const objects = (bucketName: BucketName, prefix: string): ResourceRef => ({ kind: 'objects', bucket: bucketName, prefix });
export const PROJECT_KEY: ResourceRef = { kind: 'project-key' };
export const FIREHOSE_LOG_STREAM: ResourceRef = { kind: 'firehose-log-stream' };
/** Only for actions AWS authorises on nothing narrower (see `UNSCOPED_ACTIONS` in the policy pack). */
export const ANY: ResourceRef = { kind: 'any' };

/** The ARNs of one stack that the contract's resources render to. */
export interface RoleArns {
  /** The stack's KMS key. */
  readonly keyArn: string;
  /** Stream ARNs; a role's rendering needs only the ones its grants name. */
  readonly streams: Readonly<Partial<Record<StreamName, string>>>;
  readonly tables: Readonly<Partial<Record<TableName, string>>>;
  /** Bucket ARNs (`arn:aws:s3:::name`). */
  readonly buckets: Readonly<Partial<Record<BucketName, string>>>;
  /** The CloudWatch namespace workers publish to, and nothing else. */
  readonly metricsNamespace: string;
  /** Firehose's delivery-error log stream; only the Firehose role names it. */
  readonly firehoseLogStreamArn?: string;
}

/** Every catalog resource's ARN of one stack: what a stack's renderings are made from. */
export interface StackArns extends RoleArns {
  readonly streams: Readonly<Record<StreamName, string>>;
  readonly tables: Readonly<Record<TableName, string>>;
  readonly buckets: Readonly<Record<BucketName, string>>;
}

export class UnrenderableGrantError extends Error {
  public override readonly name = 'UnrenderableGrantError';
}

function known(kind: string, name: string, arn: string | undefined): string {
  if (arn === undefined) throw new UnrenderableGrantError(`a grant names the ${kind} '${name}', but no ARN was given for it`);
  return arn;
}

/** The ARN a reference stands for in one stack; throws when the ARNs given lack it. */
export function resolveResource(ref: ResourceRef, arns: RoleArns): string {
  switch (ref.kind) {
    case 'stream':
      return known('stream', ref.name, arns.streams[ref.name]);
    case 'stream-consumer': {
      // The ARN ends in the registration's creation time; `:*` keeps the grant across a re-registration.
      const spec = STREAM_CONSUMERS[ref.name];
      return `${known('stream', spec.stream, arns.streams[spec.stream])}/consumer/${spec.consumerName}:*`;
    }
    case 'table':
      return known('table', ref.name, arns.tables[ref.name]);
    case 'table-index':
      return `${known('table', ref.name, arns.tables[ref.name])}/index/${ref.index}`;
    case 'bucket':
      return known('bucket', ref.name, arns.buckets[ref.name]);
    case 'objects':
      return `${known('bucket', ref.bucket, arns.buckets[ref.bucket])}/${ref.prefix}*`;
    case 'project-key':
      return arns.keyArn;
    case 'firehose-log-stream':
      if (arns.firehoseLogStreamArn === undefined) throw new UnrenderableGrantError('the Firehose role names its delivery log stream, but no firehoseLogStreamArn was given');
      return arns.firehoseLogStreamArn;
    case 'any':
      return '*';
  }
}

/** `arn:aws:kms:eu-west-1:123:key/x` -> `eu-west-1`; undefined for a global ARN. */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region === undefined || region === '' ? undefined : region;
}

/** A reference as the least-privilege report names it: `table:leases`, `objects:rawArchive/raw/*`, `project-key`, `*`. */
export function refLabel(ref: ResourceRef): string {
  switch (ref.kind) {
    case 'stream':
    case 'table':
    case 'bucket':
      return `${ref.kind}:${ref.name}`;
    case 'table-index':
      return `table:${ref.name}/index/${ref.index}`;
    case 'stream-consumer':
      return `stream-consumer:${ref.name}`;
    case 'objects':
      return `objects:${ref.bucket}/${ref.prefix}*`;
    case 'project-key':
    case 'firehose-log-stream':
      return ref.kind;
    case 'any':
      return '*';
  }
}
