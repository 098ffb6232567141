import type { StackResourceNames, StreamConsumerName } from './catalog.js';
import { ConfigError } from './errors.js';
import { DEFAULT_IDLE_TIME_BETWEEN_READS_MS } from './kinesis/consumer-options.js';
import type { ConfigIssue } from './errors.js';

/**
 * The worker environment contract: every variable a worker reads, what it means, its type and
 * default, and which roles need it. Workers parse it once at start-up; infra and `local/` build
 * each task's environment from the same table, so a deployed task cannot miss a variable.
 */

export const WorkerRole = {
  Crawler: 'crawler',
  StreamReader: 'stream-reader',
  Scorer: 'scorer',
  Projector: 'projector',
  Api: 'api',
  Batch: 'batch',
  Replay: 'replay',
  Webhook: 'webhook',
} as const;

export type WorkerRoleName = (typeof WorkerRole)[keyof typeof WorkerRole];
export const WORKER_ROLES = Object.values(WorkerRole) as readonly WorkerRoleName[];

type Kind =
  | { readonly type: 'string' }
  | { readonly type: 'url'; readonly protocols: readonly string[] }
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'bool' }
  | { readonly type: 'enum'; readonly values: readonly string[] };

interface VariableSpec {
  readonly doc: string;
  readonly kind: Kind;
  /** Used when the variable is unset; a variable without one is required by the roles that list it. */
  readonly default?: string;
  /** Never echoed back in errors or logs. */
  readonly secret?: boolean;
}

const str = { type: 'string' } as const;
const int = (min: number, max: number) => ({ type: 'int', min, max }) as const;
const bool = { type: 'bool' } as const;

export const WORKER_VARIABLES = {
  INSIGHTS_STACK: { doc: 'Stack name (dev, prod, local); labels logs and metrics.', kind: str },
  LOG_LEVEL: { doc: 'pino log level.', kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info' },
  HEALTH_PORT: { doc: 'Port of the /health endpoint the container health check calls; 0 picks a free one.', kind: int(0, 65535), default: '8080' },
  SHUTDOWN_TIMEOUT_MS: { doc: 'How long SIGTERM may drain before the worker exits; below the container stop timeout.', kind: int(1000, 600000), default: '25000' },
  METRICS_ENABLED: { doc: 'Write CloudWatch metrics as Embedded Metric Format lines on stdout (the scorer backlog the autoscaler follows, alarm counts, lag).', kind: bool, default: 'false' },
  METRICS_NAMESPACE: { doc: 'CloudWatch namespace for custom metrics.', kind: str, default: 'RealtimeInsights' },
  BACKLOG_METRIC_NAME: { doc: 'Metric of waiting scoring jobs that infra scales the scorer on.', kind: str, default: 'ScoringBacklog' },

  RAW_STREAM_NAME: { doc: 'Kinesis stream of validated live broker transactions.', kind: str },
  RESULTS_STREAM_NAME: { doc: 'Kinesis stream of scored live results.', kind: str },
  RAW_HISTORY_STREAM_NAME: { doc: "Kinesis stream of validated sign-up histories (the backfill lane): live records never share a shard with them.", kind: str },
  RESULTS_HISTORY_STREAM_NAME: { doc: 'Kinesis stream of scored sign-up histories (the backfill lane).', kind: str },
  RESULTS_CONSUMER_ARN: { doc: "The projector's registered consumer of the live results stream (enhanced fan-out): SubscribeToShard pushes the live lane's results.", kind: str },
  RAW_CONSUMER_ARN: { doc: "The stream-reader's registered consumer of the live raw stream (enhanced fan-out): SubscribeToShard pushes the live lane's records.", kind: str },
  VIEW_TABLE_NAME: { doc: 'DynamoDB insights view.', kind: str },
  LEASE_TABLE_NAME: { doc: 'DynamoDB shard-lease table.', kind: str },
  INGEST_LEDGER_TABLE_NAME: { doc: 'DynamoDB ledger of accepted transaction ids and content hashes.', kind: str },
  CRAWLER_STATE_TABLE_NAME: { doc: "DynamoDB table holding the crawler's cursor.", kind: str },
  REJECTS_TABLE_NAME: { doc: 'DynamoDB reject store.', kind: str },
  BATCH_STATE_TABLE_NAME: { doc: 'DynamoDB table of archive objects the batch job has processed.', kind: str },
  RAW_ARCHIVE_BUCKET: { doc: 'S3 bucket of the raw archive.', kind: str },
  ANALYTICS_BUCKET: { doc: 'S3 bucket of enriched Parquet.', kind: str },

  REDIS_URL: { doc: 'Redis for BullMQ: redis:// locally, rediss:// (TLS) on ElastiCache.', kind: { type: 'url', protocols: ['redis:', 'rediss:'] } },
  REDIS_AUTH_TOKEN: { doc: 'ElastiCache auth token; empty when the URL carries none.', kind: str, default: '', secret: true },
  SCORING_QUEUE_NAME: { doc: 'BullMQ queue of scoring jobs.', kind: str },
  QUEUE_PREFIX: { doc: 'BullMQ key prefix, with a {hash tag} for Redis cluster mode.', kind: str },

  BROKER_URL: { doc: "Data broker API base URL.", kind: { type: 'url', protocols: ['http:', 'https:'] } },
  BROKER_API_KEY: { doc: 'Data broker bearer token (from Secrets Manager in AWS).', kind: str, secret: true },
  CRAWLER_PAGE_SIZE: { doc: 'Transactions asked for per broker call.', kind: int(1, 10000), default: '500' },
  CRAWLER_SOURCE: {
    doc: "What the crawler follows: 'sync' takes connection syncs from the sync queue (the aggregator's API, a fleet of crawlers), 'feed' follows the broker's one line feed with one cursor (--input files, the seeded feed).",
    kind: { type: 'enum', values: ['feed', 'sync'] },
    default: 'feed',
  },
  SYNC_QUEUE_NAME: { doc: 'BullMQ queue of connection syncs, from the webhook receiver to the crawlers.', kind: str },
  CRAWLER_SYNC_CONCURRENCY: { doc: 'Connections one crawler syncs at once (sync source).', kind: int(1, 256), default: '4' },
  CRAWLER_SYNC_LOCK_MS: { doc: "How long a crawler's hold on a sync job lasts unrenewed: a killed crawler's connection moves to another crawler this long after it died.", kind: int(1000, 600000), default: '30000' },
  CRAWLER_IDLE_MS: { doc: 'Wait before asking again when the broker has nothing newer.', kind: int(10, 600000), default: '500' },

  LEASE_FAILOVER_MS: { doc: 'A lease not renewed for this long may be taken by another worker.', kind: int(1000, 600000), default: '10000' },
  READ_IDLE_MS: { doc: 'Wait between GetRecords calls when a shard is caught up.', kind: int(0, 60000), default: String(DEFAULT_IDLE_TIME_BETWEEN_READS_MS) },
  GET_RECORDS_LIMIT: { doc: 'Records asked for per GetRecords call.', kind: int(1, 10000), default: '1000' },
  READER_MAX_IN_FLIGHT_JOBS: { doc: 'Scoring jobs a shard may have outstanding before reading pauses.', kind: int(1, 10000), default: '16' },
  READER_JOB_MAX_RECORDS: { doc: 'Records per scoring job.', kind: int(1, 10000), default: '250' },

  MODELS_DIR: { doc: 'Folder with manifest.json and the ONNX files.', kind: str, default: 'models' },
  SCORER_CONCURRENCY: { doc: 'Scoring jobs one scorer processes at once.', kind: int(1, 256), default: '4' },
  INFERENCE_THREADS: { doc: 'Inference worker threads; 0 means one per CPU the container has.', kind: int(0, 256), default: '0' },

  WEBHOOK_PORT: { doc: 'Port of the webhook endpoint (POST /webhooks/transactions) the broker posts to.', kind: int(0, 65535), default: '8082' },
  WEBHOOK_HOST: { doc: 'Address the webhook endpoint listens on: every interface in a container, loopback on a laptop.', kind: str, default: '0.0.0.0' },
  WEBHOOK_JWKS_URL: { doc: "The broker's webhook verification keys (JWKS): fetched on first use, cached, fetched again for a key id it does not know.", kind: { type: 'url', protocols: ['http:', 'https:'] } },
  WEBHOOK_MAX_AGE_SECONDS: { doc: 'A webhook signed longer ago than this is refused as stale (a replay or a delivery too late to trust).', kind: int(10, 86400), default: '300' },

  API_PORT: { doc: 'Port of the read API (GET /users/:id/insights) and the insights page.', kind: int(0, 65535), default: '8081' },
  API_HOST: { doc: 'Address the read API listens on: every interface in a container, loopback on a laptop.', kind: str, default: '0.0.0.0' },
  AUTH_ISSUER: { doc: "Token issuer the read API trusts (the JWT's iss): a Cognito user pool's https://cognito-idp.<region>.amazonaws.com/<pool id>, or the local development issuer.", kind: str },
  AUTH_AUDIENCE: { doc: "Audience the read API accepts: the JWT's aud, or its client_id when it has no aud (Cognito access tokens), as API Gateway's JWT authoriser checks it.", kind: str },
  AUTH_JWKS_URL: { doc: "The issuer's signing keys (JWKS): fetched on first use, cached, fetched again for a key id it does not know (key rotation).", kind: { type: 'url', protocols: ['http:', 'https:'] } },
  AUTH_USER_CLAIM: { doc: 'Token claim holding the user id a caller may read; it must equal the id in the path.', kind: str, default: 'sub' },
  AUTH_SIGN_IN_URL: { doc: "Where the insights page sends people to sign in (an identity provider's hosted sign-in); empty shows the token form only.", kind: str, default: '' },
  API_USER_RATE_PER_SEC: { doc: 'Requests per second one user may make to one api task, refilled continuously; over it the API answers 429.', kind: int(1, 1000000), default: '10' },
  API_USER_BURST: { doc: 'Requests one user may make at once to one api task before API_USER_RATE_PER_SEC applies.', kind: int(1, 1000000), default: '20' },
} as const satisfies Record<string, VariableSpec>;

export type WorkerVariable = keyof typeof WORKER_VARIABLES;

const BASE = ['INSIGHTS_STACK', 'LOG_LEVEL', 'HEALTH_PORT', 'SHUTDOWN_TIMEOUT_MS', 'METRICS_ENABLED', 'METRICS_NAMESPACE'] as const;
const CONSUMER = ['LEASE_TABLE_NAME', 'LEASE_FAILOVER_MS', 'READ_IDLE_MS', 'GET_RECORDS_LIMIT'] as const;
const QUEUE = ['REDIS_URL', 'REDIS_AUTH_TOKEN', 'SCORING_QUEUE_NAME', 'QUEUE_PREFIX', 'BACKLOG_METRIC_NAME'] as const;

/** Which variables each role reads. Nothing outside its list reaches a role's task definition. */
export const ROLE_VARIABLES = {
  crawler: [
    ...BASE,
    'RAW_STREAM_NAME',
    'RAW_HISTORY_STREAM_NAME',
    'INGEST_LEDGER_TABLE_NAME',
    'CRAWLER_STATE_TABLE_NAME',
    'REJECTS_TABLE_NAME',
    'BROKER_URL',
    'BROKER_API_KEY',
    'CRAWLER_PAGE_SIZE',
    'CRAWLER_IDLE_MS',
    'CRAWLER_SOURCE',
    'CRAWLER_SYNC_CONCURRENCY',
    'CRAWLER_SYNC_LOCK_MS',
    'REDIS_URL',
    'REDIS_AUTH_TOKEN',
    'SYNC_QUEUE_NAME',
    'QUEUE_PREFIX',
  ],
  'stream-reader': [...BASE, ...CONSUMER, ...QUEUE, 'RAW_STREAM_NAME', 'RAW_CONSUMER_ARN', 'RAW_HISTORY_STREAM_NAME', 'REJECTS_TABLE_NAME', 'READER_MAX_IN_FLIGHT_JOBS', 'READER_JOB_MAX_RECORDS'],
  scorer: [...BASE, ...QUEUE, 'RESULTS_STREAM_NAME', 'RESULTS_HISTORY_STREAM_NAME', 'REJECTS_TABLE_NAME', 'MODELS_DIR', 'SCORER_CONCURRENCY', 'INFERENCE_THREADS'],
  projector: [...BASE, ...CONSUMER, 'RESULTS_STREAM_NAME', 'RESULTS_CONSUMER_ARN', 'RESULTS_HISTORY_STREAM_NAME', 'VIEW_TABLE_NAME', 'REJECTS_TABLE_NAME'],
  api: [...BASE, 'VIEW_TABLE_NAME', 'API_PORT', 'API_HOST', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL', 'AUTH_USER_CLAIM', 'AUTH_SIGN_IN_URL', 'API_USER_RATE_PER_SEC', 'API_USER_BURST'],
  batch: [...BASE, 'RAW_ARCHIVE_BUCKET', 'ANALYTICS_BUCKET', 'VIEW_TABLE_NAME', 'BATCH_STATE_TABLE_NAME', 'REJECTS_TABLE_NAME'],
  replay: [...BASE, 'RAW_ARCHIVE_BUCKET', 'RAW_HISTORY_STREAM_NAME'],
  webhook: [...BASE, 'WEBHOOK_PORT', 'WEBHOOK_HOST', 'WEBHOOK_JWKS_URL', 'WEBHOOK_MAX_AGE_SECONDS', 'REDIS_URL', 'REDIS_AUTH_TOKEN', 'SYNC_QUEUE_NAME', 'QUEUE_PREFIX'],
} as const satisfies Record<WorkerRoleName, readonly WorkerVariable[]>;

type ValueOf<K extends WorkerVariable> = (typeof WORKER_VARIABLES)[K]['kind'] extends { type: 'int' }
  ? number
  : (typeof WORKER_VARIABLES)[K]['kind'] extends { type: 'bool' }
    ? boolean
    : string;

/** What every role has: generic worker code (runtime, health, logging) reads only these. */
export type BaseWorkerEnv = { readonly [K in (typeof BASE)[number]]: ValueOf<K> };

/** The parsed environment of one role: exactly its variables, typed. */
export type WorkerEnv<R extends WorkerRoleName> = BaseWorkerEnv & { readonly [K in (typeof ROLE_VARIABLES)[R][number]]: ValueOf<K> };

function parseValue(key: string, spec: VariableSpec, raw: string): { value?: unknown; problem?: string } {
  const shown = spec.secret ? '(secret)' : `'${raw}'`;
  switch (spec.kind.type) {
    case 'string':
      return { value: raw };
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) return { problem: `must be a whole number, got ${shown}` };
      const n = Number(raw.trim());
      if (n < spec.kind.min || n > spec.kind.max) return { problem: `must be between ${spec.kind.min} and ${spec.kind.max}, got ${n}` };
      return { value: n };
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return { value: true };
      if (['false', '0', 'no', ''].includes(v)) return { value: false };
      return { problem: `must be true or false, got ${shown}` };
    }
    case 'enum':
      return spec.kind.values.includes(raw) ? { value: raw } : { problem: `must be one of ${spec.kind.values.join(', ')}, got ${shown}` };
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        // URLs can carry credentials (rediss://:token@host), so the value is never echoed.
        return { problem: 'must be a URL (value not shown)' };
      }
      if (!spec.kind.protocols.includes(url.protocol)) {
        return { problem: `must use ${spec.kind.protocols.join(' or ')}, got ${spec.secret ? '(secret)' : url.protocol}` };
      }
      return { value: raw };
    }
  }
  return { problem: `has an unknown kind for ${key}` };
}

/**
 * Parses and validates a role's environment once, at start-up. Throws a `ConfigError` naming every
 * missing or malformed variable at once, so a broken task definition is fixed in one round.
 */
export function parseWorkerEnv<R extends WorkerRoleName>(role: R, env: NodeJS.ProcessEnv = process.env): WorkerEnv<R> {
  const issues: ConfigIssue[] = [];
  const out: Record<string, unknown> = {};
  for (const key of ROLE_VARIABLES[role] as readonly WorkerVariable[]) {
    const spec: VariableSpec = WORKER_VARIABLES[key];
    const raw = env[key] ?? spec.default;
    if (raw === undefined || (raw === '' && spec.default === undefined)) {
      issues.push({ key, problem: `is required by the ${role} role (${spec.doc})` });
      continue;
    }
    const { value, problem } = parseValue(key, spec, raw);
    if (problem !== undefined) issues.push({ key, problem });
    else out[key] = value;
  }
  if (issues.length > 0) throw new ConfigError(`worker environment for role '${role}' is invalid`, issues);
  return out as WorkerEnv<R>;
}

/** Variables a role needs that have no default: what infra and `local/` must always set. */
export function requiredVariables(role: WorkerRoleName): WorkerVariable[] {
  return (ROLE_VARIABLES[role] as readonly WorkerVariable[]).filter((key) => !('default' in WORKER_VARIABLES[key]));
}

/** Variables whose values must come from a secret store, never from plain task environment. */
export function secretVariables(role: WorkerRoleName): WorkerVariable[] {
  return (ROLE_VARIABLES[role] as readonly WorkerVariable[]).filter((key) => 'secret' in WORKER_VARIABLES[key]);
}

/** The consumer-ARN variables from a stack's registered consumers (catalog `STREAM_CONSUMERS`), as infra and `local/` both pass them. */
export function consumerVariables(arns: Readonly<Record<StreamConsumerName, string>>): Partial<Record<WorkerVariable, string>> {
  return { RAW_CONSUMER_ARN: arns.rawReader, RESULTS_CONSUMER_ARN: arns.resultsProjector };
}

/**
 * Builds the environment for one role from a superset of values: keeps only the role's variables,
 * checks the result parses, and returns plain strings for a task definition or a child process.
 */
export function buildWorkerEnv(role: WorkerRoleName, values: Partial<Record<WorkerVariable, string | number | boolean>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ROLE_VARIABLES[role] as readonly WorkerVariable[]) {
    const value = values[key];
    if (value !== undefined) env[key] = String(value);
  }
  parseWorkerEnv(role, env);
  return env;
}

/**
 * The contract's resource-naming variables from a stack's physical names (see the catalog's
 * `resourceNames`): the one mapping infra and `local/` both use, so a task and a local process
 * can never be told different names for the same resource.
 */
export function resourceVariables(names: StackResourceNames): Partial<Record<WorkerVariable, string>> {
  return {
    RAW_STREAM_NAME: names.streams.raw,
    RESULTS_STREAM_NAME: names.streams.results,
    RAW_HISTORY_STREAM_NAME: names.streams.rawHistory,
    RESULTS_HISTORY_STREAM_NAME: names.streams.resultsHistory,
    VIEW_TABLE_NAME: names.tables.view,
    LEASE_TABLE_NAME: names.tables.leases,
    INGEST_LEDGER_TABLE_NAME: names.tables.ingestLedger,
    CRAWLER_STATE_TABLE_NAME: names.tables.crawlerState,
    REJECTS_TABLE_NAME: names.tables.rejects,
    BATCH_STATE_TABLE_NAME: names.tables.batchState,
    RAW_ARCHIVE_BUCKET: names.buckets.rawArchive,
    ANALYTICS_BUCKET: names.buckets.analytics,
    SCORING_QUEUE_NAME: names.queues.scoring,
    SYNC_QUEUE_NAME: names.queues.sync,
    QUEUE_PREFIX: names.queuePrefix,
  };
}
