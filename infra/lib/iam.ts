/**
 * IAM policy documents as plain data (the shape itself lives in `shared/iam/`, where the local
 * front evaluates the same documents). The rules every policy obeys (no `*` or `service:*`
 * actions, `Resource: "*"` only for actions AWS gives no resource scope) live in the policy pack,
 * so the pack, the program's tests and the program share one definition.
 */

export { UNSCOPED_ACTIONS, policyFindings } from '../policy/iam-rules.js';
export type { PolicyFinding } from '../policy/iam-rules.js';

export { allow, policyDocument } from '../../shared/iam/policy.js';
export type { Condition, PolicyDocument, Statement } from '../../shared/iam/policy.js';
import { policyDocument } from '../../shared/iam/policy.js';
import type { PolicyDocument } from '../../shared/iam/policy.js';

/** A trust policy that lets one AWS service assume a role, limited to this account. */
export function serviceTrust(service: string, accountId: string, sourceArn?: string): PolicyDocument {
  return policyDocument([
    {
      Effect: 'Allow',
      Principal: { Service: service },
      Action: ['sts:AssumeRole'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': accountId },
        ...(sourceArn === undefined ? {} : { ArnLike: { 'aws:SourceArn': sourceArn } }),
      },
    },
  ]);
}

/** Trust policies carry no Resource element; AWS rejects one that does. */
export function renderTrust(doc: PolicyDocument): string {
  return JSON.stringify({ ...doc, Statement: doc.Statement.map(({ Resource: _resource, ...rest }) => rest) });
}

export function render(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}
