import type { Grant } from './grants.js';
import { LOCAL_STAND_IN_GRANTS, SERVICE_ROLE_GRANTS, TASK_ROLE_GRANTS } from './grants.js';
import type { ContractRoleName } from './grants.js';
import { allow } from './policy.js';
import type { Statement } from './policy.js';
import { resolveResource } from './resources.js';
import type { RoleArns } from './resources.js';

export interface RenderOptions {
  /** Add the grants a local stand-in needs beyond its AWS role (see `LOCAL_STAND_IN_GRANTS`). @default false */
  readonly localStandIn?: boolean;
}

/** The contract's grants of one role, as written (before rendering). */
export function roleGrants(role: ContractRoleName, options: RenderOptions = {}): readonly Grant[] {
  const own = role === 'firehose' ? SERVICE_ROLE_GRANTS.firehose : TASK_ROLE_GRANTS[role];
  return options.localStandIn === true ? [...own, ...(LOCAL_STAND_IN_GRANTS[role] ?? [])] : own;
}

/** One grant as an IAM statement with one stack's ARNs and values. */
export function renderGrant(grant: Grant, arns: RoleArns): Statement {
  return allow(
    [...grant.actions].sort(),
    grant.resources.map((ref) => resolveResource(ref, arns)),
    grant.condition?.(arns),
    grant.sid,
  );
}

/**
 * The policy statements of one role in one stack: what infra puts in the role's policy and what
 * the local front evaluates. Statement ids are unique within a role's policy.
 *
 * @example
 * const statements = renderRoleStatements('crawler', arns);
 * new aws.iam.RolePolicy('crawler', { role, policy: JSON.stringify(policyDocument(statements)) });
 */
export function renderRoleStatements(role: ContractRoleName, arns: RoleArns, options: RenderOptions = {}): Statement[] {
  return roleGrants(role, options).map((grant) => renderGrant(grant, arns));
}
