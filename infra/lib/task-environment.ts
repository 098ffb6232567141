import { WEBHOOK_KEYS_PATH } from '../../shared/sync/webhook.js';
import { buildWorkerEnv, consumerVariables, parseWorkerEnv, resourceVariables, secretVariables } from '../../shared/worker-env.js';
import type { WorkerRoleName, WorkerVariable } from '../../shared/worker-env.js';
import type { StackResourceNames, StreamConsumerName } from '../../shared/catalog.js';
import { ComponentArgsError } from '../errors.js';
import type { SecretArns } from './permissions.js';

/**
 * A container's environment from the worker environment contract: the plain variables as ECS
 * `environment`, the secret ones as ECS `secrets` pointing at Secrets Manager, and a check that
 * the two together satisfy the role's schema exactly as the worker will parse it at start-up.
 */

export interface ContainerEnvironment {
  readonly environment: { name: string; value: string }[];
  readonly secrets: { name: string; valueFrom: string }[];
}

/** Stands in for a secret while checking the contract; never leaves this function. */
const SECRET_STAND_IN = 'resolved-by-ecs-from-secrets-manager';

export type PlainValues = Partial<Record<WorkerVariable, string | number | boolean>>;

export function containerEnvironment(role: WorkerRoleName, values: PlainValues, secretArns: SecretArns): ContainerEnvironment {
  const secretNames = secretVariables(role);
  for (const name of secretNames) {
    if (values[name] !== undefined) {
      throw new ComponentArgsError('task environment', `${name} is a secret: pass its Secrets Manager ARN, not its value`);
    }
  }
  const standIns = Object.fromEntries(secretNames.map((name) => [name, SECRET_STAND_IN]));
  // buildWorkerEnv keeps only the role's variables and throws a ConfigError naming any gap.
  const env = buildWorkerEnv(role, { ...values, ...standIns });
  const secrets = secretNames.map((name) => {
    const valueFrom = secretArns[name];
    if (valueFrom === undefined) throw new ComponentArgsError('task environment', `${role} reads ${name}, but no Secrets Manager ARN was given for it`);
    return { name, valueFrom };
  });
  const environment = Object.entries(env)
    .filter(([name]) => !(secretNames as string[]).includes(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  return { environment, secrets };
}

/**
 * What a worker would see at start-up from a container definition: the plain environment plus a
 * stand-in for each secret ECS injects. Parsing it proves the task definition satisfies the contract.
 */
export function parseContainerEnvironment(role: WorkerRoleName, container: ContainerEnvironment) {
  const env: Record<string, string> = Object.fromEntries(container.environment.map(({ name, value }) => [name, value]));
  for (const { name } of container.secrets) env[name] = SECRET_STAND_IN;
  return parseWorkerEnv(role, env);
}

/** The physical names and endpoints every role's variables are filled from. */
export interface StackValues {
  readonly stack: string;
  readonly logLevel: string;
  /** Seconds ECS gives a task between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
  readonly healthPort: number;
  /** The stack's streams, tables, buckets and queues, as the resources report their names. */
  readonly resources: StackResourceNames;
  /** The registered stream consumers' ARNs (enhanced fan-out of the live lane's readers). */
  readonly consumerArns: Readonly<Record<StreamConsumerName, string>>;
  readonly redisUrl: string;
  readonly brokerUrl: string;
  readonly metricsNamespace: string;
  readonly backlogMetricName: string;
  /** The identity provider the read API trusts; only the api role reads it. */
  readonly auth?: { readonly issuer: string; readonly audience: string; readonly jwksUrl: string; readonly userClaim: string };
}

/** Drain time left after SIGTERM, so the worker exits on its own before ECS kills it. */
export const SHUTDOWN_MARGIN_SECONDS = 5;

/**
 * Every plain variable a stack sets, for any role (`containerEnvironment` keeps each role's own).
 * Every role writes its metrics (Embedded Metric Format lines the log driver ships: no API call,
 * no grant): the alarms and scaling read the scorer's backlog and the consumers' lag from them.
 */
export function stackWorkerValues(v: StackValues): PlainValues {
  return {
    INSIGHTS_STACK: v.stack,
    LOG_LEVEL: v.logLevel,
    HEALTH_PORT: v.healthPort,
    SHUTDOWN_TIMEOUT_MS: (v.stopTimeoutSeconds - SHUTDOWN_MARGIN_SECONDS) * 1000,
    METRICS_ENABLED: true,
    METRICS_NAMESPACE: v.metricsNamespace,
    BACKLOG_METRIC_NAME: v.backlogMetricName,
    ...resourceVariables(v.resources),
    ...consumerVariables(v.consumerArns),
    REDIS_URL: v.redisUrl,
    BROKER_URL: v.brokerUrl,
    // In AWS the crawlers are a fleet on the aggregator's sync API, fed by the webhook role.
    CRAWLER_SOURCE: 'sync',
    WEBHOOK_JWKS_URL: new URL(WEBHOOK_KEYS_PATH, v.brokerUrl).href,
    ...(v.auth === undefined ? {} : { AUTH_ISSUER: v.auth.issuer, AUTH_AUDIENCE: v.auth.audience, AUTH_JWKS_URL: v.auth.jwksUrl, AUTH_USER_CLAIM: v.auth.userClaim }),
  };
}
