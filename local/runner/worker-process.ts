import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWorkerEnv } from '../../shared/worker-env.js';
import type { WorkerRoleName, WorkerVariable } from '../../shared/worker-env.js';
import { workerNodeOptions } from '../../shared/worker-node-options.js';
import { ManagedProcess } from '../env/managed-process.js';
import { freePort } from '../env/ports.js';
import { cpuSeconds } from '../env/process-cpu.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A worker's CPU, from /proc: what start-up took (to the first healthy answer) and what it used from then on. */
export interface WorkerCpu {
  readonly startUpSeconds: number;
  /** From healthy until now, or until `stop()` was asked (the drain at shutdown left out). */
  readonly runningSeconds: number;
}

export interface WorkerProcessOptions {
  readonly role: WorkerRoleName;
  /** Tells several processes of one role apart in logs (`scorer-2`). */
  readonly instance: number;
  /** Worker-contract values (names, Redis, broker); HEALTH_PORT is chosen here. */
  readonly values: Partial<Record<WorkerVariable, string | number | boolean>>;
  /** AWS_* variables of the environment. */
  readonly awsEnv: Readonly<Record<string, string>>;
  /** Folder for the worker's JSON log. */
  readonly logDir: string;
}

/**
 * One worker role as its own OS process, exactly as a container of a default-sized task runs it
 * (`node <the role's node options> --import=tsx workers/main.ts <role>`, see `workerNodeOptions`),
 * with its JSON log in a file and /health on a free port so the runner can follow its counters.
 */
export class WorkerProcess {
  public readonly name: string;
  public readonly logFile: string;
  private proc: ManagedProcess | undefined;
  private log: WriteStream | undefined;
  private port = 0;
  private cpuAtHealthy: number | undefined;
  private cpuAtStop: number | undefined;

  public constructor(private readonly options: WorkerProcessOptions) {
    this.name = `${options.role}-${options.instance}`;
    this.logFile = join(options.logDir, `${this.name}.log`);
  }

  public get pid(): number | undefined {
    return this.proc?.pid;
  }

  public get alive(): boolean {
    return this.proc?.alive ?? false;
  }

  public get healthUrl(): string {
    return `http://127.0.0.1:${this.port}/health`;
  }

  public async start(): Promise<void> {
    this.port = await freePort();
    const env = buildWorkerEnv(this.options.role, { ...this.options.values, HEALTH_PORT: this.port });
    mkdirSync(this.options.logDir, { recursive: true });
    this.proc = new ManagedProcess({
      name: this.name,
      command: process.execPath,
      args: [...workerNodeOptions(this.options.role), '--import=tsx', join(root, 'workers', 'main.ts'), this.options.role],
      cwd: root,
      env: { ...this.options.awsEnv, ...env },
    });
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    this.proc.pipeOutput(this.log);
  }

  /** The worker's /health body, or undefined while it does not answer. */
  public async health(): Promise<Record<string, unknown> | undefined> {
    if (!this.alive) return undefined;
    try {
      const response = await fetch(this.healthUrl, { signal: AbortSignal.timeout(1000) });
      return (await response.json()) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** Waits until /health answers 200, or throws with the tail of the worker's output. */
  public async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.name} exited during start-up (${this.proc?.exitDescription}); see ${this.logFile}\n${this.proc?.output ?? ''}`);
      const body = await this.health();
      if (body?.['status'] === 'ok') {
        this.cpuAtHealthy = cpuSeconds(this.pid);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} was not healthy within ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** SIGTERM (graceful drain), SIGKILL after `graceMs`; safe to call twice. */
  public async stop(graceMs = 30_000): Promise<void> {
    if (this.alive) this.cpuAtStop ??= cpuSeconds(this.pid);
    await this.proc?.stop(graceMs);
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
  }

  /**
   * CPU seconds split at the first healthy answer, so a short phase's figures are not the cost of
   * loading modules; undefined before it was healthy, or when /proc could not be read.
   */
  public cpu(): WorkerCpu | undefined {
    const atEnd = this.cpuAtStop ?? cpuSeconds(this.pid);
    if (this.cpuAtHealthy === undefined || atEnd === undefined) return undefined;
    return { startUpSeconds: this.cpuAtHealthy, runningSeconds: atEnd - this.cpuAtHealthy };
  }

  /** Sends a signal to the worker only (fault injection). */
  public kill(signal: NodeJS.Signals): void {
    if (this.proc?.pid !== undefined) process.kill(this.proc.pid, signal);
  }

  public waitForExit(): Promise<void> {
    return this.proc?.waitForExit() ?? Promise.resolve();
  }
}
