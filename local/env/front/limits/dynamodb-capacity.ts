import { jsonError } from '../aws-errors.js';
import { jsonResponse, responseJson, withJsonBody } from '../call-helpers.js';
import { asRecord } from '../calls/json-body.js';
import { LOCAL_SCOPE } from '../identities.js';
import { arnOf } from '../../../../shared/iam/arns.js';
import type { FrontCall, FrontContext, FrontHandler, FrontMiddleware, FrontResponse, MiddlewareFactory } from '../types.js';
import { itemSize, readUnits, writeUnits } from './item-size.js';
import { TokenBucket } from './token-bucket.js';

/** What one partition-key value may consume per second (DynamoDB's per-partition limit, in both capacity modes). */
export const PARTITION_LIMITS = { writeUnits: 1_000, readUnits: 3_000 } as const;

/** AWS's words for a hot key on an on-demand table (the tables here are PAY_PER_REQUEST). */
export const HOT_KEY_MESSAGE =
  'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html';

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
/** A table's key schema is asked again after this long (a table deleted and made again by a test). */
const KEY_SCHEMA_TTL_MS = 60_000;
/**
 * Reads counted by AWS's rules rather than by what DynamoDB Local reports: AWS reads each key of a
 * batch as its own GetItem and charges a key that finds nothing a whole read unit (half eventually
 * consistent), where DynamoDB Local charges a batch only for the items it found. The ingest
 * ledger's lookups of new transaction ids are such reads, one per record.
 */
const READS_BY_RULE = new Set(['GetItem', 'BatchGetItem']);

type Kind = 'write' | 'read';

/** One item a call touches: its table, its partition-key value, and what it costs by AWS's rules. */
interface Touch {
  readonly table: string;
  /** The partition-key attribute value as JSON; undefined when the call does not name it (Scan). */
  readonly key: string | undefined;
  readonly kind: Kind;
  readonly units: number;
}

/** Capacity one table consumed, in all and per role. */
export interface TableCapacity {
  wru: number;
  rru: number;
  calls: number;
  throttled: number;
  readonly roles: Record<string, { wru: number; rru: number }>;
}

export interface DynamoDbCapacityOptions {
  /** @default PARTITION_LIMITS */
  readonly limits?: Partial<{ writeUnits: number; readUnits: number }>;
  /** @default Date.now */
  readonly now?: () => number;
}

const tableOf = (nameOrArn: string): string => (nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn);

/** The answer's ConsumedCapacity (one entry, or one per table) with each table's units as AWS's rules count them. */
function byRuleCapacity(reported: unknown, touches: readonly { readonly table: string; readonly units: number }[]): unknown {
  const unitsOf = (name: unknown): number => touches.filter((t) => t.table === tableOf(String(name))).reduce((n, t) => n + t.units, 0);
  const rewrite = (entry: unknown): Record<string, unknown> => {
    const e = asRecord(entry);
    const units = unitsOf(e['TableName']);
    return { ...e, CapacityUnits: units, ...(e['ReadCapacityUnits'] === undefined ? {} : { ReadCapacityUnits: units }), ...(e['Table'] === undefined ? {} : { Table: { ...asRecord(e['Table']), CapacityUnits: units } }) };
  };
  return Array.isArray(reported) ? reported.map(rewrite) : rewrite(reported);
}


/**
 * The partition-key value a Query's `KeyConditionExpression` names (`#pk = :pk`, `pk = :pk`, in
 * either order, before or after an AND), or undefined.
 */
export function queryPartitionKey(input: Record<string, unknown>, keyName: string): unknown {
  const expression = input['KeyConditionExpression'];
  if (typeof expression !== 'string') return undefined;
  const names = asRecord(input['ExpressionAttributeNames']);
  const values = asRecord(input['ExpressionAttributeValues']);
  for (const part of expression.split(/\s+and\s+/i)) {
    const match = /^\s*\(?\s*([#\w.]+)\s*=\s*(:\w+)\s*\)?\s*$/.exec(part) ?? /^\s*\(?\s*(:\w+)\s*=\s*([#\w.]+)\s*\)?\s*$/.exec(part);
    if (match === null) continue;
    const [left, right] = [match[1] as string, match[2] as string];
    const [attribute, placeholder] = left.startsWith(':') ? [right, left] : [left, right];
    const name = attribute.startsWith('#') ? names[attribute] : attribute;
    if (name === keyName) return values[placeholder];
  }
  return undefined;
}

/**
 * DynamoDB capacity, after IAM in the DynamoDB front: every call's consumed capacity is counted by
 * table and by role, as DynamoDB reports it (the front asks DynamoDB Local for
 * `ReturnConsumedCapacity: TOTAL` and hands the figure to the caller only when it asked), or
 * computed by AWS's rules where the emulator reports none (1 WRU per KB written, twice in a
 * transaction; 1 RRU per 4 KB read, half eventually consistent). With enforcement on, each
 * partition-key value may consume 1,000 WRU and 3,000 RRU a second: a call on a key that spent its
 * second is refused with `ProvisionedThroughputExceededException` as an on-demand table answers it
 * (a batch returns the refused entries as unprocessed; a transaction is cancelled with
 * `ThrottlingError`). Capacity is charged after the answer, so one large call may run a key into
 * debt and the key's next calls wait it out, as AWS's burst accounting does.
 */
export class DynamoDbCapacityMiddleware implements FrontMiddleware {
  public readonly name = 'dynamodbCapacity';
  private readonly limits: { writeUnits: number; readUnits: number };
  private readonly now: () => number;
  private readonly keys = new Map<string, { write: TokenBucket; read: TokenBucket }>();
  private readonly schemas = new Map<string, { name: Promise<string | undefined>; at: number }>();
  private readonly tables = new Map<string, TableCapacity>();
  private throttled = 0;

  public constructor(
    private readonly context: Pick<FrontContext, 'enforce'>,
    options: DynamoDbCapacityOptions = {},
  ) {
    this.limits = { ...PARTITION_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
  }

  public wrap(next: FrontHandler): FrontHandler {
    return async (call) => {
      const kind: Kind | undefined = WRITE_OPERATIONS.has(call.operation) ? 'write' : READ_OPERATIONS.has(call.operation) ? 'read' : undefined;
      if (kind === undefined) return next(call);
      const input = asRecord(call.json);
      const wanted = input['ReturnConsumedCapacity'];
      const asked = wanted === 'TOTAL' || wanted === 'INDEXES';
      const sent = asked ? call : withJsonBody(call, { ...input, ReturnConsumedCapacity: 'TOTAL' });
      if (this.context.enforce.limits) {
        const refusal = await this.admit(sent, input, next);
        // Refused whole: nothing reached the table, nothing is consumed.
        if (refusal?.forwarded === undefined && refusal !== undefined) return refusal.response;
        if (refusal !== undefined) return this.finish(call, kind, input, refusal.response, refusal.forwarded, asked);
      }
      return this.finish(call, kind, input, await next(sent), undefined, asked);
    };
  }

  public stats(): Record<string, unknown> {
    return { enforced: this.context.enforce.limits, throttled: this.throttled, tables: Object.fromEntries(this.tables) };
  }

  // ---- counting -----------------------------------------------------------------------------

  private table(name: string): TableCapacity {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = { wru: 0, rru: 0, calls: 0, throttled: 0, roles: {} };
      this.tables.set(name, table);
    }
    return table;
  }

  private count(call: FrontCall, table: string, kind: Kind, units: number): void {
    const role = call.principal.kind === 'role' ? call.principal.role : call.principal.kind;
    const totals = this.table(table);
    const perRole = (totals.roles[role] ??= { wru: 0, rru: 0 });
    if (kind === 'write') {
      totals.wru += units;
      perRole.wru += units;
    } else {
      totals.rru += units;
      perRole.rru += units;
    }
  }

  /**
   * Counts what the answer consumed (reported, else computed), charges each key, and hands the
   * caller the answer, without `ConsumedCapacity` unless it asked for it.
   */
  private finish(call: FrontCall, kind: Kind, input: Record<string, unknown>, response: FrontResponse, forwarded: Record<string, unknown> | undefined, asked: boolean): FrontResponse {
    const tables = new Set(call.resources.map((arn) => tableOf(arn.replace(/\/index\/.*$/, ''))));
    for (const table of tables) this.table(table).calls += 1;
    const output = response.status === 200 ? asRecord(responseJson(response)) : {};
    const touches = this.touches(call.operation, forwarded ?? input, output, response.status, response.body);
    const byRule = READS_BY_RULE.has(call.operation);
    const reported = asRecord(output).ConsumedCapacity;
    const entries = (Array.isArray(reported) ? reported : reported === undefined ? [] : [reported]).map(asRecord);
    if (entries.length > 0 && !byRule) {
      for (const entry of entries) {
        const units = Number(entry['CapacityUnits'] ?? (kind === 'write' ? entry['WriteCapacityUnits'] : entry['ReadCapacityUnits']) ?? 0);
        if (typeof entry['TableName'] === 'string') this.count(call, tableOf(entry['TableName']), kind, units);
      }
    } else {
      for (const touch of touches) this.count(call, touch.table, touch.kind, touch.units);
    }
    // Charge each key: a single-item call with what was reported, the rest by AWS's rules per item,
    // less the estimate charged when the call was let through.
    const now = this.now();
    const reportedTotal = byRule ? 0 : entries.reduce((n, e) => n + Number(e['CapacityUnits'] ?? 0), 0);
    const estimates = this.context.enforce.limits ? this.touches(call.operation, forwarded ?? input, {}, 200) : [];
    touches.forEach((touch, i) => {
      if (touch.key === undefined) return;
      const units = touches.length === 1 && reportedTotal > 0 ? reportedTotal : touch.units;
      const buckets = this.buckets(touch.table, touch.key, now);
      (touch.kind === 'write' ? buckets.write : buckets.read).charge(units - (estimates[i]?.units ?? 0), now);
    });
    if (response.status !== 200 || reported === undefined) return response;
    if (asked) return byRule ? jsonResponse(response, { ...output, ConsumedCapacity: byRuleCapacity(reported, touches) }) : response;
    const { ConsumedCapacity: _dropped, ...rest } = output;
    return jsonResponse(response, rest);
  }

  /** Every item the call touched, with its partition-key value and its cost by AWS's rules. */
  private touches(operation: string, input: Record<string, unknown>, output: Record<string, unknown>, status: number, body?: Buffer): Touch[] {
    const failedWrite = status !== 200 && WRITE_OPERATIONS.has(operation) && body !== undefined && body.includes('ConditionalCheckFailed');
    // A refused call costs nothing, but a failed conditional write still does.
    if (status !== 200 && !failedWrite) return [];
    const table = typeof input['TableName'] === 'string' ? tableOf(input['TableName']) : '';
    const eventual = input['ConsistentRead'] !== true;
    switch (operation) {
      case 'PutItem':
        return [{ table, key: this.keyOf(table, input['Item']), kind: 'write', units: writeUnits(itemSize(input['Item'])) }];
      case 'UpdateItem':
      case 'DeleteItem':
        return [{ table, key: this.keyOf(table, input['Key']), kind: 'write', units: writeUnits(Math.max(itemSize(input['Key']), itemSize(output['Attributes']))) }];
      case 'GetItem':
        return [{ table, key: this.keyOf(table, input['Key']), kind: 'read', units: readUnits(itemSize(output['Item']), eventual ? 'eventual' : 'strong') }];
      case 'Query':
      case 'Scan': {
        const items = Array.isArray(output['Items']) ? (output['Items'] as unknown[]) : [];
        const bytes = items.reduce<number>((n, item) => n + itemSize(item), 0);
        const key = operation === 'Query' && input['IndexName'] === undefined ? this.keyName(table) : undefined;
        const value = key === undefined ? undefined : queryPartitionKey(input, key);
        return [{ table, key: value === undefined ? undefined : JSON.stringify(value), kind: 'read', units: readUnits(bytes, eventual ? 'eventual' : 'strong') }];
      }
      case 'BatchWriteItem':
        return Object.entries(asRecord(input['RequestItems'])).flatMap(([name, requests]) =>
          (Array.isArray(requests) ? (requests as unknown[]) : []).map((request) => {
            const put = asRecord(asRecord(request)['PutRequest'])['Item'];
            const key = put ?? asRecord(asRecord(request)['DeleteRequest'])['Key'];
            return { table: tableOf(name), key: this.keyOf(tableOf(name), key), kind: 'write' as const, units: writeUnits(itemSize(key)) };
          }),
        );
      case 'BatchGetItem':
        return Object.entries(asRecord(input['RequestItems'])).flatMap(([name, request]) => {
          const r = asRecord(request);
          const table = tableOf(name);
          const keys = Array.isArray(r['Keys']) ? (r['Keys'] as unknown[]) : [];
          // Each key as its own GetItem: a found item by its size, a key that found nothing the minimum.
          const found = new Map<string | undefined, number[]>();
          const items = asRecord(output['Responses'])[name];
          for (const item of Array.isArray(items) ? (items as unknown[]) : []) {
            const key = this.keyOf(table, item);
            const sizes = found.get(key);
            if (sizes === undefined) found.set(key, [itemSize(item)]);
            else sizes.push(itemSize(item));
          }
          return keys.map((keyAttributes) => {
            const key = this.keyOf(table, keyAttributes);
            const size = found.get(key)?.shift() ?? 0;
            return { table, key, kind: 'read' as const, units: readUnits(size, r['ConsistentRead'] === true ? 'strong' : 'eventual') };
          });
        });
      case 'TransactWriteItems':
      case 'TransactGetItems':
        return (Array.isArray(input['TransactItems']) ? (input['TransactItems'] as unknown[]) : []).flatMap((entry) =>
          Object.values(asRecord(entry)).map((body) => {
            const b = asRecord(body);
            const name = typeof b['TableName'] === 'string' ? tableOf(b['TableName']) : '';
            const item = b['Item'] ?? b['Key'];
            return operation === 'TransactWriteItems'
              ? { table: name, key: this.keyOf(name, item), kind: 'write' as const, units: writeUnits(itemSize(item), true) }
              : { table: name, key: this.keyOf(name, item), kind: 'read' as const, units: readUnits(0, 'transactional') };
          }),
        );
      default:
        return [];
    }
  }

  // ---- the per-partition limit --------------------------------------------------------------

  private buckets(table: string, key: string, now: number): { write: TokenBucket; read: TokenBucket } {
    const id = `${table}\u0000${key}`;
    let buckets = this.keys.get(id);
    if (buckets === undefined) {
      buckets = { write: new TokenBucket(this.limits.writeUnits, now), read: new TokenBucket(this.limits.readUnits, now) };
      this.keys.set(id, buckets);
    }
    return buckets;
  }

  /** The key's partition-key value as JSON, once the table's key schema is known. */
  private keyOf(table: string, item: unknown): string | undefined {
    const name = this.keyName(table);
    const value = name === undefined ? undefined : asRecord(item)[name];
    return value === undefined ? undefined : JSON.stringify(value);
  }

  private readonly known = new Map<string, string>();

  private keyName(table: string): string | undefined {
    return this.known.get(table);
  }

  /** Learns each table's partition-key name with DescribeTable (through the rest of the chain, cached). */
  private async learnSchemas(call: FrontCall, tables: readonly string[], next: FrontHandler): Promise<void> {
    await Promise.all(
      tables.map(async (table) => {
        const cached = this.schemas.get(table);
        if (cached !== undefined && this.now() - cached.at < KEY_SCHEMA_TTL_MS) {
          await cached.name;
          return;
        }
        const name = this.describe(call, table, next).catch(() => undefined);
        this.schemas.set(table, { name, at: this.now() });
        const resolved = await name;
        if (resolved === undefined) this.schemas.delete(table);
        else this.known.set(table, resolved);
      }),
    );
  }

  private async describe(template: FrontCall, table: string, next: FrontHandler): Promise<string | undefined> {
    const json = { TableName: table };
    const body = Buffer.from(JSON.stringify(json));
    const response = await next({
      ...template,
      operation: 'DescribeTable',
      action: 'dynamodb:DescribeTable',
      access: [{ action: 'dynamodb:DescribeTable', resource: arnOf.table(LOCAL_SCOPE, table) }],
      http: { ...template.http, headers: { ...template.http.headers, 'x-amz-target': 'DynamoDB_20120810.DescribeTable', 'content-length': String(body.length) } },
      body,
      json,
    });
    if (response.status !== 200) return undefined;
    const schema = asRecord(asRecord(responseJson(response))['Table'])['KeySchema'];
    const hash = (Array.isArray(schema) ? (schema as unknown[]) : []).map(asRecord).find((k) => k['KeyType'] === 'HASH');
    return typeof hash?.['AttributeName'] === 'string' ? hash['AttributeName'] : undefined;
  }

  /**
   * Charges what a call let through will cost, estimated from the request, before it is sent: calls
   * in flight together on one key then cannot all pass. The answer settles the difference.
   */
  private precharge(touches: readonly Touch[], now: number): void {
    for (const touch of touches) {
      if (touch.key === undefined) continue;
      const buckets = this.buckets(touch.table, touch.key, now);
      (touch.kind === 'write' ? buckets.write : buckets.read).charge(touch.units, now);
    }
  }

  private spent(touch: Touch, now: number): boolean {
    if (touch.key === undefined) return false;
    const buckets = this.buckets(touch.table, touch.key, now);
    return (touch.kind === 'write' ? buckets.write : buckets.read).available(now) <= 0;
  }

  private refusal(touch: Touch): FrontResponse {
    this.throttled += 1;
    this.table(touch.table).throttled += 1;
    const reason = touch.kind === 'write' ? 'TableWriteKeyRangeThroughputExceeded' : 'TableReadKeyRangeThroughputExceeded';
    const response = jsonError('dynamodb', 400, 'ProvisionedThroughputExceededException', HOT_KEY_MESSAGE);
    const body = { ...asRecord(responseJson(response)), ThrottlingReasons: [{ reason, resource: arnOf.table(LOCAL_SCOPE, touch.table) }] };
    return jsonResponse(response, body);
  }

  /**
   * Refuses what touches a key that spent its second: the whole call for a single-item call, a
   * Query or a transaction; the entries of a batch (returned as unprocessed, the rest forwarded).
   */
  private async admit(sent: FrontCall, input: Record<string, unknown>, next: FrontHandler): Promise<{ response: FrontResponse; forwarded: Record<string, unknown> | undefined } | undefined> {
    const tables = [...new Set(sent.resources.map((arn) => tableOf(arn.replace(/\/index\/.*$/, ''))))];
    await this.learnSchemas(sent, tables, next);
    const now = this.now();
    const touches = this.touches(sent.operation, input, {}, 200);
    if (sent.operation === 'BatchWriteItem' || sent.operation === 'BatchGetItem') return this.admitBatch(sent, input, touches, now, next);
    const hot = touches.find((t) => this.spent(t, now));
    if (hot === undefined) {
      this.precharge(touches, now);
      return undefined;
    }
    if (sent.operation === 'TransactWriteItems' || sent.operation === 'TransactGetItems') {
      this.throttled += 1;
      this.table(hot.table).throttled += 1;
      const reasons = touches.map((t) => (this.spent(t, now) ? { Code: 'ThrottlingError', Message: HOT_KEY_MESSAGE } : { Code: 'None' }));
      const response = jsonError('dynamodb', 400, 'TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`);
      return { response: jsonResponse(response, { ...asRecord(responseJson(response)), CancellationReasons: reasons }), forwarded: undefined };
    }
    return { response: this.refusal(hot), forwarded: undefined };
  }

  private async admitBatch(sent: FrontCall, input: Record<string, unknown>, touches: readonly Touch[], now: number, next: FrontHandler): Promise<{ response: FrontResponse; forwarded: Record<string, unknown> | undefined } | undefined> {
    const refused = touches.map((t) => this.spent(t, now));
    this.precharge(touches.filter((_, n) => !refused[n]), now);
    if (!refused.includes(true)) return undefined;
    const write = sent.operation === 'BatchWriteItem';
    const kept: Record<string, unknown> = {};
    const unprocessed: Record<string, unknown> = {};
    let i = 0;
    for (const [name, value] of Object.entries(asRecord(input['RequestItems']))) {
      if (write) {
        const requests = Array.isArray(value) ? (value as unknown[]) : [];
        const keep = requests.filter(() => !refused[i++]);
        const back = requests.filter((_, n) => refused[i - requests.length + n]);
        if (keep.length > 0) kept[name] = keep;
        if (back.length > 0) unprocessed[name] = back;
      } else {
        const request = asRecord(value);
        const keys = Array.isArray(request['Keys']) ? (request['Keys'] as unknown[]) : [];
        const keep = keys.filter(() => !refused[i++]);
        const back = keys.filter((_, n) => refused[i - keys.length + n]);
        if (keep.length > 0) kept[name] = { ...request, Keys: keep };
        if (back.length > 0) unprocessed[name] = { ...request, Keys: back };
      }
    }
    const hot = touches.find((_, n) => refused[n]) as Touch;
    if (Object.keys(kept).length === 0) return { response: this.refusal(hot), forwarded: undefined };
    this.throttled += 1;
    this.table(hot.table).throttled += 1;
    const forwarded = { ...input, RequestItems: kept };
    const response = await next(withJsonBody(sent, forwarded));
    if (response.status !== 200) return { response, forwarded };
    const output = asRecord(responseJson(response));
    const field = write ? 'UnprocessedItems' : 'UnprocessedKeys';
    const merged: Record<string, unknown> = { ...asRecord(output[field]) };
    for (const [name, value] of Object.entries(unprocessed)) {
      if (write) merged[name] = [...(Array.isArray(merged[name]) ? (merged[name] as unknown[]) : []), ...(value as unknown[])];
      else {
        const before = asRecord(merged[name]);
        const beforeKeys = Array.isArray(before['Keys']) ? (before['Keys'] as unknown[]) : [];
        merged[name] = { ...(value as Record<string, unknown>), Keys: [...beforeKeys, ...(asRecord(value)['Keys'] as unknown[])] };
      }
    }
    return { response: jsonResponse(response, { ...output, [field]: merged }), forwarded };
  }
}

export const dynamoDbCapacityMiddleware: MiddlewareFactory = (context) => (context.service === 'dynamodb' ? new DynamoDbCapacityMiddleware(context) : undefined);
