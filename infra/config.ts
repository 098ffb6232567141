import { PROJECT, assertStackName } from '../shared/catalog.js';
import { STREAMS } from '../shared/catalog.js';
import type { ConfigIssue } from '../shared/errors.js';
import { ConfigError } from './errors.js';
import { fargateSizeProblem } from './lib/fargate.js';

/**
 * Stack configuration: every setting a stack file may carry, its type, bounds and default, and the
 * one function that turns raw config strings into a typed, validated `StackConfig`. `index.ts`
 * hands it a reader over `pulumi.Config`; tests and `npm run plan` hand it plain maps.
 */

/** Config namespace of this project's own keys (`realtime-insights:rawShards`). */
export const NAMESPACE = PROJECT;

/** Roles that run as long-lived Fargate services. The read API is not deployed (see infra/README.md). */
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

export interface RedisConfig {
  readonly nodeType: string;
  readonly engineVersion: string;
  /** Read replicas besides the primary (0 to 5). */
  readonly replicas: number;
  /** Multi-AZ with automatic failover; needs at least one replica. */
  readonly multiAz: boolean;
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

/** Everything that runs compute: absent on a data-plane-only stack (LocalStack). */
export interface ComputeConfig {
  readonly network: NetworkConfig;
  readonly redis: RedisConfig;
  readonly tasks: Readonly<Record<TaskRole, TaskSize>>;
  readonly scaling: ScalingConfig;
  /** Seconds ECS waits after SIGTERM before SIGKILL (Fargate allows up to 120). */
  readonly stopTimeoutSeconds: number;
  readonly brokerUrl: string;
  /** Plain value, turned into a Pulumi secret by the program before it is used. */
  readonly brokerApiKey: string;
  /** Plain value, turned into a Pulumi secret by the program before it is used. */
  readonly redisAuthToken: string;
  /** EventBridge Scheduler expression of the batch job (`rate(1 hour)`, `cron(15 * * * ? *)`). */
  readonly batchSchedule: string;
  readonly alarms: AlarmsConfig;
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

/** Keys that hold secrets: never echoed in errors, and `npm run plan` substitutes placeholders. */
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
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// ElastiCache: 16 to 128 printable ASCII characters, none of space, '"', '/' or '@'.
const AUTH_TOKEN = /^[!#-.0-?A-~]{16,128}$/;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Collects every problem before failing, so one run names every bad key. */
class Reader {
  public readonly issues: ConfigIssue[] = [];

  public constructor(private readonly source: ConfigSource) {}

  public fail(key: string, problem: string): void {
    this.issues.push({ key, problem });
  }

  public raw(key: string): string | undefined {
    const value = this.source(key);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  public has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  public int(key: string, min: number, max: number, fallback: number): number {
    return this.intFrom(key, this.raw(key), min, max, fallback);
  }

  public intFrom(key: string, raw: Json | undefined, min: number, max: number, fallback: number): number {
    if (raw === undefined || raw === null) return fallback;
    const text = String(raw).trim();
    if (!/^-?\d+$/.test(text)) {
      this.fail(key, `must be a whole number between ${min} and ${max}, got '${text}'`);
      return fallback;
    }
    const n = Number(text);
    if (n < min || n > max) {
      this.fail(key, `must be between ${min} and ${max}, got ${n}`);
      return fallback;
    }
    return n;
  }

  public bool(key: string, fallback: boolean): boolean {
    const raw = this.raw(key);
    if (raw === undefined) return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    this.fail(key, `must be true or false, got '${raw}'`);
    return fallback;
  }

  public oneOf<T extends string | number>(key: string, allowed: readonly T[], fallback: T): T {
    const raw = this.raw(key);
    if (raw === undefined) return fallback;
    const match = allowed.find((value) => String(value) === raw);
    if (match === undefined) {
      this.fail(key, `must be one of ${allowed.join(', ')}, got '${raw}'`);
      return fallback;
    }
    return match;
  }

  public pattern(key: string, pattern: RegExp, what: string, fallback: string | undefined, secret = false): string | undefined {
    const raw = this.raw(key);
    if (raw === undefined) return fallback;
    if (!pattern.test(raw)) {
      this.fail(key, `must be ${what}, got ${secret ? '(secret)' : `'${raw}'`}`);
      return fallback;
    }
    return raw;
  }

  public required(key: string, why: string): void {
    if (!this.has(key)) this.fail(key, `is required ${why}`);
  }

  public object(key: string): Record<string, Json> {
    const raw = this.raw(key);
    if (raw === undefined) return {};
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.fail(key, 'must be an object (a YAML mapping)');
      return {};
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(key, 'must be an object (a YAML mapping)');
      return {};
    }
    return value as Record<string, Json>;
  }

  /** Reads a nested mapping, rejecting keys it does not know (a typo would otherwise be ignored). */
  public mapping(key: string, value: Json | undefined, known: readonly string[]): Record<string, Json> {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(key, 'must be an object (a YAML mapping)');
      return {};
    }
    for (const name of Object.keys(value)) {
      if (!known.includes(name)) this.fail(`${key}.${name}`, `is not a known setting; allowed are ${known.join(', ')}`);
    }
    return value;
  }
}

function k(name: string): string {
  return `${NAMESPACE}:${name}`;
}

function readStreams(r: Reader): StreamsConfig {
  const mode = r.oneOf(k('streamMode'), STREAM_MODES, 'provisioned');
  // Exclusive arguments first: a shard count means nothing to an on-demand stream.
  if (mode === 'on-demand') {
    for (const name of ['rawShards', 'resultsShards']) {
      if (r.has(k(name))) r.fail(k(name), `is set but ${k('streamMode')} is on-demand: remove ${name}, or set streamMode to provisioned`);
    }
  }
  const provisioned = mode === 'provisioned';
  return {
    mode,
    rawShards: provisioned ? r.int(k('rawShards'), 1, 500, STREAMS.raw.defaultShards) : undefined,
    resultsShards: provisioned ? r.int(k('resultsShards'), 1, 500, STREAMS.results.defaultShards) : undefined,
    retentionHours: r.int(k('streamRetentionHours'), 24, 8760, 24),
  };
}

function readArchive(r: Reader): ArchiveConfig {
  const infrequentAccessDays = r.int(k('archiveInfrequentAccessDays'), 30, 3650, 30);
  const glacierDays = r.int(k('archiveGlacierDays'), 60, 3650, 90);
  const expireDays = r.int(k('archiveExpireDays'), 0, 36500, 0);
  // S3 wants 30 days in Standard-IA before the next transition, and expiry after the last one.
  if (glacierDays < infrequentAccessDays + 30) {
    r.fail(k('archiveGlacierDays'), `must be at least archiveInfrequentAccessDays + 30 (${infrequentAccessDays + 30}), got ${glacierDays}`);
  }
  if (expireDays !== 0 && expireDays <= glacierDays) {
    r.fail(k('archiveExpireDays'), `must be 0 (keep forever) or more than archiveGlacierDays (${glacierDays}), got ${expireDays}`);
  }
  return {
    bufferSizeMb: r.int(k('firehoseBufferMb'), 1, 128, 5),
    bufferIntervalSeconds: r.int(k('firehoseBufferSeconds'), 0, 900, 300),
    infrequentAccessDays,
    glacierDays,
    expireDays,
  };
}

function readNetwork(r: Reader): NetworkConfig {
  const cidr = r.pattern(k('vpcCidr'), CIDR, 'an IPv4 CIDR block like 10.0.0.0/16', '10.0.0.0/16') ?? '10.0.0.0/16';
  const prefix = Number(CIDR.exec(cidr)?.[5] ?? '16');
  if (prefix < 16 || prefix > 22) r.fail(k('vpcCidr'), `must have a prefix between /16 and /22 (room for a subnet per zone), got /${prefix}`);
  return {
    natGateways: r.oneOf(k('natGateways'), NAT_STRATEGIES, 'none'),
    availabilityZones: r.int(k('availabilityZones'), 2, 3, 2),
    cidr,
  };
}

function readRedis(r: Reader, zones: number): RedisConfig {
  const replicas = r.int(k('redisReplicas'), 0, 5, 0);
  const multiAz = r.bool(k('redisMultiAz'), false);
  if (multiAz && replicas < 1) {
    r.fail(k('redisMultiAz'), `needs at least one replica to fail over to: set ${k('redisReplicas')} to 1 or more, or redisMultiAz to false`);
  }
  if (multiAz && zones < 2) r.fail(k('redisMultiAz'), 'needs availabilityZones of 2 or more');
  return {
    nodeType: r.pattern(k('redisNodeType'), NODE_TYPE, 'an ElastiCache node type like cache.t4g.micro', 'cache.t4g.micro') ?? 'cache.t4g.micro',
    engineVersion: r.pattern(k('redisEngineVersion'), ENGINE_VERSION, 'a major.minor Redis version like 7.1', '7.1') ?? '7.1',
    replicas,
    multiAz,
  };
}

function readTasks(r: Reader): Record<TaskRole, TaskSize> {
  const key = k('taskSize');
  const given = r.mapping(key, r.object(key), TASK_ROLES);
  const out = { ...DEFAULT_TASKS };
  for (const role of TASK_ROLES) {
    const roleKey = `${key}.${role}`;
    const entry = r.mapping(roleKey, given[role], ['cpu', 'memory']);
    const cpu = r.intFrom(`${roleKey}.cpu`, entry['cpu'], 256, 16384, DEFAULT_TASKS[role].cpu);
    const memory = r.intFrom(`${roleKey}.memory`, entry['memory'], 512, 122880, DEFAULT_TASKS[role].memory);
    const problem = fargateSizeProblem(cpu, memory);
    if (problem !== undefined) r.fail(roleKey, problem);
    out[role] = { cpu, memory };
  }
  return out;
}

function readBounds(r: Reader, key: string, entry: Record<string, Json>, fallback: Bounds, ceiling: number): Bounds {
  const min = r.intFrom(`${key}.min`, entry['min'], 1, ceiling, fallback.min);
  const max = r.intFrom(`${key}.max`, entry['max'], 1, ceiling, Math.max(fallback.max, min));
  if (min > max) r.fail(`${key}.min`, `must not exceed ${key}.max (${max}), got ${min}`);
  return { min, max };
}

function readScaling(r: Reader): ScalingConfig {
  const key = k('scaling');
  const given = r.mapping(key, r.object(key), ['streamReader', 'scorer', 'projector']);
  const reader = r.mapping(`${key}.streamReader`, given['streamReader'], ['min', 'max', 'iteratorAgeMs']);
  const scorer = r.mapping(`${key}.scorer`, given['scorer'], ['min', 'max', 'backlogPerTask', 'cpuPercent']);
  const projector = r.mapping(`${key}.projector`, given['projector'], ['min', 'max', 'iteratorAgeMs']);
  return {
    streamReader: {
      ...readBounds(r, `${key}.streamReader`, reader, { min: 1, max: 1 }, 500),
      iteratorAgeMs: r.intFrom(`${key}.streamReader.iteratorAgeMs`, reader['iteratorAgeMs'], 100, 3600000, 5000),
    },
    scorer: {
      ...readBounds(r, `${key}.scorer`, scorer, { min: 1, max: 2 }, 200),
      backlogPerTask: r.intFrom(`${key}.scorer.backlogPerTask`, scorer['backlogPerTask'], 1, 100000, 20),
      cpuPercent: r.intFrom(`${key}.scorer.cpuPercent`, scorer['cpuPercent'], 10, 95, 60),
    },
    projector: {
      ...readBounds(r, `${key}.projector`, projector, { min: 1, max: 1 }, 500),
      iteratorAgeMs: r.intFrom(`${key}.projector.iteratorAgeMs`, projector['iteratorAgeMs'], 100, 3600000, 5000),
    },
  };
}

function readCompute(r: Reader): ComputeConfig {
  const why = `unless ${k('dataPlaneOnly')} is true`;
  r.required(k('brokerUrl'), why);
  r.required(k('brokerApiKey'), `${why} (set it with: pulumi config set --secret brokerApiKey <key>)`);
  r.required(k('redisAuthToken'), `${why} (set it with: pulumi config set --secret redisAuthToken <16-128 chars>)`);
  const network = readNetwork(r);
  const brokerUrl = r.raw(k('brokerUrl'));
  if (brokerUrl !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(brokerUrl).protocol;
    } catch {
      r.fail(k('brokerUrl'), `must be an http(s) URL, got '${brokerUrl}'`);
    }
    if (protocol !== '' && protocol !== 'https:' && protocol !== 'http:') r.fail(k('brokerUrl'), `must use https: or http:, got ${protocol}`);
  }
  const stopTimeoutSeconds = r.int(k('stopTimeoutSeconds'), 10, 120, 60);
  return {
    network,
    redis: readRedis(r, network.availabilityZones),
    tasks: readTasks(r),
    scaling: readScaling(r),
    stopTimeoutSeconds,
    brokerUrl: brokerUrl ?? '',
    brokerApiKey: r.raw(k('brokerApiKey')) ?? '',
    redisAuthToken:
      r.pattern(k('redisAuthToken'), AUTH_TOKEN, '16 to 128 printable ASCII characters without space, " / or @', undefined, true) ?? '',
    batchSchedule:
      r.pattern(k('batchSchedule'), SCHEDULE, 'an EventBridge Scheduler expression like rate(1 hour) or cron(15 * * * ? *)', 'rate(1 hour)') ??
      'rate(1 hour)',
    alarms: {
      iteratorAgeMs: r.int(k('iteratorAgeAlarmMs'), 1000, 86400000, 60000),
      rejectsPer5Min: r.int(k('rejectsAlarmPer5Min'), 1, 1000000, 100),
      email: r.pattern(k('alarmEmail'), EMAIL, 'an e-mail address', undefined),
    },
  };
}

/**
 * Turns a stack's raw config into a typed `StackConfig`. Throws one `ConfigError` that names every
 * bad key, what it got and what is allowed; secret values are never echoed.
 */
export function parseStackConfig(stack: string, source: ConfigSource): StackConfig {
  const r = new Reader(source);
  try {
    assertStackName(stack);
  } catch (error) {
    r.fail('stack', (error as Error).message);
  }
  r.required('aws:region', '(set it with: pulumi config set aws:region eu-west-1)');
  const region = r.pattern('aws:region', REGION, 'an AWS region like eu-west-1', 'us-east-1') ?? 'us-east-1';
  const dataPlaneOnly = r.bool(k('dataPlaneOnly'), false);
  const config: StackConfig = {
    stack,
    region,
    logLevel: r.oneOf(k('logLevel'), LOG_LEVELS, 'info'),
    deletionProtection: r.bool(k('deletionProtection'), false),
    forceDestroy: r.bool(k('forceDestroy'), false),
    streams: readStreams(r),
    archive: readArchive(r),
    logRetentionDays: r.oneOf(k('logRetentionDays'), LOG_RETENTION_DAYS, 14),
    compute: dataPlaneOnly ? undefined : readCompute(r),
  };
  if (config.deletionProtection && config.forceDestroy) {
    r.fail(k('forceDestroy'), `contradicts ${k('deletionProtection')}: a protected stack must not force-delete buckets; set one of them to false`);
  }
  if (r.issues.length > 0) throw new ConfigError(`stack config of '${stack}' is invalid`, r.issues);
  return config;
}
