import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redisProcess } from '../../../local/env/emulators.js';
import { ManagedProcess } from '../../../local/env/managed-process.js';
import { LOOPBACK, freePort, waitForPort } from '../../../local/env/ports.js';

/**
 * A Redis of one scenario's own, started exactly as the local environment starts its Redis (AOF
 * on, `appendfsync everysec`, noeviction), that the scenario can restart on the same port and
 * data folder while workers are connected, without disturbing the Redis other tests share.
 */
export class RestartableRedis {
  private proc: ManagedProcess | undefined;
  public restarts = 0;

  private constructor(
    private readonly server: string,
    public readonly port: number,
    private readonly dir: string,
  ) {}

  public static async start(dataDir: string): Promise<RestartableRedis> {
    const server = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
    const dir = join(dataDir, 'redis');
    mkdirSync(dir, { recursive: true });
    const redis = new RestartableRedis(server, await freePort(), dir);
    await redis.launch();
    return redis;
  }

  public get url(): string {
    return `redis://${LOOPBACK}:${this.port}`;
  }

  /**
   * SIGTERM (Redis flushes the AOF and exits, as on a maintenance restart), `downMs` with nothing
   * listening, then the same server on the same port and folder, which loads the AOF back.
   */
  public async restart(downMs: number): Promise<void> {
    await this.proc?.stop(10_000);
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
    this.restarts += 1;
  }

  public stop(): Promise<void> {
    return this.proc?.stop() ?? Promise.resolve();
  }

  private async launch(): Promise<void> {
    const proc = new ManagedProcess(redisProcess(this.server, this.port, this.dir));
    this.proc = proc;
    await waitForPort(this.port, 15_000, () => proc.alive);
  }
}
