import { execFileSync, spawnSync } from 'node:child_process';
import { MissingProgramError } from './errors.js';

/** The one command that gives a Debian or Ubuntu machine a `redis-server`. */
export const REDIS_INSTALL_COMMAND = 'sudo apt-get install redis-server';

export interface RedisBootstrapHost {
  /** Where a program is on PATH, or undefined. */
  readonly findOnPath: (program: string) => string | undefined;
  /** True when this process may install system packages (root). */
  readonly isRoot: () => boolean;
  /** Installs redis-server with apt-get; throws with apt's output when it fails. */
  readonly aptInstall: () => void;
}

export type RedisSource =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'server'; readonly path: string; readonly installed: boolean };

function findOnPath(program: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function aptInstall(): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): ReturnType<typeof spawnSync> => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { env, encoding: 'utf8' });
  let result = install();
  if (result.status !== 0) {
    // A fresh image has no package lists yet.
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8' });
    result = install();
  }
  if (result.status !== 0) throw new Error(`apt-get install redis-server failed:\n${String(result.stderr).trim().split('\n').slice(-5).join('\n')}`);
}

const SYSTEM: RedisBootstrapHost = { findOnPath, isRoot: () => process.getuid?.() === 0, aptInstall };

/**
 * Where the local environment gets Redis, as Playwright's `install-deps` gets browsers' libraries:
 * REDIS_URL when set (a Redis already running); else `redis-server` from PATH; else, as root on a
 * machine with apt, it installs redis-server once and says so; else it stops with the one
 * command to run. Without `install` (tests, library callers) it only ever names the command.
 */
export function ensureRedis(redisUrl: string | undefined, report: (message: string) => void, options: { readonly install: boolean } = { install: true }, host: RedisBootstrapHost = SYSTEM): RedisSource {
  if (redisUrl !== undefined && redisUrl !== '') return { kind: 'url', url: redisUrl };
  const found = host.findOnPath('redis-server');
  if (found !== undefined) return { kind: 'server', path: found, installed: false };
  if (!options.install || !host.isRoot() || host.findOnPath('apt-get') === undefined) {
    throw new MissingProgramError('redis-server', `install it with \`${REDIS_INSTALL_COMMAND}\`, or set REDIS_URL to a Redis you already run`);
  }
  report('redis-server is missing: installing it once with apt-get (running as root; set REDIS_URL to use a Redis of your own instead)');
  host.aptInstall();
  const installed = host.findOnPath('redis-server');
  if (installed === undefined) throw new MissingProgramError('redis-server', `apt-get installed it but it is not on PATH; set REDIS_URL to a Redis you already run`);
  report(`installed ${installed}`);
  return { kind: 'server', path: installed, installed: true };
}
