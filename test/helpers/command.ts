import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A folder of its own for a command run as users run it (its `.local/` state and logs stay there),
 * with the project's node_modules linked in: `node --import=tsx` resolves tsx from the working folder.
 */
export function commandWorkdir(prefix: string): string {
  const cwd = mkdtempSync(join(tmpdir(), prefix));
  symlinkSync(join(ROOT, 'node_modules'), join(cwd, 'node_modules'));
  return cwd;
}

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StartedCommand {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  readonly output: { stdout: string; stderr: string };
  readonly done: Promise<CommandResult>;
  /** Resolves once stderr or stdout matches (rejects when the command ends first or after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts a TypeScript entry point as people do (`node --import=tsx <file> args`), output captured, stdin closed. */
export function startCommand(file: string, args: readonly string[], options: CommandOptions = {}): StartedCommand {
  const child = spawn(process.execPath, ['--import=tsx', join(ROOT, file), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const check = (): void => waiters.forEach((w) => w());
  child.stdout!.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
    check();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
    check();
  });
  const done = new Promise<CommandResult>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, ...output })));
  let ended = false;
  void done.then(() => {
    ended = true;
    check();
  });
  return {
    child,
    output,
    done,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no output matching ${pattern} within ${timeoutMs} ms; stderr:\n${output.stderr}\nstdout:\n${output.stdout}`)), timeoutMs);
        const finish = (error?: Error): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (error) reject(error);
          else resolve();
        };
        const waiter = (): void => {
          if (pattern.test(output.stderr) || pattern.test(output.stdout)) finish();
          else if (ended) finish(new Error(`the command ended (code ${child.exitCode}) before printing ${pattern}; stderr:\n${output.stderr}\nstdout:\n${output.stdout}`));
        };
        waiters.add(waiter);
        waiter();
      }),
  };
}

/** Runs an entry point to its end. */
export function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return startCommand(file, args, options).done;
}

/** A Node stack trace line (`    at fn (file:line:col)`): what a user error must never print. */
export const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

/** Runs `task` over `items`, at most `limit` at a time (two cores: spawning ten Node processes at once slows each of them). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
