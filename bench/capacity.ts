/**
 * Tasks and shards for a target rate, from the per-core figures a benchmark run measured. A
 * plan, not a promise: it assumes a task's records per CPU second scale with its vCPUs (true for
 * the scorer's inference threads, optimistic for the single-threaded roles past one vCPU) and that
 * AWS's services cost no more CPU per record than the emulators' clients did here.
 */

import { STREAM_CONSUMERS } from '../shared/catalog.js';

/** One Kinesis shard's write limits (AWS quotas): 1,000 records/s and 1 MiB/s. */
export const SHARD_WRITE_LIMIT = { recordsPerSecond: 1000, bytesPerSecond: 1024 * 1024 } as const;
/** Plan shards to this share of their limit: a hot partition key or a burst has room. */
export const SHARD_HEADROOM = 0.8;
/** Plan tasks to this CPU share: the scorer's scaling target in the prod stack (cpuPercent 60). */
export const CPU_TARGET = 0.6;
/** DynamoDB's default per-table throughput quota (on-demand maximum, adjustable). */
export const TABLE_WRU_QUOTA = 40_000;
/** DynamoDB's default per-table read quota (on-demand maximum, adjustable). */
export const TABLE_RRU_QUOTA = 40_000;
/** One Node.js process does its JavaScript on one core, so a single crawler cursor tops out near its per-core rate. */
export const SINGLE_CURSOR_CORES = 1;

export const CAPACITY_TARGETS = [1_000, 10_000, 100_000] as const;

/** The stream each consuming role holds shard leases on. */
const CONSUMER_STREAM: Readonly<Record<string, 'raw' | 'results'>> = { 'stream-reader': 'raw', projector: 'results' };

export interface CapacityInputs {
  /** Records in view per CPU second of each pipeline role. */
  readonly recordsPerCpuSecond: Readonly<Record<string, number>>;
  /** vCPUs per task of each role (the stack's taskSize). */
  readonly taskVcpus: Readonly<Record<string, number>>;
  readonly rawRecordBytes: number;
  /** Bytes of one result (its JSON). */
  readonly resultRecordBytes: number;
  /** Results per results-stream record as the scorer packs a full job (absent in older results: one). */
  readonly resultsPerRecord?: number;
  /** View write capacity per record, as DynamoDB reported it consumed in the bench. */
  readonly viewWruPerRecord: number;
  /** View read capacity per user-month page, as DynamoDB reported it consumed in the bench (absent in older results). */
  readonly viewRruPerMonthRead?: number;
  /** BullMQ no-op records/s measured here against one Redis. */
  readonly queueCeilingPerSecond: number;
}

export interface CapacityRow {
  readonly transactionsPerSecond: number;
  readonly shards: { readonly raw: number; readonly results: number };
  /** Registered consumers times the shards of their stream: enhanced fan-out is billed per consumer-shard hour (and per GB pushed). */
  readonly fanOutConsumerShards: number;
  /** Tasks per role at the stack's task sizes, CPU at `CPU_TARGET`. */
  readonly tasks: Readonly<Record<string, number>>;
  readonly viewWriteUnitsPerSecond: number;
  /** Job payloads into Redis, MiB/s (each raw record once in a job). */
  readonly redisMiBPerSecond: number;
  /** What bounds this tier first. */
  readonly limits: readonly string[];
}

/** Shards for `rate` items a second of `bytes` each, `perRecord` items to a Kinesis record. */
const shardsFor = (rate: number, bytes: number, perRecord = 1): number =>
  Math.max(1, Math.ceil(Math.max(rate / perRecord / SHARD_WRITE_LIMIT.recordsPerSecond, (rate * bytes) / SHARD_WRITE_LIMIT.bytesPerSecond) / SHARD_HEADROOM));

export function capacityPlan(inputs: CapacityInputs, targets: readonly number[] = CAPACITY_TARGETS): CapacityRow[] {
  return targets.map((rate) => {
    const shards = { raw: shardsFor(rate, inputs.rawRecordBytes), results: shardsFor(rate, inputs.resultRecordBytes, inputs.resultsPerRecord) };
    const limits: string[] = [];
    const tasks: Record<string, number> = {};
    for (const [role, perCpuSecond] of Object.entries(inputs.recordsPerCpuSecond)) {
      const vcpus = inputs.taskVcpus[role] ?? 1;
      // The crawler follows one broker cursor: more tasks would read the same pages.
      const needed = role === 'crawler' ? 1 : Math.max(1, Math.ceil(rate / (perCpuSecond * vcpus * CPU_TARGET)));
      // A shard's lease has one holder, so a consumer role cannot usefully run more tasks than shards.
      const leased = CONSUMER_STREAM[role];
      if (leased !== undefined && needed > shards[leased]) {
        limits.push(`${role}: one ${vcpus} vCPU task per shard is not enough CPU: larger tasks`);
        tasks[role] = shards[leased];
      } else tasks[role] = needed;
    }
    const wru = Math.round(rate * inputs.viewWruPerRecord);
    const crawlerMax = (inputs.recordsPerCpuSecond['crawler'] ?? Infinity) * SINGLE_CURSOR_CORES;
    if (rate > crawlerMax) limits.push(`one crawler cursor (about ${Math.round(crawlerMax).toLocaleString('en-US')}/s on one core): the broker must offer partitioned cursors, one crawler each`);
    if (wru > TABLE_WRU_QUOTA) limits.push(`view table at ${wru.toLocaleString('en-US')} WRU/s, over DynamoDB's ${TABLE_WRU_QUOTA.toLocaleString('en-US')} per-table default quota: raise it`);
    if (rate > inputs.queueCeilingPerSecond * CPU_TARGET) limits.push(`one BullMQ queue on one Redis primary (about ${inputs.queueCeilingPerSecond.toLocaleString('en-US')} records/s here): split the queue across a Redis cluster (hash-tagged queue per shard group)`);
    if (limits.length === 0) limits.push(`Kinesis shards (1,000 records/s each) and scorer CPU; nothing shared is near a quota`);
    const fanOutConsumerShards = Object.values(STREAM_CONSUMERS).reduce((n, consumer) => n + (consumer.stream === 'raw' || consumer.stream === 'results' ? shards[consumer.stream] : 0), 0);
    return { transactionsPerSecond: rate, shards, fanOutConsumerShards, tasks, viewWriteUnitsPerSecond: wru, redisMiBPerSecond: Math.round(((rate * inputs.rawRecordBytes) / 2 ** 20) * 10) / 10, limits };
  });
}

/** The plan as a markdown table plus its assumptions. */
export function capacityMarkdown(rows: readonly CapacityRow[], inputs: CapacityInputs, stack: string): string {
  // Columns in the order data flows through the roles.
  const flow = ['crawler', 'stream-reader', 'scorer', 'projector'];
  const rank = (role: string): number => (flow.includes(role) ? flow.indexOf(role) : flow.length);
  const roles = Object.keys(inputs.recordsPerCpuSecond).sort((a, b) => (rank(a) === rank(b) ? a.localeCompare(b) : rank(a) - rank(b)));
  const header = `| transactions/s | raw shards | results shards | fan-out consumer-shards | ${roles.map((r) => `${r} tasks`).join(' | ')} | view WRU/s | Redis MiB/s | limited by |`;
  const rule = `|${'---:|'.repeat(4 + roles.length + 2)}---|`;
  const lines = rows.map(
    (row) =>
      `| ${row.transactionsPerSecond.toLocaleString('en-US')} | ${row.shards.raw} | ${row.shards.results} | ${row.fanOutConsumerShards} | ${roles.map((r) => row.tasks[r] ?? '').join(' | ')} | ${row.viewWriteUnitsPerSecond.toLocaleString('en-US')} | ${row.redisMiBPerSecond} | ${row.limits.join('; ')} |`,
  );
  const perCore = roles.map((r) => `${r} ${inputs.recordsPerCpuSecond[r]?.toLocaleString('en-US')}/CPU-s on ${inputs.taskVcpus[r] ?? 1} vCPU tasks`).join(', ');
  return [
    header,
    rule,
    ...lines,
    '',
    `Derived from the measured records per CPU second (${perCore}; task sizes from Pulumi.${stack}.yaml), tasks planned at ${CPU_TARGET * 100} % CPU,`,
    `shards at ${SHARD_HEADROOM * 100} % of 1,000 records/s or 1 MiB/s (raw records ${inputs.rawRecordBytes} B, results ${inputs.resultRecordBytes} B, ${inputs.resultsPerRecord ?? 1} to a results record), ${inputs.viewWruPerRecord} view WRU per record`,
    `(consumed capacity as DynamoDB reported it); the stream-reader and the projector each a registered consumer on every shard of the live raw and results stream${inputs.viewRruPerMonthRead === undefined ? '' : `; a user-month page read costs ${inputs.viewRruPerMonthRead} RRU (measured), so the view's 40,000 RRU/s default quota serves about ${Math.floor(TABLE_RRU_QUOTA / Math.max(inputs.viewRruPerMonthRead, 0.5)).toLocaleString('en-US')} page reads a second`}. One crawler per broker cursor. Per-core rates assume a task's rate scales with its vCPUs.`,
  ].join('\n');
}
