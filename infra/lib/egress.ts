import { TASK_ROLE_GRANTS } from '../../shared/iam/grants.js';
import { ROLE_VARIABLES } from '../../shared/worker-env.js';
import type { WorkerRoleName, WorkerVariable } from '../../shared/worker-env.js';

/**
 * Where each role's tasks may open connections, derived from the contracts rather than kept by
 * hand: a role that is granted DynamoDB actions (the IAM contract) reaches DynamoDB's gateway
 * endpoint, a role that reads REDIS_URL (the environment contract) reaches Redis, a role that reads
 * BROKER_URL reaches the broker. Nothing else leaves a task: no route, rule or NAT takes it to the
 * internet.
 */

/** AWS services tasks reach through a gateway endpoint: routed in the VPC, addressed by a managed prefix list. */
export const GATEWAY_SERVICES = ['s3', 'dynamodb'] as const;
export type GatewayService = (typeof GATEWAY_SERVICES)[number];

export type EgressDestination =
  /** HTTPS to the VPC's interface endpoints (ECR, Logs, Secrets Manager, Kinesis). */
  | { readonly kind: 'interface-endpoints' }
  /** HTTPS to a gateway endpoint's prefix list. */
  | { readonly kind: 'gateway'; readonly service: GatewayService }
  /** TLS to ElastiCache on its port, by Redis's security group. */
  | { readonly kind: 'redis' }
  /** A port on address ranges outside AWS's endpoints (the data broker). */
  | { readonly kind: 'cidrs'; readonly name: string; readonly port: number; readonly cidrs: readonly string[] };

/** Where the broker is: the port of its https URL and the ranges it is served from. */
export interface BrokerEndpoint {
  readonly port: number;
  readonly cidrs: readonly string[];
}

/** `https://broker.example.com` -> 443, `https://broker.example.com:8443/v1` -> 8443. */
export function brokerPort(brokerUrl: string): number {
  const url = new URL(brokerUrl);
  return url.port === '' ? 443 : Number(url.port);
}

function reads(role: WorkerRoleName, variable: WorkerVariable): boolean {
  return (ROLE_VARIABLES[role] as readonly WorkerVariable[]).includes(variable);
}

/**
 * Every destination one role's tasks need. Every role pulls its image (ECR's API and registry
 * through interface endpoints, the layers from S3 through the gateway) and writes logs (an
 * interface endpoint), so those are always there.
 */
export function roleEgress(role: WorkerRoleName, broker: BrokerEndpoint): EgressDestination[] {
  const actions = TASK_ROLE_GRANTS[role].flatMap((grant) => grant.actions);
  const out: EgressDestination[] = [{ kind: 'interface-endpoints' }, { kind: 'gateway', service: 's3' }];
  if (actions.some((action) => action.startsWith('dynamodb:'))) out.push({ kind: 'gateway', service: 'dynamodb' });
  if (reads(role, 'REDIS_URL')) out.push({ kind: 'redis' });
  // The webhook role fetches the broker's signing keys (WEBHOOK_JWKS_URL) from the broker's host.
  if (reads(role, 'BROKER_URL') || reads(role, 'WEBHOOK_JWKS_URL')) out.push({ kind: 'cidrs', name: 'broker', port: broker.port, cidrs: broker.cidrs });
  return out;
}
