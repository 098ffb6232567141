import { allow } from './iam.js';
import type { Statement } from './iam.js';

/**
 * What the VPC Flow Logs service may do with the role it is given: create its streams in the one
 * log group the flow log names, write to them, and look the group and streams up before it does.
 * An AWS service's role, not a worker's: it lives here rather than in the IAM contract, which
 * speaks for the code the local environment runs.
 */
export function flowLogStatements(arns: { readonly logGroupArn: string }): Statement[] {
  const [, partition, , region, account] = arns.logGroupArn.split(':');
  return [
    allow(['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], `${arns.logGroupArn}:*`, undefined, 'WriteFlowLogs'),
    // DescribeLogGroups is authorised on the account's log groups, not on one group.
    allow(['logs:DescribeLogGroups'], `arn:${partition ?? 'aws'}:logs:${region ?? ''}:${account ?? ''}:log-group:*`, undefined, 'FindLogGroup'),
  ];
}
