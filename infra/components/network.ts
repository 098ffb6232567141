import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import type { NetworkConfig } from '../config.js';
import type { StackContext } from '../context.js';
import { ComponentArgsError } from '../errors.js';
import { GATEWAY_SERVICES } from '../lib/egress.js';
import type { EgressDestination, GatewayService } from '../lib/egress.js';
import { flowLogStatements } from '../lib/flow-logs.js';
import { policyDocument, render, renderTrust, serviceTrust } from '../lib/iam.js';
import { subnetLayout } from '../lib/subnets.js';
import { REDIS_PORT } from './queue.js';

export interface NetworkArgs {
  readonly context: StackContext;
  readonly config: NetworkConfig;
  /** The project key: the flow logs' log group is encrypted with it. */
  readonly keyArn: pulumi.Input<string>;
  /** Each role's destinations (see `roleEgress`): a security group per role allows exactly these. */
  readonly egress: Readonly<Record<string, readonly EgressDestination[]>>;
}

/** Interface endpoints: the AWS APIs tasks call besides S3 and DynamoDB (gateways), so no task needs the internet. */
export const INTERFACE_ENDPOINTS = ['kinesis-streams', 'ecr.api', 'ecr.dkr', 'logs', 'secretsmanager'] as const;

export const HTTPS_PORT = 443;

/**
 * The stack's VPC, built from plain resources so every part is visible to the policy pack and the
 * plan: task subnets in every zone (private behind NAT, or isolated with no route out when the
 * stack has no NAT, and then no internet gateway either), S3 and DynamoDB gateway endpoints, the
 * interface endpoints of the other AWS APIs, flow logs of all traffic to an encrypted log group,
 * the default security group emptied, and one security group per role whose egress names each
 * destination: the endpoints' group, a gateway's prefix list, Redis's group, or the broker's
 * ranges on its port. Nothing accepts traffic from outside the VPC.
 *
 * @example
 * const network = new Network('network', { context, config, keyArn, egress: { crawler: roleEgress('crawler', broker) } });
 * network.securityGroupIds.crawler;
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  /** Subnets tasks, Redis and the interface endpoints live in: one per zone, none public. */
  public readonly taskSubnetIds: pulumi.Output<string>[];
  /** Each role's security group, by role. */
  public readonly securityGroupIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** Security group of the Redis replication group; ingress on 6379 from the roles that use Redis. */
  public readonly redisSecurityGroupId: pulumi.Output<string>;
  /** Log group of the VPC's flow logs. */
  public readonly flowLogGroupName: pulumi.Output<string>;

  /** The security group of a role this network was given egress for. */
  public securityGroupOf(role: string): pulumi.Output<string> {
    const id = this.securityGroupIds[role];
    if (id === undefined) throw new ComponentArgsError('Network', `no security group for the role '${role}': add it to the egress the network is given`);
    return id;
  }

  public constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:network:Network', name, {}, opts);
    const { context, config } = args;
    const parent = { parent: this };
    const withNat = config.natGateways !== 'none';
    const label = (what: string) => ({ Name: `${PROJECT}-${context.stack}-${what}` });

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: config.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: label('vpc') }, parent);
    // Managing the default group with no rules removes the allow-all rules AWS gives it.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-group`, { vpcId: vpc.id, ingress: [], egress: [], tags: label('default-unused') }, parent);

    const zoneNames = aws.getAvailabilityZonesOutput({ state: 'available', filters: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] }, parent).names;
    const layout = subnetLayout(config.cidr, config.availabilityZones, withNat);
    const zone = (index: number) => zoneNames.apply((names) => names[index] ?? `${context.region}-zone-${index}`);

    // Public side: only where NAT gateways need it.
    const natIds: pulumi.Output<string>[] = [];
    if (withNat) {
      const gateway = new aws.ec2.InternetGateway(`${name}-internet`, { vpcId: vpc.id, tags: label('internet') }, parent);
      const publicRoutes = new aws.ec2.RouteTable(`${name}-public-routes`, { vpcId: vpc.id, tags: label('public') }, parent);
      new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: gateway.id }, parent);
      const gateways = config.natGateways === 'one-per-az' ? layout.length : 1;
      layout.forEach((subnets, index) => {
        const subnet = new aws.ec2.Subnet(
          `${name}-public-${index}`,
          { vpcId: vpc.id, cidrBlock: subnets.public ?? '', availabilityZone: zone(index), mapPublicIpOnLaunch: false, tags: label(`public-${index}`) },
          parent,
        );
        new aws.ec2.RouteTableAssociation(`${name}-public-${index}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, parent);
        if (index < gateways) {
          const address = new aws.ec2.Eip(`${name}-nat-${index}`, { domain: 'vpc', tags: label(`nat-${index}`) }, parent);
          natIds.push(new aws.ec2.NatGateway(`${name}-nat-${index}`, { subnetId: subnet.id, allocationId: address.id, tags: label(`nat-${index}`) }, { parent: this, dependsOn: [gateway] }).id);
        }
      });
    }

    // Task side: a route table per zone, so a zone's tasks leave through their own zone's NAT.
    const taskSubnets: aws.ec2.Subnet[] = [];
    const taskRoutes: aws.ec2.RouteTable[] = [];
    layout.forEach((subnets, index) => {
      const subnet = new aws.ec2.Subnet(`${name}-tasks-${index}`, { vpcId: vpc.id, cidrBlock: subnets.tasks, availabilityZone: zone(index), tags: label(`tasks-${index}`) }, parent);
      const routes = new aws.ec2.RouteTable(`${name}-task-routes-${index}`, { vpcId: vpc.id, tags: label(`tasks-${index}`) }, parent);
      new aws.ec2.RouteTableAssociation(`${name}-tasks-${index}`, { subnetId: subnet.id, routeTableId: routes.id }, parent);
      const nat = natIds[Math.min(index, natIds.length - 1)];
      if (nat !== undefined) new aws.ec2.Route(`${name}-tasks-${index}-out`, { routeTableId: routes.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat }, parent);
      taskSubnets.push(subnet);
      taskRoutes.push(routes);
    });

    const prefixLists = {} as Record<GatewayService, pulumi.Output<string>>;
    for (const service of GATEWAY_SERVICES) {
      const endpoint = new aws.ec2.VpcEndpoint(
        `${name}-${service}`,
        { vpcId: vpc.id, serviceName: `com.amazonaws.${context.region}.${service}`, vpcEndpointType: 'Gateway', routeTableIds: taskRoutes.map((r) => r.id), tags: label(service) },
        parent,
      );
      prefixLists[service] = endpoint.prefixListId;
    }

    // One group per role; their rules are separate resources, so Redis's group and the roles' can name each other.
    const roleGroups: Record<string, aws.ec2.SecurityGroup> = {};
    for (const role of Object.keys(args.egress)) {
      roleGroups[role] = new aws.ec2.SecurityGroup(`${name}-${role}`, { vpcId: vpc.id, description: `${role} tasks: no ingress; egress to what the role calls only`, tags: label(role) }, parent);
    }
    const groupIds = (roles: readonly string[]) => roles.flatMap((role) => (roleGroups[role] === undefined ? [] : [roleGroups[role].id]));
    const rolesWith = (kind: EgressDestination['kind']) => Object.entries(args.egress).filter(([, destinations]) => destinations.some((d) => d.kind === kind)).map(([role]) => role);

    const endpoints = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: vpc.id,
        description: 'Interface endpoints: HTTPS from worker tasks only',
        ingress: [{ protocol: 'tcp', fromPort: HTTPS_PORT, toPort: HTTPS_PORT, securityGroups: groupIds(rolesWith('interface-endpoints')), description: 'Worker tasks' }],
        egress: [],
        tags: label('endpoints'),
      },
      parent,
    );
    const redis = new aws.ec2.SecurityGroup(
      `${name}-redis`,
      {
        vpcId: vpc.id,
        description: 'ElastiCache for Redis: TLS port from the roles that use the queue only',
        ingress: [{ protocol: 'tcp', fromPort: REDIS_PORT, toPort: REDIS_PORT, securityGroups: groupIds(rolesWith('redis')), description: 'Roles that read REDIS_URL' }],
        egress: [],
        tags: label('redis'),
      },
      parent,
    );

    for (const [role, destinations] of Object.entries(args.egress)) {
      const group = roleGroups[role];
      if (group === undefined) continue;
      const rule = (suffix: string, port: number, to: Pick<aws.vpc.SecurityGroupEgressRuleArgs, 'referencedSecurityGroupId' | 'prefixListId' | 'cidrIpv4'>, description: string) =>
        new aws.vpc.SecurityGroupEgressRule(`${name}-${role}-to-${suffix}`, { securityGroupId: group.id, ipProtocol: 'tcp', fromPort: port, toPort: port, description, ...to }, parent);
      for (const destination of destinations) {
        switch (destination.kind) {
          case 'interface-endpoints':
            rule('endpoints', HTTPS_PORT, { referencedSecurityGroupId: endpoints.id }, 'AWS APIs through interface endpoints');
            break;
          case 'gateway':
            rule(destination.service, HTTPS_PORT, { prefixListId: prefixLists[destination.service] }, `${destination.service} through its gateway endpoint`);
            break;
          case 'redis':
            rule('redis', REDIS_PORT, { referencedSecurityGroupId: redis.id }, 'ElastiCache for Redis');
            break;
          case 'cidrs':
            destination.cidrs.forEach((cidr, index) => rule(`${destination.name}-${index}`, destination.port, { cidrIpv4: cidr }, `${destination.name} on ${destination.port}`));
            break;
        }
      }
    }

    for (const service of INTERFACE_ENDPOINTS) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace('.', '-')}`,
        {
          vpcId: vpc.id,
          serviceName: `com.amazonaws.${context.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: taskSubnets.map((s) => s.id),
          securityGroupIds: [endpoints.id],
          tags: label(service),
        },
        parent,
      );
    }

    // Flow logs: every accepted and rejected connection, encrypted, kept as long as the stack's logs.
    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { name: `/${PROJECT}/${context.stack}/vpc-flow-logs`, retentionInDays: context.logRetentionDays, kmsKeyId: args.keyArn },
      parent,
    );
    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs-role`,
      {
        description: `VPC flow logs of ${PROJECT}-${context.stack}: write to their log group`,
        assumeRolePolicy: pulumi
          .all([context.accountId, context.partition])
          .apply(([accountId, partition]) => renderTrust(serviceTrust('vpc-flow-logs.amazonaws.com', accountId, `arn:${partition}:ec2:${context.region}:${accountId}:vpc-flow-log/*`))),
      },
      parent,
    );
    const flowLogPolicy = new aws.iam.RolePolicy(
      `${name}-flow-logs-policy`,
      { role: flowLogRole.id, policy: flowLogGroup.arn.apply((logGroupArn) => render(policyDocument(flowLogStatements({ logGroupArn })))) },
      parent,
    );
    new aws.ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId: vpc.id,
        trafficType: 'ALL',
        logDestinationType: 'cloud-watch-logs',
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        maxAggregationInterval: 600,
        tags: label('flow-log'),
      },
      { parent: this, dependsOn: [flowLogPolicy] },
    );

    this.vpcId = vpc.id;
    this.taskSubnetIds = taskSubnets.map((s) => s.id);
    this.securityGroupIds = Object.fromEntries(Object.entries(roleGroups).map(([role, group]) => [role, group.id]));
    this.redisSecurityGroupId = redis.id;
    this.flowLogGroupName = flowLogGroup.name;
    this.registerOutputs({
      vpcId: this.vpcId,
      taskSubnetIds: this.taskSubnetIds,
      securityGroupIds: this.securityGroupIds,
      redisSecurityGroupId: this.redisSecurityGroupId,
      flowLogGroupName: this.flowLogGroupName,
    });
  }
}
