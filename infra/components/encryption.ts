import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import type { StackContext } from '../context.js';
import { render } from '../lib/iam.js';
import { keyPolicy } from '../lib/key-policy.js';

export interface EncryptionArgs {
  readonly context: StackContext;
  /**
   * Days KMS waits before deleting the key after `pulumi destroy`.
   * @default 30 (7 when the stack may force-destroy)
   */
  readonly deletionWindowDays?: number;
}

/**
 * The project key: a customer-managed KMS key with yearly rotation and an alias per stack. Every
 * stream, bucket, table, queue, secret and log group of the stack is encrypted with it.
 *
 * @example
 * const encryption = new Encryption('dev-encryption', { context });
 * new aws.kinesis.Stream('raw', { encryptionType: 'KMS', kmsKeyId: encryption.keyArn });
 */
export class Encryption extends pulumi.ComponentResource {
  /** The key itself. */
  public readonly key: aws.kms.Key;
  /** ARN of the key: what every encrypted resource names. */
  public readonly keyArn: pulumi.Output<string>;
  /** `alias/realtime-insights-<stack>`. */
  public readonly aliasName: pulumi.Output<string>;

  public constructor(name: string, args: EncryptionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:encryption:Encryption', name, {}, opts);
    const { context } = args;
    const policy = pulumi
      .all([context.accountId, context.partition])
      .apply(([accountId, partition]) => render(keyPolicy({ accountId, partition, region: context.region })));

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `${PROJECT} ${context.stack}: streams, archive, tables, queue, secrets and logs`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: args.deletionWindowDays ?? (context.forceDestroy ? 7 : 30),
        policy,
      },
      { parent: this, protect: context.protect },
    );
    const alias = new aws.kms.Alias(`${name}-alias`, { name: `alias/${PROJECT}-${context.stack}`, targetKeyId: this.key.keyId }, { parent: this });

    this.keyArn = this.key.arn;
    this.aliasName = alias.name;
    this.registerOutputs({ keyArn: this.keyArn, aliasName: this.aliasName });
  }
}
