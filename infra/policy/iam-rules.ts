/**
 * The IAM rules of this project, shared by the policy pack and the program's tests: no `*` or
 * `service:*` actions, and `Resource: "*"` only for actions AWS offers no resource scoping for.
 * Self-contained (no project imports) so the policy pack builds on its own.
 */

/**
 * Actions AWS authorises only on `Resource: "*"`: there is nothing narrower to name. Anything else
 * with a `*` resource is a finding.
 */
export const UNSCOPED_ACTIONS = ['cloudwatch:PutMetricData', 'ecr:GetAuthorizationToken'] as const;

/** One broken rule in one statement. */
export interface PolicyFinding {
  readonly sid: string;
  readonly problem: string;
}

interface LooseStatement {
  readonly Sid?: unknown;
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
}

function list(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Checks a policy document (identity or resource policy). Deny statements may be broad: they only
 * take rights away. `resourceStarMeansSelf` is for key policies, where `*` means "this key".
 */
export function policyFindings(doc: { Statement?: unknown }, options: { resourceStarMeansSelf?: boolean } = {}): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const raw = doc.Statement;
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as LooseStatement[];
  statements.forEach((statement, index) => {
    const sid = typeof statement.Sid === 'string' ? statement.Sid : `#${index}`;
    if (statement.Effect !== 'Allow') return;
    const actions = list(statement.Action);
    for (const action of actions) {
      if (action === '*' || /^[a-z0-9-]+:\*$/i.test(action)) findings.push({ sid, problem: `allows the wildcard action '${action}'` });
    }
    if (list(statement.Resource).includes('*') && options.resourceStarMeansSelf !== true) {
      const scoped = actions.filter((action) => !(UNSCOPED_ACTIONS as readonly string[]).includes(action));
      if (scoped.length > 0) findings.push({ sid, problem: `grants ${scoped.join(', ')} on Resource "*" although AWS can scope them` });
    }
  });
  return findings;
}

/** A policy input as the engine passes it: a JSON string or an already parsed object. */
export function parsePolicy(value: unknown): { Statement?: unknown } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return value as { Statement?: unknown };
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as { Statement?: unknown };
  } catch {
    return undefined;
  }
}
