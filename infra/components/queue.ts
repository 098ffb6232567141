import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { RedisConfig } from '../config.js';
import type { StackContext } from '../context.js';

export interface QueueArgs {
  readonly context: StackContext;
  readonly config: RedisConfig;
  readonly keyArn: pulumi.Input<string>;
  /** The ElastiCache auth token (a Pulumi secret). */
  readonly authToken: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupId: pulumi.Input<string>;
}

export const REDIS_PORT = 6379;

/** `7.1` -> `redis7`: the parameter group family of a Redis engine version. */
export function redisFamily(engineVersion: string): string {
  return `redis${engineVersion.split('.')[0] ?? engineVersion}`;
}

/** ElastiCache ids: 1 to 40 lower-case letters, digits and hyphens, starting with a letter. */
export function replicationGroupId(stack: string): string {
  return `ri-${stack}-queue`.slice(0, 40);
}

/**
 * ElastiCache for Redis as BullMQ's store: a replication group with TLS in transit, an auth token
 * from a Pulumi secret, encryption at rest with the project key, a parameter group with
 * `maxmemory-policy noeviction` (BullMQ must never lose a job key to eviction), slow-log delivery
 * to an encrypted log group, and multi-AZ automatic failover where the stack asks for it.
 *
 * @example
 * const queue = new Queue('dev-queue', { context, config: config.compute.redis, keyArn, authToken, subnetIds, securityGroupId });
 * queue.redisUrl; // rediss://master.ri-dev-queue....cache.amazonaws.com:6379
 */
export class Queue extends pulumi.ComponentResource {
  /** `rediss://<primary endpoint>:6379`: what REDIS_URL holds. */
  public readonly redisUrl: pulumi.Output<string>;
  /** The primary endpoint's host name. */
  public readonly primaryEndpoint: pulumi.Output<string>;
  /** Replication group id. */
  public readonly replicationGroupId: pulumi.Output<string>;

  public constructor(name: string, args: QueueArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:queue:Queue', name, {}, opts);
    const { context, config } = args;
    const id = replicationGroupId(context.stack);

    const subnets = new aws.elasticache.SubnetGroup(`${name}-subnets`, { name: id, description: 'Task subnets', subnetIds: args.subnetIds }, { parent: this });
    const parameters = new aws.elasticache.ParameterGroup(
      `${name}-parameters`,
      {
        name: `${id}-params`,
        family: redisFamily(config.engineVersion),
        description: 'BullMQ: never evict keys',
        parameters: [{ name: 'maxmemory-policy', value: 'noeviction' }],
      },
      { parent: this },
    );
    const slowLog = new aws.cloudwatch.LogGroup(
      `${name}-slow-log`,
      { name: `/realtime-insights/${context.stack}/redis/slow-log`, retentionInDays: context.logRetentionDays, kmsKeyId: args.keyArn },
      { parent: this },
    );

    const group = new aws.elasticache.ReplicationGroup(
      `${name}-redis`,
      {
        replicationGroupId: id,
        description: `BullMQ queues of ${context.stack}`,
        engine: 'redis',
        engineVersion: config.engineVersion,
        nodeType: config.nodeType,
        port: REDIS_PORT,
        numCacheClusters: 1 + config.replicas,
        automaticFailoverEnabled: config.multiAz,
        multiAzEnabled: config.multiAz,
        transitEncryptionEnabled: true,
        atRestEncryptionEnabled: true,
        kmsKeyId: args.keyArn,
        authToken: pulumi.secret(args.authToken),
        // A changed token takes effect at once (not in the maintenance window): ROTATE first, so
        // tasks holding the old token keep working until they restart; then SET to revoke it.
        authTokenUpdateStrategy: config.authTokenUpdateStrategy,
        applyImmediately: true,
        subnetGroupName: subnets.name,
        securityGroupIds: [args.securityGroupId],
        parameterGroupName: parameters.name,
        snapshotRetentionLimit: context.protect ? 7 : 0,
        autoMinorVersionUpgrade: true,
        logDeliveryConfigurations: [{ destination: slowLog.name, destinationType: 'cloudwatch-logs', logFormat: 'json', logType: 'slow-log' }],
      },
      { parent: this, protect: context.protect },
    );

    this.primaryEndpoint = group.primaryEndpointAddress;
    this.redisUrl = pulumi.interpolate`rediss://${group.primaryEndpointAddress}:${REDIS_PORT}`;
    this.replicationGroupId = group.replicationGroupId;
    this.registerOutputs({ redisUrl: this.redisUrl, primaryEndpoint: this.primaryEndpoint, replicationGroupId: this.replicationGroupId });
  }
}
