import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import type { StackContext } from '../context.js';

export interface PrivateReachArgs {
  readonly context: StackContext;
  readonly vpcId: pulumi.Input<string>;
  /** The tasks' own security group: it gains one ingress rule, from the link's group on `port`. */
  readonly tasksGroupId: pulumi.Input<string>;
  readonly port: number;
  /** The Cloud Map service name and the word for the tasks (`webhook`, `api`). */
  readonly service: string;
  /** How the link is named in descriptions (`webhook`, `read API`). */
  readonly linkLabel: string;
}

export interface PrivateReach {
  /** For the VPC link: its egress reaches the tasks on `port` and nothing else. */
  readonly linkGroup: aws.ec2.SecurityGroup;
  /** For the ECS service's `serviceRegistries` and the gateway integration's `integrationUri`. */
  readonly registry: aws.servicediscovery.Service;
}

/**
 * API Gateway's private way to a Fargate service: a VPC link's security group that may reach the
 * tasks on one port, the tasks' ingress from it, and a Cloud Map service the integration resolves
 * (SRV records, each task's container health check taking it out of rotation). The webhook and
 * the read API reach their tasks the same way; resource names stay `<name>-link`,
 * `<name>-from-link`, `<name>-namespace` and `<name>-registry` under the caller's component.
 */
export function privateReach(name: string, args: PrivateReachArgs, opts: pulumi.CustomResourceOptions): PrivateReach {
  const prefix = `${PROJECT}-${args.context.stack}`;
  const { port, service } = args;
  const linkGroup = new aws.ec2.SecurityGroup(
    `${name}-link`,
    {
      vpcId: args.vpcId,
      description: `${prefix} ${args.linkLabel} VPC link: to the ${service} tasks only`,
      egress: [{ protocol: 'tcp', fromPort: port, toPort: port, securityGroups: [args.tasksGroupId], description: `${service} tasks` }],
      tags: { Name: `${prefix}-${service}-link` },
    },
    opts,
  );
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-from-link`,
    { securityGroupId: args.tasksGroupId, referencedSecurityGroupId: linkGroup.id, ipProtocol: 'tcp', fromPort: port, toPort: port, description: 'API Gateway VPC link' },
    opts,
  );
  const namespace = new aws.servicediscovery.PrivateDnsNamespace(`${name}-namespace`, { name: `${args.context.stack}.${service}.internal`, vpc: args.vpcId, description: `${prefix} ${service} tasks` }, opts);
  const registry = new aws.servicediscovery.Service(
    `${name}-registry`,
    {
      name: service,
      namespaceId: namespace.id,
      dnsConfig: { namespaceId: namespace.id, routingPolicy: 'MULTIVALUE', dnsRecords: [{ type: 'SRV', ttl: 10 }] },
      healthCheckCustomConfig: { failureThreshold: 1 },
    },
    opts,
  );
  return { linkGroup, registry };
}
