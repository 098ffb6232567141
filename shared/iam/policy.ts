/**
 * IAM policy documents as plain data, the shape AWS reads: infra renders them into role policies,
 * and the local front evaluates the same documents, so what is deployed and what is enforced on a
 * laptop are one text.
 */

export type ConditionValue = string | boolean | readonly string[];

/** `{ StringEquals: { 'cloudwatch:namespace': 'RealtimeInsights' } }`: operator, then key to value(s). */
export type Condition = Readonly<Record<string, Readonly<Record<string, ConditionValue>>>>;

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

/** A statement's resources as a list, whether the document names one or several. */
export function resourcesOf(statement: Statement): readonly string[] {
  return typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;
}
