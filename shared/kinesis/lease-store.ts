import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailed } from './aws-errors.js';
import { SentinelCheckpoint } from './constants.js';
import { LeaseLostError } from './errors.js';
import type { Lease, WorkerBeat } from './lease.js';
import { LeaseAttribute, WORKER_KEY_PREFIX, isWorkerKey, leaseFromItem, leaseToItem } from './lease.js';
import type { NewLease } from './shard-graph.js';

const A = LeaseAttribute;

// Every attribute the expressions use, aliased (see LeaseAttribute).
const NAMES = {
  '#app': A.application,
  '#key': A.leaseKey,
  '#owner': A.owner,
  '#counter': A.counter,
  '#checkpoint': A.checkpoint,
  '#sub': A.subSequence,
  '#switches': A.ownerSwitches,
} as const;

type Names = Partial<Record<keyof typeof NAMES, string>>;

function namesFor(...expressions: string[]): Names {
  const used: Names = {};
  for (const [alias, name] of Object.entries(NAMES) as [keyof typeof NAMES, string][]) {
    if (expressions.some((e) => e.includes(alias))) used[alias] = name;
  }
  return used;
}

/**
 * The lease table of one application on one stream. Writes are conditional on the counter (and
 * owner) the caller last saw, and every write bumps the counter; a write that loses a race
 * raises LeaseLostError or returns undefined, never overwrites.
 */
export class LeaseStore {
  public constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly application: string,
    private readonly streamName: string,
  ) {}

  private key(leaseKey: string): Record<string, AttributeValue> {
    return { [A.application]: { S: this.application }, [A.leaseKey]: { S: leaseKey } };
  }

  /** Every lease of this application, read consistently. */
  public async list(): Promise<Lease[]> {
    return (await this.listAll()).leases;
  }

  /** Every lease and worker heartbeat of this application, in one consistent query. */
  public async listAll(signal?: AbortSignal): Promise<{ leases: Lease[]; workers: WorkerBeat[] }> {
    const leases: Lease[] = [];
    const workers: WorkerBeat[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#app = :app',
          ExpressionAttributeNames: { '#app': A.application },
          ExpressionAttributeValues: { ':app': { S: this.application } },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      for (const item of page.Items ?? []) {
        const lease = leaseFromItem(item);
        if (isWorkerKey(lease.leaseKey)) workers.push({ workerId: lease.leaseKey.slice(WORKER_KEY_PREFIX.length), counter: lease.counter });
        else leases.push(lease);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return { leases, workers };
  }

  /** Bumps this worker's heartbeat (creating it). Unconditional: only this worker writes it. */
  public async heartbeat(workerId: string): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(`${WORKER_KEY_PREFIX}${workerId}`),
        UpdateExpression: 'SET #counter = if_not_exists(#counter, :zero) + :one, #owner = :me',
        ExpressionAttributeNames: { '#counter': A.counter, '#owner': A.owner },
        ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':me': { S: workerId } },
      }),
    );
  }

  /** Removes a heartbeat; with `counter`, only if it has not moved since (a stale worker's). */
  public async deleteWorker(workerId: string, counter?: number): Promise<void> {
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(`${WORKER_KEY_PREFIX}${workerId}`),
          ...(counter === undefined
            ? {}
            : { ConditionExpression: '#counter = :counter', ExpressionAttributeNames: { '#counter': A.counter }, ExpressionAttributeValues: { ':counter': { N: String(counter) } } }),
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  public async get(leaseKey: string): Promise<Lease | undefined> {
    const { Item } = await this.dynamodb.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(leaseKey), ConsistentRead: true }));
    return Item === undefined ? undefined : leaseFromItem(Item);
  }

  /** Creates a lease unless one exists; true when this call created it. */
  public async create(lease: NewLease): Promise<boolean> {
    const item = leaseToItem(this.application, this.streamName, {
      leaseKey: lease.leaseKey,
      owner: undefined,
      counter: 0,
      checkpoint: lease.checkpoint,
      checkpointSubSequenceNumber: 0,
      parentShardIds: lease.parentShardIds,
      ownerSwitchesSinceCheckpoint: 0,
    });
    try {
      await this.dynamodb.send(
        new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': A.leaseKey } }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Deletes a lease only while it is still SHARD_END; true when this call deleted it. */
  public async deleteFinished(lease: Lease): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(lease.leaseKey),
          ConditionExpression: '#checkpoint = :end',
          ExpressionAttributeNames: { '#checkpoint': A.checkpoint },
          ExpressionAttributeValues: { ':end': { S: SentinelCheckpoint.SHARD_END } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Takes a lease as observed (free, expired, stolen, or ours from a previous process). Returns
   * the new lease, or undefined when another worker changed it first.
   */
  public async take(observed: Lease, workerId: string): Promise<Lease | undefined> {
    const next: Lease = {
      ...observed,
      owner: workerId,
      counter: observed.counter + 1,
      ownerSwitchesSinceCheckpoint: observed.ownerSwitchesSinceCheckpoint + (observed.owner === workerId ? 0 : 1),
    };
    const ownerCondition = observed.owner === undefined ? 'attribute_not_exists(#owner)' : '#owner = :prevOwner';
    try {
      await this.update(
        observed,
        'SET #owner = :owner, #counter = :next, #switches = :switches',
        `#counter = :counter AND ${ownerCondition}`,
        {
          ':owner': { S: workerId },
          ':next': { N: String(next.counter) },
          ':switches': { N: String(next.ownerSwitchesSinceCheckpoint) },
          ':counter': { N: String(observed.counter) },
          ...(observed.owner === undefined ? {} : { ':prevOwner': { S: observed.owner } }),
        },
        next,
      );
      return next;
    } catch (error) {
      if (error instanceof LeaseLostError) return undefined;
      throw error;
    }
  }

  /** Bumps the counter so other workers see the lease alive. */
  public async renew(held: Lease, workerId: string): Promise<Lease> {
    const next: Lease = { ...held, counter: held.counter + 1 };
    await this.update(held, 'SET #counter = :next', '#owner = :me AND #counter = :counter', this.ownerValues(held, workerId, next), next);
    return next;
  }

  /**
   * Writes a checkpoint (it renews too) and, with `release`, frees the lease in the same write so
   * another worker takes it on its next pass. `checkpoint` undefined releases without moving it.
   */
  public async checkpoint(held: Lease, workerId: string, checkpoint: string | undefined, release: boolean): Promise<Lease> {
    const next: Lease = {
      ...held,
      owner: release ? undefined : workerId,
      counter: held.counter + 1,
      ...(checkpoint === undefined ? {} : { checkpoint, checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0 }),
    };
    const set = checkpoint === undefined ? 'SET #counter = :next' : 'SET #counter = :next, #checkpoint = :checkpoint, #sub = :sub, #switches = :zero';
    const values: Record<string, AttributeValue> = {
      ...this.ownerValues(held, workerId, next),
      ...(checkpoint === undefined ? {} : { ':checkpoint': { S: checkpoint }, ':sub': { N: '0' }, ':zero': { N: '0' } }),
    };
    await this.update(held, release ? `${set} REMOVE #owner` : set, '#owner = :me AND #counter = :counter', values, next);
    return next;
  }

  private ownerValues(held: Lease, workerId: string, next: Lease): Record<string, AttributeValue> {
    return { ':me': { S: workerId }, ':counter': { N: String(held.counter) }, ':next': { N: String(next.counter) } };
  }

  private async update(current: Lease, update: string, condition: string, values: Record<string, AttributeValue>, expected: Lease): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(current.leaseKey),
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(#key) AND ${condition}`,
          ExpressionAttributeNames: namesFor(update, condition, '#key'),
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // The SDK retries a call whose response was lost; the retry then fails the condition
      // because the first attempt already wrote. Read back: if the item is exactly what this
      // write would have made, it succeeded.
      const now = await this.get(current.leaseKey);
      if (now !== undefined && now.counter === expected.counter && now.owner === expected.owner && now.checkpoint === expected.checkpoint) return;
      throw new LeaseLostError(current.leaseKey, expected.owner ?? current.owner ?? '', `conditional write failed (lease now owned by '${now?.owner ?? 'nobody'}', counter ${now?.counter ?? 'gone'})`, { cause: error });
    }
  }
}
