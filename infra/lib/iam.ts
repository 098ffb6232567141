/**
 * IAM policy documents as plain data. The rules every policy obeys (no `*` or `service:*`
 * actions, `Resource: "*"` only for actions AWS gives no resource scope) live in the policy pack,
 * so the pack, the program's tests and the program share one definition.
 */

export { UNSCOPED_ACTIONS, policyFindings } from '../policy/iam-rules.js';
export type { PolicyFinding } from '../policy/iam-rules.js';

export type Condition = Readonly<Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>>;

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Condition;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Statement[];
}

export function policyDocument(statements: readonly Statement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

export function allow(actions: readonly string[], resources: string | readonly string[], condition?: Condition, sid?: string): Statement {
  return {
    ...(sid === undefined ? {} : { Sid: sid }),
    Effect: 'Allow',
    Action: [...actions],
    Resource: typeof resources === 'string' ? resources : [...resources],
    ...(condition === undefined ? {} : { Condition: condition }),
  };
}

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
