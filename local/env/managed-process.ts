import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** The last few KiB a process printed are kept for error messages. */
const OUTPUT_TAIL_BYTES = 4096;

export interface ManagedProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Process groups still running, killed if this process exits without stopping them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test runner or CLI that exits early (an uncaught error, mocha's --exit, Ctrl-C handled by
    // process.exit) must not leave emulators holding ports; 'exit' handlers may only be synchronous.
    // First among the exit hooks, so a temporary folder removed by a later one is not written to again.
    process.prependListener('exit', () => {
      for (const group of liveGroups) signalGroup(group, 'SIGKILL');
    });
  }
  liveGroups.add(pid);
}

/**
 * A child process the environment owns: started in its own process group (so stopping it stops
 * whatever it spawned too), its output kept in a small tail, and stopped with SIGTERM, then SIGKILL.
 */
export class ManagedProcess {
  public readonly name: string;
  private readonly child: ChildProcess;
  private tail = '';
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;
  private stopping: Promise<void> | undefined;

  public constructor(spec: ManagedProcessSpec) {
    this.name = spec.name;
    const options: SpawnOptions = {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    };
    this.child = spawn(spec.command, [...spec.args], options);
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    if (this.child.pid !== undefined) trackGroup(this.child.pid);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        if (this.child.pid !== undefined) liveGroups.delete(this.child.pid);
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
      this.child.once('error', (error) => {
        this.tail += `\n${error.message}`;
        this.exitCode = -1;
        resolve();
      });
    });
  }

  /** Copies everything the process prints to `stream` as well (a log file). */
  public pipeOutput(stream: NodeJS.WritableStream): void {
    this.child.stdout?.pipe(stream, { end: false });
    this.child.stderr?.pipe(stream, { end: false });
  }

  public get pid(): number | undefined {
    return this.child.pid;
  }

  public get alive(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  public get output(): string {
    return this.tail.trim();
  }

  public get exitDescription(): string {
    return this.exitSignal ? `killed by ${this.exitSignal}` : `exit code ${this.exitCode}`;
  }

  public waitForExit(): Promise<void> {
    return this.exited;
  }

  /** Stops the whole process group; safe to call twice (the second call gets the same promise). */
  public stop(graceMs = 5000): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.alive || this.child.pid === undefined) return;
      signalGroup(this.child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.child.pid!, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
      // Grandchildren that ignored SIGTERM go with the group.
      signalGroup(this.child.pid, 'SIGKILL');
    })();
    return this.stopping;
  }
}

/** Signals a process group, ignoring one that is already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** True while a process with this pid exists. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
