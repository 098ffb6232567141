import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { PROJECT, STREAMS, assertStackName } from '../shared/catalog.js';
import type { ConfigIssue } from '../shared/errors.js';
import { ConfigError } from './errors.js';
import { fargateSizeProblem } from './lib/fargate.js';
import { scheduleExpressionProblem } from './lib/schedule-expression.js';

/**
 * Stack configuration: every setting a stack file may carry, as a zod schema with its bounds and
 * default, and the one function that turns a stack's raw config into a typed, validated
 * `StackConfig`. `index.ts` hands it a reader over `pulumi.Config`; tests and `npm run plan` hand
 * it plain maps. Every key is checked before anything fails, so one run names every bad key.
 */

/** Config namespace of this project's own keys (`realtime-insights:rawShards`). */
export const NAMESPACE = PROJECT;

/** Roles that run as long-lived Fargate services in `Workers`; the api and webhook roles run in their own components. */
export const SERVICE_ROLES = ['crawler', 'stream-reader', 'scorer', 'projector'] as const;
/** Roles that get a task definition: the services plus the scheduled batch job and on-demand replay. */
export const TASK_ROLES = [...SERVICE_ROLES, 'batch', 'replay'] as const;

export type ServiceRole = (typeof SERVICE_ROLES)[number];
export type TaskRole = (typeof TASK_ROLES)[number];

export const STREAM_MODES = ['provisioned', 'on-demand'] as const;
export const NAT_STRATEGIES = ['none', 'single', 'one-per-az'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** The retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export type StreamMode = (typeof STREAM_MODES)[number];
export type NatStrategy = (typeof NAT_STRATEGIES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StreamsConfig {
  readonly mode: StreamMode;
  /** Provisioned shards of the raw stream; undefined when on-demand. */
  readonly rawShards: number | undefined;
  /** Provisioned shards of the results stream; undefined when on-demand. */
  readonly resultsShards: number | undefined;
  /** Provisioned shards of the history lane's raw stream (sign-up backfills, replays); undefined when on-demand. */
  readonly rawHistoryShards: number | undefined;
  /** Provisioned shards of the history lane's results stream; undefined when on-demand. */
  readonly resultsHistoryShards: number | undefined;
  /** Hours a record stays readable (24 to 8760). */
  readonly retentionHours: number;
}

export interface ArchiveConfig {
  /** Firehose buffer before a write to S3, in MiB. */
  readonly bufferSizeMb: number;
  /** Firehose buffer before a write to S3, in seconds. */
  readonly bufferIntervalSeconds: number;
  /** Days until archive objects move to S3 Standard-IA. */
  readonly infrequentAccessDays: number;
  /** Days until archive objects move to Glacier Instant Retrieval. */
  readonly glacierDays: number;
  /** Days until archive objects are deleted; 0 keeps them forever. */
  readonly expireDays: number;
}

export interface NetworkConfig {
  readonly natGateways: NatStrategy;
  readonly availabilityZones: number;
  readonly cidr: string;
}

/** How ElastiCache takes a new auth token: ROTATE accepts the old and the new, SET only the new. */
export const AUTH_TOKEN_UPDATE_STRATEGIES = ['ROTATE', 'SET'] as const;
export type AuthTokenUpdateStrategy = (typeof AUTH_TOKEN_UPDATE_STRATEGIES)[number];

export interface RedisConfig {
  readonly nodeType: string;
  readonly engineVersion: string;
  /** Read replicas besides the primary (0 to 5). */
  readonly replicas: number;
  /** Multi-AZ with automatic failover; needs at least one replica. */
  readonly multiAz: boolean;
  /** How a changed `redisAuthToken` is applied (at once): ROTATE keeps the old one valid too, SET revokes it. @default 'ROTATE' */
  readonly authTokenUpdateStrategy: AuthTokenUpdateStrategy;
}

export interface TaskSize {
  /** CPU units (1024 = one vCPU). */
  readonly cpu: number;
  /** MiB. */
  readonly memory: number;
}

export interface Bounds {
  readonly min: number;
  readonly max: number;
}

export interface ScalingConfig {
  readonly streamReader: Bounds & {
    /** Raw-stream iterator age (ms) that target tracking holds when the stream is on-demand. */
    readonly iteratorAgeMs: number;
  };
  readonly scorer: Bounds & {
    /** Waiting scoring jobs per running scorer task that target tracking holds. */
    readonly backlogPerTask: number;
    /** Average CPU (percent) that target tracking holds. */
    readonly cpuPercent: number;
  };
  readonly projector: Bounds & {
    /** Results-stream iterator age (ms) that target tracking holds. */
    readonly iteratorAgeMs: number;
  };
}

export interface AlarmsConfig {
  /** Iterator age (ms) of either stream above which the alarm fires. */
  readonly iteratorAgeMs: number;
  /** Rejects written per 5 minutes above which the alarm fires. */
  readonly rejectsPer5Min: number;
  /** Address that gets alarm notifications; none when undefined. */
  readonly email: string | undefined;
}

/** The stack's secrets as Pulumi secret Outputs: read with `requireSecret`, never held as plain strings. */
export interface StackSecrets {
  /** The data broker's bearer token. */
  readonly brokerApiKey: pulumi.Output<string>;
  /** The ElastiCache auth token. */
  readonly redisAuthToken: pulumi.Output<string>;
}

/** Where the read API's bearer tokens come from: a Cognito user pool the program creates, or an issuer of your own. */
export const IDENTITY_PROVIDERS = ['cognito', 'external'] as const;
export type IdentityProvider = (typeof IDENTITY_PROVIDERS)[number];

/** The read path (issue 14): the gateway, its JWT authoriser, and the api service behind them. */
export interface ReadApiConfig {
  readonly identity: IdentityProvider;
  /** The token issuer (the JWT's iss) of an external provider; undefined for Cognito (the pool's own). */
  readonly issuer: string | undefined;
  /** The audience (aud, else client_id) of an external provider; undefined for Cognito (the app client's id). */
  readonly audience: string | undefined;
  /** The external provider's JWKS; undefined for Cognito. */
  readonly jwksUrl: string | undefined;
  /** Ranges the external provider's JWKS is served from: the api tasks' only egress outside AWS. Empty for Cognito. */
  readonly jwksCidrs: readonly string[];
  /** Claim holding the user id a caller may read. */
  readonly userClaim: string;
  readonly task: TaskSize;
  /** api tasks, scaled on CPU between these. */
  readonly scaling: Bounds & { readonly cpuPercent: number };
  /** Requests per second (and at once) the gateway admits on the insights route, all callers together. */
  readonly throttle: { readonly rate: number; readonly burst: number };
  /** Requests per second (and at once) one user may make to one api task (the in-app token bucket). */
  readonly perUser: { readonly rate: number; readonly burst: number };
}

/** Everything that runs compute: absent on a data-plane-only stack (LocalStack). */
export interface ComputeConfig {
  readonly network: NetworkConfig;
  readonly redis: RedisConfig;
  readonly tasks: Readonly<Record<TaskRole, TaskSize>>;
  readonly scaling: ScalingConfig;
  /** Seconds ECS waits after SIGTERM before SIGKILL (Fargate allows up to 120). */
  readonly stopTimeoutSeconds: number;
  /**
   * `pulumi up` waits until every service is steady and fails when one is not (a crash-looping
   * deploy fails the run instead of reporting success). @default false
   */
  readonly waitForSteadyState: boolean;
  /** The data broker's base URL: https, its port the crawler's only way out. */
  readonly brokerUrl: string;
  /** Address ranges the broker is served from: the crawler's egress reaches these, on the URL's port, and nothing else outside AWS. */
  readonly brokerCidrs: readonly string[];
  readonly secrets: StackSecrets;
  /** EventBridge Scheduler expression of the batch job (`rate(1 hour)`, `cron(15 * * * ? *)`). */
  readonly batchSchedule: string;
  readonly alarms: AlarmsConfig;
  readonly readApi: ReadApiConfig;
}

export interface StackConfig {
  readonly stack: string;
  readonly region: string;
  readonly logLevel: LogLevel;
  /** Deletion protection on tables and `protect` on stateful resources. */
  readonly deletionProtection: boolean;
  /** Let `pulumi destroy` delete non-empty buckets and repositories. */
  readonly forceDestroy: boolean;
  readonly streams: StreamsConfig;
  readonly archive: ArchiveConfig;
  readonly logRetentionDays: number;
  readonly compute: ComputeConfig | undefined;
}

/** Reads one fully qualified key (`realtime-insights:rawShards`, `aws:region`); undefined when unset. */
export type ConfigSource = (key: string) => string | undefined;

/** Reads one secret key as a Pulumi secret (`Config.requireSecret`); undefined when unset. */
export type SecretSource = (key: string) => pulumi.Output<string> | undefined;

/** Keys that hold secrets: never echoed in errors, read as secrets, and `npm run plan` substitutes placeholders. */
export const SECRET_KEYS = [`${NAMESPACE}:brokerApiKey`, `${NAMESPACE}:redisAuthToken`] as const;

const DEFAULT_TASKS: Readonly<Record<TaskRole, TaskSize>> = {
  crawler: { cpu: 256, memory: 512 },
  'stream-reader': { cpu: 256, memory: 512 },
  scorer: { cpu: 1024, memory: 2048 },
  projector: { cpu: 256, memory: 512 },
  batch: { cpu: 1024, memory: 4096 },
  replay: { cpu: 256, memory: 512 },
};

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const NODE_TYPE = /^cache\.[a-z0-9]+\.[a-z0-9]+$/;
const ENGINE_VERSION = /^\d+\.\d+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// ElastiCache AUTH: 16 to 128 printable characters; the only non-alphanumerics allowed are ! & # $ ^ < > -.
const AUTH_TOKEN = /^[A-Za-z0-9!&#$^<>-]{16,128}$/;

function k(name: string): string {
  return `${NAMESPACE}:${name}`;
}

/** The stack file key of a setting: the region is the AWS provider's, the rest are this project's. */
function fullKey(name: string): string {
  return name === 'region' ? 'aws:region' : k(name);
}

// ---- Schemas of single values, with messages that say what is allowed and what was given. ----

/** A whole number in a range, given as a YAML number or the string Pulumi passes for one. */
function wholeNumber(min: number, max: number) {
  const outside = (iss: { input?: unknown }) => `must be between ${min} and ${max}, got ${String(iss.input)}`;
  return z.preprocess(
    (raw) => (typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw),
    z
      .number({ error: (iss) => `must be a whole number between ${min} and ${max}, got '${String(iss.input)}'` })
      .int({ error: (iss) => `must be a whole number between ${min} and ${max}, got '${String(iss.input)}'` })
      .min(min, { error: outside })
      .max(max, { error: outside }),
  );
}

const flag = z.preprocess(
  (raw) => (raw === 'true' ? true : raw === 'false' ? false : raw),
  z.boolean({ error: (iss) => `must be true or false, got '${String(iss.input)}'` }),
);

function oneOf<const T extends readonly (string | number)[]>(allowed: T) {
  return z.preprocess(
    (raw) => (typeof raw === 'string' ? (allowed.find((value) => String(value) === raw) ?? raw) : raw),
    z.custom<T[number]>((value) => allowed.includes(value as T[number]), { error: (iss) => `must be one of ${allowed.join(', ')}, got '${String(iss.input)}'` }),
  );
}

function matching(pattern: RegExp, what: string, options: { secret?: boolean } = {}) {
  return z.string().regex(pattern, { error: (iss) => `must be ${what}, got ${options.secret === true ? '(secret)' : `'${String(iss.input)}'`}` });
}

/** A nested mapping (a YAML mapping in the stack file, JSON in the string Pulumi passes): unknown keys are named, not ignored. */
function mapping<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.preprocess(
    (raw) => {
      if (typeof raw !== 'string') return raw;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return raw;
      }
    },
    z.strictObject(shape, {
      error: (iss) => (iss.code === 'unrecognized_keys' ? `is not a known setting; allowed are ${known}` : 'must be an object (a YAML mapping)'),
    }),
  );
}

const httpsUrl = z.string().superRefine((raw, ctx) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be an https URL, got '${raw}'` });
    return;
  }
  if (url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `must use https: (the crawler reaches the broker over TLS only), got ${url.protocol}` });
});

const schedule = z.string().superRefine((raw, ctx) => {
  const problem = scheduleExpressionProblem(raw);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `must be an EventBridge Scheduler expression like rate(1 hour) or cron(15 * * * ? *): ${problem}, got '${raw}'` });
});

const cidr = matching(CIDR, 'an IPv4 CIDR block like 10.0.0.0/16').superRefine((raw, ctx) => {
  const prefix = Number(CIDR.exec(raw)?.[5]);
  if (prefix < 16 || prefix > 22) ctx.addIssue({ code: 'custom', message: `must have a prefix between /16 and /22 (room for a subnet per zone), got /${prefix}` });
});

/** A list of IPv4 ranges (a YAML list in the stack file, JSON in the string Pulumi passes). */
const cidrList = z.preprocess(
  (raw) => {
    if (typeof raw !== 'string') return raw;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  },
  z
    .array(
      matching(CIDR, 'an IPv4 CIDR block like 203.0.113.0/24').superRefine((raw, ctx) => {
        if (Number(CIDR.exec(raw)?.[5]) < 8) ctx.addIssue({ code: 'custom', message: `is wider than /8, got '${raw}': name the broker's own ranges (the crawler reaches nothing else outside AWS)` });
      }),
      { error: 'must be a list of IPv4 CIDR blocks (a YAML list)' },
    )
    .min(1, { error: 'must name at least one range' }),
);

/** Whether an IPv4 range lies inside another. */
function within(inner: string, outer: string): boolean {
  const parse = (cidr: string) => {
    const [address = '', bits = ''] = cidr.split('/');
    return { start: address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0), prefix: Number(bits) };
  };
  const a = parse(inner);
  const b = parse(outer);
  const size = 2 ** (32 - b.prefix);
  return a.prefix >= b.prefix && Math.floor(a.start / size) === Math.floor(b.start / size);
}

const taskSize = (fallback: TaskSize) =>
  mapping({ cpu: wholeNumber(256, 16384).default(fallback.cpu), memory: wholeNumber(512, 122880).default(fallback.memory) })
    .default({ cpu: fallback.cpu, memory: fallback.memory })
    .superRefine((size, ctx) => {
      const problem = fargateSizeProblem(size.cpu, size.memory);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });

/** An https URL of the identity provider (issuer or JWKS). */
const providerUrl = z.string().superRefine((raw, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `must be an https URL of the identity provider, got '${raw}'` });
});

const READ_API_DEFAULTS = { task: { cpu: 256, memory: 512 }, scaling: { min: 2, max: 4, cpuPercent: 60 }, throttle: { rate: 100, burst: 200 }, perUser: { rate: 10, burst: 20 } } as const;

const readApi = mapping({
  identity: oneOf(IDENTITY_PROVIDERS).default('cognito'),
  issuer: providerUrl.optional(),
  audience: z.string().min(1, { error: 'must not be empty' }).optional(),
  jwksUrl: providerUrl.optional(),
  jwksCidrs: cidrList.optional(),
  userClaim: matching(/^[A-Za-z0-9_:.-]{1,64}$/, 'a claim name like sub or custom:user_id').default('sub'),
  taskSize: taskSize(READ_API_DEFAULTS.task),
  scaling: mapping({
    min: wholeNumber(1, 100).default(READ_API_DEFAULTS.scaling.min),
    max: wholeNumber(1, 100).default(READ_API_DEFAULTS.scaling.max),
    cpuPercent: wholeNumber(10, 95).default(READ_API_DEFAULTS.scaling.cpuPercent),
  }).prefault({}),
  throttle: mapping({ rate: wholeNumber(1, 10_000).default(READ_API_DEFAULTS.throttle.rate), burst: wholeNumber(1, 5_000).default(READ_API_DEFAULTS.throttle.burst) }).prefault({}),
  perUser: mapping({ rate: wholeNumber(1, 1000).default(READ_API_DEFAULTS.perUser.rate), burst: wholeNumber(1, 1000).default(READ_API_DEFAULTS.perUser.burst) }).prefault({}),
}).prefault({});

const bounds = (fallback: Bounds, ceiling: number) => ({ min: wholeNumber(1, ceiling).default(fallback.min), max: wholeNumber(1, ceiling).optional() });
const lagTarget = wholeNumber(100, 3_600_000).default(5000);

// ---- The settings, in the order their problems are reported. ----

const SETTINGS = {
  region: matching(REGION, 'an AWS region like eu-west-1'),
  dataPlaneOnly: flag.default(false),
  logLevel: oneOf(LOG_LEVELS).default('info'),
  deletionProtection: flag.default(false),
  forceDestroy: flag.default(false),
  streamMode: oneOf(STREAM_MODES).default('provisioned'),
  rawShards: wholeNumber(1, 500).default(STREAMS.raw.defaultShards),
  resultsShards: wholeNumber(1, 500).default(STREAMS.results.defaultShards),
  rawHistoryShards: wholeNumber(1, 500).default(STREAMS.rawHistory.defaultShards),
  resultsHistoryShards: wholeNumber(1, 500).default(STREAMS.resultsHistory.defaultShards),
  streamRetentionHours: wholeNumber(24, 8760).default(24),
  firehoseBufferMb: wholeNumber(1, 128).default(5),
  firehoseBufferSeconds: wholeNumber(0, 900).default(300),
  // S3 wants 30 days in Standard-IA before the next transition, and expiry after the last one.
  archiveInfrequentAccessDays: wholeNumber(30, 3650).default(30),
  archiveGlacierDays: wholeNumber(60, 3650).default(90),
  archiveExpireDays: wholeNumber(0, 36500).default(0),
  logRetentionDays: oneOf(LOG_RETENTION_DAYS).default(14),
} as const;

const COMPUTE_SETTINGS = {
  natGateways: oneOf(NAT_STRATEGIES).default('none'),
  availabilityZones: wholeNumber(2, 3).default(2),
  vpcCidr: cidr.default('10.0.0.0/16'),
  redisNodeType: matching(NODE_TYPE, 'an ElastiCache node type like cache.t4g.micro').default('cache.t4g.micro'),
  redisEngineVersion: matching(ENGINE_VERSION, 'a major.minor Redis version like 7.1').default('7.1'),
  redisReplicas: wholeNumber(0, 5).default(0),
  redisMultiAz: flag.default(false),
  redisAuthTokenUpdateStrategy: oneOf(AUTH_TOKEN_UPDATE_STRATEGIES).default('ROTATE'),
  taskSize: mapping(Object.fromEntries(TASK_ROLES.map((role) => [role, taskSize(DEFAULT_TASKS[role])])) as Record<TaskRole, ReturnType<typeof taskSize>>).default(
    DEFAULT_TASKS as Record<TaskRole, TaskSize>,
  ),
  scaling: mapping({
    streamReader: mapping({ ...bounds({ min: 1, max: 1 }, 500), iteratorAgeMs: lagTarget }).default({ min: 1, iteratorAgeMs: 5000 }),
    scorer: mapping({ ...bounds({ min: 1, max: 2 }, 200), backlogPerTask: wholeNumber(1, 100_000).default(20), cpuPercent: wholeNumber(10, 95).default(60) }).default({
      min: 1,
      backlogPerTask: 20,
      cpuPercent: 60,
    }),
    projector: mapping({ ...bounds({ min: 1, max: 1 }, 500), iteratorAgeMs: lagTarget }).default({ min: 1, iteratorAgeMs: 5000 }),
  }).default({ streamReader: { min: 1, iteratorAgeMs: 5000 }, scorer: { min: 1, backlogPerTask: 20, cpuPercent: 60 }, projector: { min: 1, iteratorAgeMs: 5000 } }),
  stopTimeoutSeconds: wholeNumber(10, 120).default(60),
  waitForSteadyState: flag.default(false),
  brokerUrl: httpsUrl,
  brokerCidrs: cidrList,
  brokerApiKey: z.string(),
  redisAuthToken: matching(AUTH_TOKEN, `16 to 128 characters: letters, digits and ! & # $ ^ < > - only`, { secret: true }),
  batchSchedule: schedule.default('rate(1 hour)'),
  iteratorAgeAlarmMs: wholeNumber(1000, 86_400_000).default(60_000),
  rejectsAlarmPer5Min: wholeNumber(1, 1_000_000).default(100),
  alarmEmail: matching(EMAIL, 'an e-mail address').optional(),
  readApi,
} as const;

/** How to set a key that has no default, named in the error when it is missing. */
const REQUIRED_HINT: Readonly<Record<string, string>> = {
  'aws:region': '(set it with: pulumi config set aws:region eu-west-1)',
  [k('brokerUrl')]: `unless ${k('dataPlaneOnly')} is true (set it with: pulumi config set brokerUrl https://<broker>)`,
  [k('brokerCidrs')]: `unless ${k('dataPlaneOnly')} is true: the broker's address ranges, the crawler's only egress outside AWS (a YAML list; the VPC's range when the broker is reached through PrivateLink)`,
  [k('brokerApiKey')]: `unless ${k('dataPlaneOnly')} is true (set it with: pulumi config set --secret brokerApiKey <key>)`,
  [k('redisAuthToken')]: `unless ${k('dataPlaneOnly')} is true (set it with: pulumi config set --secret redisAuthToken <16-128 chars>)`,
};

/** Parses the keys of one schema table, collecting every problem; a key that fails is left out of the result. */
function parseSettings<T extends Record<string, z.ZodType>>(table: T, source: ConfigSource, issues: ConfigIssue[]): Partial<{ [K in keyof T]: z.output<T[K]> }> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(table)) {
    const key = fullKey(name);
    const raw = source(key)?.trim();
    const given = raw === undefined || raw === '' ? undefined : raw;
    const result = schema.safeParse(given);
    if (result.success) {
      out[name] = result.data;
      continue;
    }
    for (const issue of result.error.issues) {
      if (issue.code === 'invalid_type' && given === undefined && issue.path.length === 0) {
        issues.push({ key, problem: `is required ${REQUIRED_HINT[key] ?? ''}`.trim() });
        continue;
      }
      const at = [key, ...issue.path.map(String)].join('.');
      if (issue.code === 'unrecognized_keys') for (const name of issue.keys) issues.push({ key: `${at}.${name}`, problem: issue.message });
      else issues.push({ key: at, problem: issue.message });
    }
  }
  return out as Partial<{ [K in keyof T]: z.output<T[K]> }>;
}

type Settings = Partial<{ [K in keyof typeof SETTINGS]: z.output<(typeof SETTINGS)[K]> }>;
type ComputeSettings = Partial<{ [K in keyof typeof COMPUTE_SETTINGS]: z.output<(typeof COMPUTE_SETTINGS)[K]> }>;

function scalingOf(s: ComputeSettings, issues: ConfigIssue[]): ScalingConfig {
  const given = s.scaling ?? { streamReader: { min: 1, iteratorAgeMs: 5000 }, scorer: { min: 1, backlogPerTask: 20, cpuPercent: 60 }, projector: { min: 1, iteratorAgeMs: 5000 } };
  const withMax = <B extends { min: number; max?: number | undefined }>(key: string, b: B, fallbackMax: number): B & Bounds => {
    const max = b.max ?? Math.max(fallbackMax, b.min);
    if (b.min > max) issues.push({ key: `${key}.min`, problem: `must not exceed ${key}.max (${max}), got ${b.min}` });
    return { ...b, max };
  };
  return {
    streamReader: withMax(`${k('scaling')}.streamReader`, given.streamReader, 1),
    scorer: withMax(`${k('scaling')}.scorer`, given.scorer, 2),
    projector: withMax(`${k('scaling')}.projector`, given.projector, 1),
  };
}

function readApiOf(s: ComputeSettings, network: NetworkConfig, issues: ConfigIssue[]): ReadApiConfig {
  const r = s.readApi ?? readApi.parse(undefined);
  const key = (name: string) => `${k('readApi')}.${name}`;
  const external = ['issuer', 'audience', 'jwksUrl', 'jwksCidrs'] as const;
  if (r.identity === 'external') {
    for (const name of external) {
      if (r[name] === undefined) issues.push({ key: key(name), problem: `is required when ${key('identity')} is external (the gateway's authoriser and the api tasks check tokens against it)` });
    }
  } else {
    for (const name of external) {
      if (r[name] !== undefined) issues.push({ key: key(name), problem: `is set but ${key('identity')} is cognito (the program's user pool is the issuer): remove it, or set identity to external` });
    }
  }
  if (network.natGateways === 'none') {
    for (const range of (r.jwksCidrs ?? []).filter((c) => !within(c, network.cidr))) {
      issues.push({ key: key('jwksCidrs'), problem: `names ${range}, outside the VPC (${network.cidr}), but ${k('natGateways')} is none: the api tasks could not fetch the signing keys` });
    }
  }
  if (r.scaling.min > r.scaling.max) issues.push({ key: key('scaling.min'), problem: `must not exceed ${key('scaling.max')} (${r.scaling.max}), got ${r.scaling.min}` });
  return {
    identity: r.identity,
    issuer: r.issuer,
    audience: r.audience,
    jwksUrl: r.jwksUrl,
    jwksCidrs: r.jwksCidrs ?? [],
    userClaim: r.userClaim,
    task: r.taskSize,
    scaling: r.scaling,
    throttle: r.throttle,
    perUser: r.perUser,
  };
}

function computeOf(s: ComputeSettings, secrets: SecretSource, issues: ConfigIssue[]): ComputeConfig {
  const network: NetworkConfig = { natGateways: s.natGateways ?? 'none', availabilityZones: s.availabilityZones ?? 2, cidr: s.vpcCidr ?? '10.0.0.0/16' };
  const redis: RedisConfig = {
    nodeType: s.redisNodeType ?? 'cache.t4g.micro',
    engineVersion: s.redisEngineVersion ?? '7.1',
    replicas: s.redisReplicas ?? 0,
    multiAz: s.redisMultiAz ?? false,
    authTokenUpdateStrategy: s.redisAuthTokenUpdateStrategy ?? 'ROTATE',
  };
  if (redis.multiAz && redis.replicas < 1) {
    issues.push({ key: k('redisMultiAz'), problem: `needs at least one replica to fail over to: set ${k('redisReplicas')} to 1 or more, or redisMultiAz to false` });
  }
  const brokerCidrs = s.brokerCidrs ?? [];
  if (network.natGateways === 'none') {
    for (const range of brokerCidrs.filter((c) => !within(c, network.cidr))) {
      issues.push({ key: k('brokerCidrs'), problem: `names ${range}, outside the VPC (${network.cidr}), but ${k('natGateways')} is none: nothing routes there; reach the broker through PrivateLink or set natGateways` });
    }
  }
  const secret = (key: string): pulumi.Output<string> => secrets(key) ?? pulumi.secret('');
  return {
    network,
    redis,
    tasks: s.taskSize ?? DEFAULT_TASKS,
    scaling: scalingOf(s, issues),
    stopTimeoutSeconds: s.stopTimeoutSeconds ?? 60,
    waitForSteadyState: s.waitForSteadyState ?? false,
    brokerUrl: s.brokerUrl ?? '',
    brokerCidrs,
    secrets: { brokerApiKey: secret(k('brokerApiKey')), redisAuthToken: secret(k('redisAuthToken')) },
    batchSchedule: s.batchSchedule ?? 'rate(1 hour)',
    alarms: { iteratorAgeMs: s.iteratorAgeAlarmMs ?? 60_000, rejectsPer5Min: s.rejectsAlarmPer5Min ?? 100, email: s.alarmEmail },
    readApi: readApiOf(s, network, issues),
  };
}

function streamsOf(s: Settings, source: ConfigSource, issues: ConfigIssue[]): StreamsConfig {
  const mode = s.streamMode ?? 'provisioned';
  // Exclusive arguments first: a shard count means nothing to an on-demand stream.
  if (mode === 'on-demand') {
    for (const name of ['rawShards', 'resultsShards', 'rawHistoryShards', 'resultsHistoryShards']) {
      if ((source(k(name)) ?? '').trim() !== '') issues.push({ key: k(name), problem: `is set but ${k('streamMode')} is on-demand: remove ${name}, or set streamMode to provisioned` });
    }
  }
  const provisioned = mode === 'provisioned';
  return {
    mode,
    rawShards: provisioned ? (s.rawShards ?? STREAMS.raw.defaultShards) : undefined,
    resultsShards: provisioned ? (s.resultsShards ?? STREAMS.results.defaultShards) : undefined,
    rawHistoryShards: provisioned ? (s.rawHistoryShards ?? STREAMS.rawHistory.defaultShards) : undefined,
    resultsHistoryShards: provisioned ? (s.resultsHistoryShards ?? STREAMS.resultsHistory.defaultShards) : undefined,
    retentionHours: s.streamRetentionHours ?? 24,
  };
}

function archiveOf(s: Settings, issues: ConfigIssue[]): ArchiveConfig {
  const infrequentAccessDays = s.archiveInfrequentAccessDays ?? 30;
  const glacierDays = s.archiveGlacierDays ?? 90;
  const expireDays = s.archiveExpireDays ?? 0;
  if (glacierDays < infrequentAccessDays + 30) {
    issues.push({ key: k('archiveGlacierDays'), problem: `must be at least archiveInfrequentAccessDays + 30 (${infrequentAccessDays + 30}), got ${glacierDays}` });
  }
  if (expireDays !== 0 && expireDays <= glacierDays) {
    issues.push({ key: k('archiveExpireDays'), problem: `must be 0 (keep forever) or more than archiveGlacierDays (${glacierDays}), got ${expireDays}` });
  }
  return { bufferSizeMb: s.firehoseBufferMb ?? 5, bufferIntervalSeconds: s.firehoseBufferSeconds ?? 300, infrequentAccessDays, glacierDays, expireDays };
}

/**
 * Turns a stack's raw config into a typed `StackConfig`. Throws one `ConfigError` that names every
 * bad key, what it got and what is allowed; secret values are never echoed. Secrets reach the
 * program only as Pulumi secrets: from `secrets` (`Config.requireSecret` in `index.ts`), or wrapped
 * with `pulumi.secret` when a caller hands plain values (tests, the planner).
 */
export function parseStackConfig(stack: string, source: ConfigSource, secrets?: SecretSource): StackConfig {
  const issues: ConfigIssue[] = [];
  try {
    assertStackName(stack);
  } catch (error) {
    issues.push({ key: 'stack', problem: (error as Error).message });
  }
  const settings = parseSettings(SETTINGS, source, issues);
  const dataPlaneOnly = settings.dataPlaneOnly ?? false;
  const readSecret: SecretSource =
    secrets ??
    ((key) => {
      const value = source(key);
      return value === undefined ? undefined : pulumi.secret(value.trim());
    });
  const config: StackConfig = {
    stack,
    region: settings.region ?? 'us-east-1',
    logLevel: settings.logLevel ?? 'info',
    deletionProtection: settings.deletionProtection ?? false,
    forceDestroy: settings.forceDestroy ?? false,
    streams: streamsOf(settings, source, issues),
    archive: archiveOf(settings, issues),
    logRetentionDays: settings.logRetentionDays ?? 14,
    compute: dataPlaneOnly ? undefined : computeOf(parseSettings(COMPUTE_SETTINGS, source, issues), readSecret, issues),
  };
  if (config.deletionProtection && config.forceDestroy) {
    issues.push({ key: k('forceDestroy'), problem: `contradicts ${k('deletionProtection')}: a protected stack must not force-delete buckets; set one of them to false` });
  }
  if (issues.length > 0) throw new ConfigError(`stack config of '${stack}' is invalid`, issues);
  return config;
}
