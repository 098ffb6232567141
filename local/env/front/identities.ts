import { resourceNames } from '../../../shared/catalog.js';
import { WORKER_VARIABLES } from '../../../shared/worker-env.js';
import { WORKER_ROLES } from '../../../shared/worker-env.js';
import { catalogArns } from '../../../shared/iam/arns.js';
import type { ContractRoleName } from '../../../shared/iam/grants.js';
import type { StackArns } from '../../../shared/iam/resources.js';
import type { Principal } from './types.js';

/**
 * Local identities: one access key pair per (stack, role), and the environment's operator. The
 * key id names its stack and role (`LOCAL_<stack>_<role>`), so the front resolves a caller without
 * a registry and every test stack gets identities of its own; `_` appears in neither a stack nor a
 * role name. Local keys guard against mistakes, not attackers: the secret follows from the key id.
 */

/** The account and region every local ARN is in. */
export const LOCAL_ACCOUNT_ID = '000000000000' as const;
export const LOCAL_REGION = 'us-east-1' as const;
export const LOCAL_SCOPE = { partition: 'aws', region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID } as const;

const KEY_PREFIX = 'LOCAL';
/** The operator's key: provisioning, tests that inspect state, the CLI's `query`. Allowed everything. */
export const OPERATOR_ACCESS_KEY_ID = `${KEY_PREFIX}_OPERATOR` as const;
export const OPERATOR_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local-operator` as const;

/** Every role a local identity can act as: the worker roles and the Firehose stand-in. */
export const LOCAL_ROLES: readonly ContractRoleName[] = [...WORKER_ROLES, 'firehose'];

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

function secretFor(accessKeyId: string): string {
  return `local-secret-${accessKeyId}`;
}

/** The key pair a process acting as `role` of `stack` signs with. */
export function roleCredentials(stack: string, role: ContractRoleName): LocalCredentials {
  const accessKeyId = `${KEY_PREFIX}_${stack}_${role}`;
  return { accessKeyId, secretAccessKey: secretFor(accessKeyId) };
}

export function operatorCredentials(): LocalCredentials {
  return { accessKeyId: OPERATOR_ACCESS_KEY_ID, secretAccessKey: secretFor(OPERATOR_ACCESS_KEY_ID) };
}

/** The role's name in IAM, as the Pulumi program would name a stack's role locally. */
export function localRoleName(stack: string, role: ContractRoleName): string {
  return `realtime-insights-${stack}-${role}`;
}

/** What AWS names a caller that assumed the role (an ECS task's session is its role name here). */
export function assumedRoleArn(stack: string, role: ContractRoleName): string {
  return `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${localRoleName(stack, role)}/${role}`;
}

const STACK = /^[a-z][a-z0-9-]{0,19}$/;

/** Resolves a SigV4 access key id to a local principal. */
export function principalOf(accessKeyId: string | undefined): Principal {
  if (accessKeyId === undefined || accessKeyId === '') return { kind: 'anonymous', accessKeyId: undefined, arn: undefined };
  if (accessKeyId === OPERATOR_ACCESS_KEY_ID) return { kind: 'operator', accessKeyId, arn: OPERATOR_ARN };
  const [prefix, stack, role, ...rest] = accessKeyId.split('_');
  if (prefix === KEY_PREFIX && stack !== undefined && STACK.test(stack) && rest.length === 0 && (LOCAL_ROLES as readonly string[]).includes(role ?? '')) {
    const contractRole = role as ContractRoleName;
    return { kind: 'role', accessKeyId, arn: assumedRoleArn(stack, contractRole), stack, role: contractRole };
  }
  return { kind: 'unknown', accessKeyId, arn: undefined };
}

/** The ARNs of a local stack's catalog resources, as the front renders its roles' policies with. */
export function localStackArns(stack: string): StackArns {
  return catalogArns(LOCAL_SCOPE, resourceNames(stack), {
    keyArn: `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:key/realtime-insights-${stack}`,
    metricsNamespace: WORKER_VARIABLES.METRICS_NAMESPACE.default,
    // Where the Pulumi program's Firehose logs delivery errors; no local service serves CloudWatch Logs.
    firehoseLogStreamArn: `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:log-group:/aws/kinesisfirehose/realtime-insights-${stack}-raw-archive:log-stream:DestinationDelivery`,
  });
}

/** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of `role` in `stack`, for a process environment. */
export function roleCredentialVariables(stack: string, role: ContractRoleName): { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string } {
  const credentials = roleCredentials(stack, role);
  return { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
}
