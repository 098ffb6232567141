import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import type { StackContext } from '../context.js';

export interface SecretsArgs {
  readonly context: StackContext;
  readonly keyArn: pulumi.Input<string>;
  /** The data broker's bearer token (a Pulumi secret). */
  readonly brokerApiKey: pulumi.Input<string>;
  /** The ElastiCache auth token (a Pulumi secret), also given to the replication group. */
  readonly redisAuthToken: pulumi.Input<string>;
}

/**
 * The two secrets the workers read, in Secrets Manager encrypted with the project key. ECS puts
 * them into the containers that need them (`secrets`, never plain `environment`).
 *
 * @example
 * const secrets = new Secrets('dev-secrets', { context, keyArn, brokerApiKey, redisAuthToken });
 * secrets.arns.BROKER_API_KEY;
 */
export class Secrets extends pulumi.ComponentResource {
  /** Secret ARNs, keyed by the worker variable each one fills. */
  public readonly arns: { readonly BROKER_API_KEY: pulumi.Output<string>; readonly REDIS_AUTH_TOKEN: pulumi.Output<string> };

  public constructor(name: string, args: SecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:secrets:Secrets', name, {}, opts);
    const { context } = args;
    const make = (suffix: string, description: string, value: pulumi.Input<string>) => {
      const secret = new aws.secretsmanager.Secret(
        `${name}-${suffix}`,
        {
          // A prefix, not a fixed name: a replacement is created before the old secret is gone, and
          // a deleted secret's name stays taken for its recovery window.
          namePrefix: `${PROJECT}/${context.stack}/${suffix}-`,
          description,
          kmsKeyId: args.keyArn,
          // 0 deletes at once, so a dev stack can be destroyed and created again under the same name.
          recoveryWindowInDays: context.forceDestroy ? 0 : 30,
        },
        { parent: this },
      );
      new aws.secretsmanager.SecretVersion(`${name}-${suffix}-value`, { secretId: secret.id, secretString: pulumi.secret(value) }, { parent: this });
      return secret.arn;
    };
    this.arns = {
      BROKER_API_KEY: make('broker-api-key', 'Bearer token of the data broker API (crawler).', args.brokerApiKey),
      REDIS_AUTH_TOKEN: make('redis-auth-token', 'ElastiCache auth token (stream-reader, scorer).', args.redisAuthToken),
    };
    this.registerOutputs({ arns: this.arns });
  }
}
