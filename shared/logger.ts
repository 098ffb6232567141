import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerFactoryOptions {
  /** The component or role, the `name` field of every line. */
  readonly name: string;
  /** @default LOG_LEVEL, else 'info' */
  readonly level?: string;
  /** Fields on every line (stack, shard, pid is always there). */
  readonly base?: Record<string, unknown>;
  /** Where lines go. @default stdout */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * Structured JSON logs, one object per line, ISO timestamps, secrets redacted wherever they
 * appear under the usual names.
 */
export function createLogger(options: LoggerFactoryOptions): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['*.apiKey', '*.authToken', '*.password', 'BROKER_API_KEY', 'REDIS_AUTH_TOKEN', '*.BROKER_API_KEY', '*.REDIS_AUTH_TOKEN'], censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination as pino.DestinationStream) : pino(config);
}

/** A logger that drops everything, for tests and libraries used without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
