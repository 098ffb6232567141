import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { render } from '../lib/iam.js';
import type { Statement } from '../lib/iam.js';

/** A storage-class move of objects under a prefix after some days. */
export interface BucketTransition {
  readonly days: number;
  /** `STANDARD_IA`, `GLACIER_IR`, ... */
  readonly storageClass: string;
}

export interface SecureBucketArgs {
  /** Globally unique bucket name (from the catalog, with the account id suffix). */
  readonly bucketName: pulumi.Input<string>;
  /** The project key: default encryption is SSE-KMS with it, with an S3 bucket key. */
  readonly keyArn: pulumi.Input<string>;
  /** Delete objects with the bucket on `pulumi destroy`. @default false */
  readonly forceDestroy?: boolean;
  /** `protect` the bucket against `pulumi destroy`. @default false */
  readonly protect?: boolean;
  /** Storage-class moves for current versions, in order of days. @default none */
  readonly transitions?: readonly BucketTransition[];
  /** Days until current versions expire; 0 or undefined keeps them. */
  readonly expireDays?: number;
  /** Days a replaced or deleted version is kept. @default 30 */
  readonly noncurrentDays?: number;
  /** Prefixes whose objects expire sooner than the rest (Athena's query results). @default none */
  readonly prefixExpirations?: readonly { readonly prefix: string; readonly days: number }[];
}

/**
 * An S3 bucket with the project's baseline: owner-enforced objects (no ACLs), every public-access
 * switch on, SSE-KMS with the project key and a bucket key, versioning, a bucket policy that
 * denies any request not over TLS 1.2+, and a lifecycle that also cleans up failed uploads.
 *
 * @example
 * const archive = new SecureBucket('dev-archive-bucket', { bucketName, keyArn, transitions: [{ days: 30, storageClass: 'STANDARD_IA' }] });
 */
export class SecureBucket extends pulumi.ComponentResource {
  /** The bucket resource. */
  public readonly bucket: aws.s3.Bucket;
  /** The bucket's name. */
  public readonly name: pulumi.Output<string>;
  /** `arn:aws:s3:::<name>`. */
  public readonly arn: pulumi.Output<string>;

  public constructor(name: string, args: SecureBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:storage:SecureBucket', name, {}, opts);
    this.bucket = new aws.s3.Bucket(
      `${name}-s3`,
      { bucket: args.bucketName, forceDestroy: args.forceDestroy ?? false },
      { parent: this, protect: args.protect ?? false },
    );
    // Children name the bucket by its `bucket` property, known at preview time, so policy checks
    // can tie each setting to its bucket before anything exists.
    const bucketName = this.bucket.bucket;
    const parent = { parent: this };

    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucketName, rule: { objectOwnership: 'BucketOwnerEnforced' } }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucketName, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucketName,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: args.keyArn }, bucketKeyEnabled: true }],
      },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucketName, versioningConfiguration: { status: 'Enabled' } }, parent);
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket: bucketName, policy: this.bucket.arn.apply((arn) => render({ Version: '2012-10-17', Statement: tlsOnlyStatements(arn) })) },
      // S3 rejects policy changes while the public access block is being applied.
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucketName,
        rules: [
          {
            id: 'current-versions',
            status: 'Enabled',
            filter: {},
            transitions: (args.transitions ?? []).map((t) => ({ days: t.days, storageClass: t.storageClass })),
            ...(args.expireDays !== undefined && args.expireDays > 0 ? { expiration: { days: args.expireDays } } : {}),
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentDays ?? 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
          // Once its noncurrent versions expire a deleted object leaves only a delete marker behind,
          // which every listing still walks: remove it (S3 refuses this beside a days expiration).
          { id: 'delete-markers', status: 'Enabled', filter: {}, expiration: { expiredObjectDeleteMarker: true } },
          ...(args.prefixExpirations ?? []).map(({ prefix, days }) => ({
            id: `expire-${prefix.replace(/[^A-Za-z0-9-]/g, '')}`,
            status: 'Enabled',
            filter: { prefix },
            expiration: { days },
            noncurrentVersionExpiration: { noncurrentDays: 1 },
          })),
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );

    this.name = bucketName;
    this.arn = this.bucket.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}

/** Deny any request to the bucket or its objects that is not over TLS, or over TLS older than 1.2. */
export function tlsOnlyStatements(bucketArn: string): Statement[] {
  const resources = [bucketArn, `${bucketArn}/*`];
  return [
    { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: ['s3:*'], Resource: resources, Condition: { Bool: { 'aws:SecureTransport': false } } },
    { Sid: 'DenyOutdatedTls', Effect: 'Deny', Principal: '*', Action: ['s3:*'], Resource: resources, Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } },
  ];
}
