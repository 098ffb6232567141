/**
 * IAM policy documents as plain data, and the rules every policy this program writes obeys: no
 * `*` or `service:*` actions, and `Resource: "*"` only for actions AWS gives no resource scope.
 */

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

/**
 * Actions AWS authorises only on `Resource: "*"`: there is nothing narrower to name. Anything else
 * with a `*` resource is a finding.
 */
export const UNSCOPED_ACTIONS = ['cloudwatch:PutMetricData', 'ecr:GetAuthorizationToken'] as const;

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

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/** One broken rule in one statement. */
export interface PolicyFinding {
  readonly sid: string;
  readonly problem: string;
}

/**
 * Checks the two rules on an identity or resource policy: no wildcard actions, and `*` resources
 * only for unscoped actions. Deny statements may be broad (they only take rights away).
 * `resourceStarMeansSelf` is for key policies, where `*` means "this key".
 */
export function policyFindings(doc: { Statement?: unknown }, options: { resourceStarMeansSelf?: boolean } = {}): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Partial<Statement>[];
  statements.forEach((statement, index) => {
    const sid = statement.Sid ?? `#${index}`;
    if (statement.Effect !== 'Allow') return;
    const actions = list(statement.Action);
    for (const action of actions) {
      if (action === '*' || /^[a-z0-9-]+:\*$/i.test(action)) findings.push({ sid, problem: `allows the wildcard action '${action}'` });
    }
    const resources = list(statement.Resource);
    if (resources.includes('*') && options.resourceStarMeansSelf !== true) {
      const scoped = actions.filter((action) => !(UNSCOPED_ACTIONS as readonly string[]).includes(action));
      if (scoped.length > 0) findings.push({ sid, problem: `grants ${scoped.join(', ')} on Resource "*" although AWS can scope them` });
    }
  });
  return findings;
}
