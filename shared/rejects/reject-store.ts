import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { rejectRecordSchema } from './reject-record.js';
import type { RejectRecord } from './reject-record.js';
import { RejectStoreError } from './errors.js';

/** Rejects are kept this long, then DynamoDB's TTL removes them. */
const REJECT_RETENTION_DAYS = 90;

export interface RejectStoreOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** @default 90 days */
  readonly retentionDays?: number;
}

/**
 * The reject store: one DynamoDB item per rejected input, keyed by its `rejectId` (derived from
 * stage and source position), so rejecting the same input twice keeps the first record.
 */
export class RejectStore {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;

  public constructor(options: RejectStoreOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.retentionSeconds = (options.retentionDays ?? REJECT_RETENTION_DAYS) * 86_400;
  }

  /** Stores a reject; resolves `false` when it was stored before (a redelivery). */
  public async put(reject: RejectRecord): Promise<boolean> {
    const item: Record<string, AttributeValue> = {
      rejectId: { S: reject.rejectId },
      code: { S: reject.code },
      message: { S: reject.message },
      stage: { S: reject.stage },
      source: { S: JSON.stringify(reject.source) },
      raw: { S: reject.raw },
      rawBytes: { N: String(reject.rawBytes) },
      truncated: { BOOL: reject.truncated },
      rejectedAt: { S: reject.rejectedAt },
      expiresAt: { N: String(Math.floor(Date.parse(reject.rejectedAt) / 1000) + this.retentionSeconds) },
      ...(reject.transactionId === undefined ? {} : { transactionId: { S: reject.transactionId } }),
    };
    try {
      await this.dynamodb.send(new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(rejectId)' }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw new RejectStoreError(reject.rejectId, { cause: error });
    }
  }

  /** Every reject in the store (a scan: for tests, summaries and operators, not hot paths). */
  public async list(): Promise<RejectRecord[]> {
    const out: RejectRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of page.Items ?? []) out.push(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}

function fromItem(item: Record<string, AttributeValue>): RejectRecord {
  return rejectRecordSchema.parse({
    rejectId: item['rejectId']?.S,
    code: item['code']?.S,
    message: item['message']?.S,
    stage: item['stage']?.S,
    source: JSON.parse(item['source']?.S ?? '{}'),
    raw: item['raw']?.S ?? '',
    rawBytes: Number(item['rawBytes']?.N ?? 0),
    truncated: item['truncated']?.BOOL ?? false,
    rejectedAt: item['rejectedAt']?.S,
    ...(item['transactionId']?.S === undefined ? {} : { transactionId: item['transactionId'].S }),
  });
}
