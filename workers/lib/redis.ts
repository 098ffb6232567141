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
}

/**
 * A Redis connection fit for BullMQ: `maxRetriesPerRequest: null` (BullMQ's blocking commands
 * must wait through a failover instead of failing), TLS for `rediss://` as ElastiCache's in-transit
 * encryption requires, and the auth token when one is given.
 */
export function createRedisConnection(options: RedisConnectionOptions, extra: RedisOptions = {}): Redis {
  const url = new URL(options.url);
  const tls = url.protocol === 'rediss:';
  return new Redis(options.url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    ...(options.authToken ? { password: options.authToken } : {}),
    // Verified as any TLS connection (rejectUnauthorized stays on), against the URL's host name.
    ...(tls ? { tls: { servername: url.hostname, ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa }) } } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    ...extra,
  });
}
