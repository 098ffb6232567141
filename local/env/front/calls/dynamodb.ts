import { arnOf } from '../../../../shared/iam/arns.js';
import { LOCAL_SCOPE } from '../identities.js';
import type { AccessRequest, FrontHttpRequest } from '../types.js';
import { asRecord, lazyJson } from './json-body.js';
import type { ParsedCall } from './parsed-call.js';

/** Operations that act on no table: IAM authorises them on `*`. */
const ACCOUNT_OPERATIONS = new Set(['ListTables', 'DescribeLimits', 'DescribeEndpoints', 'ListBackups', 'ListGlobalTables', 'ListExports', 'ListImports']);

/** The item action AWS checks for each kind of entry of a transaction. */
const TRANSACT_WRITE_ACTIONS = { Put: 'dynamodb:PutItem', Update: 'dynamodb:UpdateItem', Delete: 'dynamodb:DeleteItem', ConditionCheck: 'dynamodb:ConditionCheckItem' } as const;

/** A table named by name or by ARN (DynamoDB accepts both). */
function tableArn(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : arnOf.table(LOCAL_SCOPE, nameOrArn);
}

/**
 * DynamoDB (JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Operation>`): the tables a call touches
 * and what IAM checks on each. Batch calls need their own action on every table they name;
 * transactions need each entry's item action (AWS has no `dynamodb:TransactWriteItems` to grant);
 * a Query or Scan of an index is authorised on `<table arn>/index/<name>`.
 */
export class DynamoDbCalls {
  public parse(http: FrontHttpRequest, body: Buffer): ParsedCall {
    const target = String(http.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const json = lazyJson(body);
    const action = `dynamodb:${operation}`;
    return { operation, action, access: this.access(operation, action, asRecord(json())), json };
  }

  private access(operation: string, action: string, input: Record<string, unknown>): AccessRequest[] {
    if (ACCOUNT_OPERATIONS.has(operation) || operation === '') return [{ action, resource: '*' }];
    if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
      return Object.keys(asRecord(input['RequestItems'])).map((table) => ({ action, resource: tableArn(table) }));
    }
    if (operation === 'TransactWriteItems') {
      const items = Array.isArray(input['TransactItems']) ? (input['TransactItems'] as unknown[]) : [];
      return items.flatMap((entry) =>
        Object.entries(asRecord(entry)).flatMap(([kind, body]) => {
          const itemAction = TRANSACT_WRITE_ACTIONS[kind as keyof typeof TRANSACT_WRITE_ACTIONS];
          const table = asRecord(body)['TableName'];
          return itemAction === undefined || typeof table !== 'string' ? [] : [{ action: itemAction, resource: tableArn(table) }];
        }),
      );
    }
    if (operation === 'TransactGetItems') {
      const items = Array.isArray(input['TransactItems']) ? (input['TransactItems'] as unknown[]) : [];
      return items.flatMap((entry) => {
        const table = asRecord(asRecord(entry)['Get'])['TableName'];
        return typeof table === 'string' ? [{ action: 'dynamodb:GetItem', resource: tableArn(table) }] : [];
      });
    }
    const table = input['TableName'] ?? input['TableArn'] ?? input['ResourceArn'];
    if (typeof table !== 'string') return [];
    const index = input['IndexName'];
    const resource = typeof index === 'string' && (operation === 'Query' || operation === 'Scan') ? `${tableArn(table)}/index/${index}` : tableArn(table);
    return [{ action, resource }];
  }
}
