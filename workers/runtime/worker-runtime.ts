import type { AwsClients } from '../../shared/aws/clients.js';
import { createAwsClients } from '../../shared/aws/clients.js';
import type { Logger } from '../../shared/logger.js';
import { createLogger } from '../../shared/logger.js';
import { parseWorkerEnv } from '../../shared/worker-env.js';
import type { WorkerEnv, WorkerRoleName } from '../../shared/worker-env.js';
import { HealthServer } from './health-server.js';

/** What every role's `start()` receives: its parsed environment and the clients built once. */
export interface WorkerContext<R extends WorkerRoleName> {
  readonly role: R;
  readonly env: WorkerEnv<R>;
  readonly logger: Logger;
  readonly aws: AwsClients;
  readonly health: HealthServer;
}

/** A started role: stops cleanly within the shutdown budget when asked (idempotent). */
export interface RunningWorker {
  close(): Promise<void>;
  /** Resolves when the role finished on its own (a batch or replay run); never for services. */
  readonly finished?: Promise<void>;
}

export type StartRole<R extends WorkerRoleName> = (context: WorkerContext<R>) => Promise<RunningWorker>;

/**
 * Runs one role as a process: parses its environment (exiting with one line naming every bad
 * variable), builds logger and clients once, serves /health, and on SIGTERM or SIGINT closes the
 * role (drain, checkpoint, release) within SHUTDOWN_TIMEOUT_MS before exiting.
 */
export async function runWorker<R extends WorkerRoleName>(role: R, start: StartRole<R>, processEnv: NodeJS.ProcessEnv = process.env): Promise<void> {
  let env: WorkerEnv<R>;
  try {
    env = parseWorkerEnv(role, processEnv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ name: role, level: env.LOG_LEVEL, base: { role, stack: env.INSIGHTS_STACK } });
  // A call the role may not make fails every time: the worker stops (exit 1) instead of retrying for
  // ever, so a missing grant shows as a crash-looping task, not as a silent stall.
  const aws = createAwsClients({ env: processEnv, onAccessDenied: (error) => deniedCall(error) });
  const health = new HealthServer(role);
  const port = await health.listen(env.HEALTH_PORT).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    // Two workers started by hand on one machine both default to 8080: say so, as for a bad variable.
    process.stderr.write(`${role}: HEALTH_PORT ${env.HEALTH_PORT} is in use (another worker on this machine?); set HEALTH_PORT to a free port, or 0 to pick one\n`);
    process.exit(2);
  });
  logger.info({ healthPort: port }, 'worker starting');

  let worker: RunningWorker | undefined;
  let shuttingDown = false;
  const shutdown = async (reason: string, code: number): Promise<never> => {
    if (shuttingDown) return new Promise<never>(() => undefined);
    shuttingDown = true;
    health.setDraining();
    logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: env.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    try {
      await worker?.close();
    } catch (error) {
      logger.error({ err: error }, 'error while closing');
      code = code || 1;
    }
    await health.close();
    aws.destroy();
    logger.info({ code }, 'stopped');
    logger.flush();
    process.exit(code);
  };
  const deniedCall = (error: Error): void => {
    logger.fatal({ err: error }, 'AWS denied a call this role needs; stopping');
    void shutdown('access denied', 1);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });

  try {
    worker = await start({ role, env, logger, aws, health });
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    await shutdown('start-up failed', 1);
  }
  logger.info('worker running');
  if (worker?.finished) {
    await worker.finished.then(
      () => shutdown('finished', 0),
      (error: unknown) => {
        logger.error({ err: error }, 'run failed');
        return shutdown('run failed', 1);
      },
    );
  }
}

/**
 * A run-once role (batch, replay): `finished` settles when the run ends; `close()` (SIGTERM)
 * aborts `stop` so the run winds down at its next safe point, and waits for it. Idempotent.
 */
export function runOnce(finished: Promise<void>, stop: AbortController): RunningWorker {
  let closing: Promise<void> | undefined;
  return {
    finished,
    close: () => {
      closing ??= (async () => {
        stop.abort();
        await finished.catch(() => undefined);
      })();
      return closing;
    },
  };
}
