import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  /** `redis://host:port` locally; `rediss://host:port` (TLS) on ElastiCache. */
  readonly url: string;
  /** ElastiCache's AUTH token; empty when the URL carries its own or none is needed. */
  readonly authToken?: string;
  /** Connection name shown by CLIENT LIST, to tell workers apart. */
  readonly connectionName?: string;
  /**
   * Certificates to trust for `rediss://`, PEM. @default Node's trust store, which trusts
   * ElastiCache's (publicly signed) certificates; a test's self-signed server passes its own.
   */
  readonly tlsCa?: string;
  /**
   * Called once when Redis refuses the auth token (WRONGPASS, NOAUTH): after a rotation (see
   * infra/README.md) a task holding the old token can never reconnect. @default throws a
   * `RedisAuthRejectedError` out of the event loop, so the worker runtime stops the task (exit 1)
   * and ECS starts one that reads the current token from Secrets Manager.
   */
  readonly onAuthRejected?: (error: RedisAuthRejectedError) => void;
}

/** Redis refused the auth token the process started with: only a restart (a fresh secret) cures it. */
export class RedisAuthRejectedError extends Error {
  public override readonly name = 'RedisAuthRejectedError';
  public constructor(
    public readonly connectionName: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`Redis refused the auth token${connectionName === undefined ? '' : ` of ${connectionName}`} (rotated away?); restart to read the current one`, options);
  }
}

/** The replies Redis gives a wrong or missing password. */
const AUTH_REJECTED = /^(WRONGPASS|NOAUTH)|invalid password|invalid username-password/i;

function throwOutOfLoop(error: RedisAuthRejectedError): void {
  setImmediate(() => {
    throw error;
  });
}

/**
 * A Redis connection fit for BullMQ: `maxRetriesPerRequest: null` (BullMQ's blocking commands
 * must wait through a failover instead of failing), TLS for `rediss://` as ElastiCache's in-transit
 * encryption requires, and the auth token when one is given. A refused token stops the process
 * (see `onAuthRejected`) instead of reconnecting with it for ever.
 */
export function createRedisConnection(options: RedisConnectionOptions, extra: RedisOptions = {}): Redis {
  const url = new URL(options.url);
  const tls = url.protocol === 'rediss:';
  const redis = new Redis(options.url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    ...(options.authToken ? { password: options.authToken } : {}),
    // Verified as any TLS connection (rejectUnauthorized stays on), against the URL's host name.
    ...(tls ? { tls: { servername: url.hostname, ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa }) } } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    ...extra,
  });
  let rejected = false;
  redis.on('error', (error: Error) => {
    if (rejected || !AUTH_REJECTED.test(error.message)) return;
    rejected = true;
    (options.onAuthRejected ?? throwOutOfLoop)(new RedisAuthRejectedError(options.connectionName, { cause: error }));
  });
  return redis;
}
