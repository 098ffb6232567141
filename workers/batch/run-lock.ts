import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchLockedError } from './errors.js';

/** The lock's key in batchState; no archive key can look like it (they all start with the raw prefix). */
export const RUN_LOCK_KEY = '#batch-run-lock' as const;

export interface RunLockOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly runId: string;
  /** How long the lock holds without renewal, in ms: a crashed run blocks others this long at most. @default 600_000 */
  readonly ttlMs?: number;
}

/**
 * One batch run at a time: a lock item in batchState taken with a conditional PutItem, renewed
 * while the run lasts and released by setting its expiry to zero (the batch role may put and update
 * batchState items, not delete them). A run that dies holding it is overtaken after `ttlMs`.
 */
export class RunLock {
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private released: Promise<void> | undefined;

  public constructor(private readonly options: RunLockOptions) {
    this.ttlMs = options.ttlMs ?? 600_000;
  }

  /** Takes the lock or throws `BatchLockedError`; then renews it every third of the TTL. */
  public async acquire(): Promise<void> {
    const now = Date.now();
    try {
      await this.options.dynamodb.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: { objectKey: { S: RUN_LOCK_KEY }, holder: { S: this.options.runId }, expiresAtMs: { N: String(now + this.ttlMs) } },
          ConditionExpression: 'attribute_not_exists(objectKey) OR expiresAtMs < :now',
          ExpressionAttributeValues: { ':now': { N: String(now) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      const old = (error as { Item?: Record<string, { S?: string; N?: string }> }).Item;
      throw new BatchLockedError(old?.['holder']?.S ?? 'unknown', new Date(Number(old?.['expiresAtMs']?.N ?? 0)).toISOString());
    }
    this.timer = setInterval(() => void this.renew().catch(() => undefined), Math.max(1_000, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    await this.update(Date.now() + this.ttlMs);
  }

  private async update(expiresAtMs: number): Promise<void> {
    await this.options.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { objectKey: { S: RUN_LOCK_KEY } },
        UpdateExpression: 'SET expiresAtMs = :expires',
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':expires': { N: String(expiresAtMs) }, ':me': { S: this.options.runId } },
      }),
    );
  }

  /** Lets the next run in at once. Idempotent. */
  public release(): Promise<void> {
    this.released ??= (async () => {
      if (this.timer !== undefined) clearInterval(this.timer);
      try {
        await this.update(0);
      } catch (error) {
        // Lost to an overtaking run already: nothing of ours to release.
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    })();
    return this.released;
  }
}
