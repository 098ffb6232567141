import * as aws from '@pulumi/aws';
import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';
import type { NatStrategy, NetworkConfig } from '../config.js';
import type { StackContext } from '../context.js';

export interface NetworkArgs {
  readonly context: StackContext;
  readonly config: NetworkConfig;
}

/** Gateway endpoints: free, routed through the task subnets' route tables. */
export const GATEWAY_ENDPOINTS = ['s3', 'dynamodb'] as const;
/**
 * Interface endpoints: the AWS APIs tasks call, so a stack without NAT still pulls images, writes
 * logs, reads secrets, uses Kinesis and publishes the backlog metric (`monitoring`).
 */
export const INTERFACE_ENDPOINTS = ['kinesis-streams', 'ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'monitoring'] as const;

const NAT: Record<NatStrategy, awsx.types.enums.ec2.NatGatewayStrategy> = { none: 'None', single: 'Single', 'one-per-az': 'OnePerAz' };

/**
 * The stack's VPC (`awsx.ec2.Vpc`): task subnets in every zone (private behind NAT, or isolated
 * when the stack runs without NAT), S3 and DynamoDB gateway endpoints, interface endpoints for the
 * other AWS APIs, and security groups that take no traffic from outside the VPC: tasks accept no
 * ingress at all, Redis and the endpoints accept only the tasks' group.
 *
 * @example
 * const network = new Network('dev-network', { context, config: config.compute.network });
 * network.taskSubnetIds; network.taskSecurityGroupId;
 */
export class Network extends pulumi.ComponentResource {
  /** The VPC component. */
  public readonly vpc: awsx.ec2.Vpc;
  /** VPC id. */
  public readonly vpcId: pulumi.Output<string>;
  /** Subnets tasks, Redis and the interface endpoints live in: one per zone, none public. */
  public readonly taskSubnetIds: pulumi.Output<string[]>;
  /** Security group of every task; no ingress rules. */
  public readonly taskSecurityGroupId: pulumi.Output<string>;
  /** Security group of the Redis replication group; ingress from tasks on 6379 only. */
  public readonly redisSecurityGroupId: pulumi.Output<string>;

  public constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:network:Network', name, {}, opts);
    const { context, config } = args;
    const withNat = config.natGateways !== 'none';

    this.vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: config.cidr,
        numberOfAvailabilityZones: config.availabilityZones,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: { strategy: NAT[config.natGateways] },
        subnetStrategy: 'Auto',
        // Without NAT there is no route out, so the task subnets are isolated and no public subnet
        // (nor internet gateway route) is needed; with NAT the gateways live in small public subnets.
        subnetSpecs: withNat
          ? [
              { type: 'Public', name: 'public', cidrMask: 26 },
              { type: 'Private', name: 'tasks' },
            ]
          : [{ type: 'Isolated', name: 'tasks' }],
        vpcEndpointSpecs: GATEWAY_ENDPOINTS.map((service) => ({ serviceName: `com.amazonaws.${context.region}.${service}`, vpcEndpointType: 'Gateway' })),
        // Fill the gateway endpoints' route tables from the subnets this component creates.
        vpcEndpointStrategy: 'Auto',
      },
      { parent: this },
    );
    this.vpcId = this.vpc.vpcId;
    this.taskSubnetIds = withNat ? this.vpc.privateSubnetIds : this.vpc.isolatedSubnetIds;
    const vpcCidr = config.cidr;

    const tasks = new aws.ec2.SecurityGroup(
      `${name}-tasks`,
      {
        vpcId: this.vpcId,
        description: 'Worker tasks: no ingress; HTTPS out, Redis inside the VPC',
        egress: [
          { protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'], description: 'AWS APIs (endpoints or NAT) and the data broker' },
          { protocol: 'tcp', fromPort: 6379, toPort: 6379, cidrBlocks: [vpcCidr], description: 'ElastiCache for Redis' },
        ],
      },
      { parent: this },
    );
    const endpoints = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: this.vpcId,
        description: 'Interface endpoints: HTTPS from worker tasks only',
        ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, securityGroups: [tasks.id], description: 'Worker tasks' }],
        egress: [],
      },
      { parent: this },
    );
    const redis = new aws.ec2.SecurityGroup(
      `${name}-redis`,
      {
        vpcId: this.vpcId,
        description: 'ElastiCache for Redis: TLS port from worker tasks only',
        ingress: [{ protocol: 'tcp', fromPort: 6379, toPort: 6379, securityGroups: [tasks.id], description: 'Worker tasks' }],
        egress: [],
      },
      { parent: this },
    );
    for (const service of INTERFACE_ENDPOINTS) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace('.', '-')}`,
        {
          vpcId: this.vpcId,
          serviceName: `com.amazonaws.${context.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: this.taskSubnetIds,
          securityGroupIds: [endpoints.id],
        },
        { parent: this },
      );
    }

    this.taskSecurityGroupId = tasks.id;
    this.redisSecurityGroupId = redis.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      taskSubnetIds: this.taskSubnetIds,
      taskSecurityGroupId: this.taskSecurityGroupId,
      redisSecurityGroupId: this.redisSecurityGroupId,
    });
  }
}
