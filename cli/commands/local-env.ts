import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InterruptedError, httpUrl } from '../../shared/command-line/index.js';
import { startLocalArchiver } from '../../local/archiver/index.js';
import { Command, Option } from 'commander';
import { ROLE_VARIABLES, WORKER_ROLES, requiredVariables } from '../../shared/worker-env.js';
import type { WorkerRoleName, WorkerVariable } from '../../shared/worker-env.js';
import {
  DynamoDbEngine,
  KinesisEngine,
  isProcessAlive,
  isSameProcess,
  isSupervisorAlive,
  keptProcess,
  processStartTicks,
  readState,
  removeState,
  roundTrip,
  signalGroup,
  startLocalEnv,
  stateFile,
  stopStateProcesses,
  writeState,
} from '../../local/env/index.js';
import type { KeptEnvState, LocalEnv, LocalEnvOptions } from '../../local/env/index.js';
import { devIssuerKeysDir } from '../../local/dev-issuer/index.js';
import { Progress, output } from '../progress.js';

export interface EnvFlags {
  kinesis: LocalEnvOptions['kinesis'];
  dynamodb: LocalEnvOptions['dynamodb'];
  endpoint?: string;
  stack: string;
  /** False with --no-iam. */
  iam?: boolean;
  /** False with --no-limits. */
  limits?: boolean;
}

/** The emulator choices every command that brings an environment up shares. */
export function addEnvOptions(command: Command): Command {
  return command
    .addOption(new Option('--kinesis <engine>', 'Kinesis emulator').choices(Object.values(KinesisEngine)).default(KinesisEngine.Kinesalite))
    .addOption(new Option('--dynamodb <engine>', 'DynamoDB emulator').choices(Object.values(DynamoDbEngine)).default(DynamoDbEngine.DynamoDbLocal))
    .addOption(new Option('--endpoint <url>', 'use an AWS-compatible endpoint already running (LocalStack) instead of emulators').env('AWS_ENDPOINT_URL').argParser(httpUrl))
    .option('--stack <name>', 'stack whose catalog resources are provisioned', 'local')
    .option('--no-iam', "do not enforce each role's IAM grants (shared/iam) on the local AWS calls")
    .option('--no-limits', 'do not enforce Kinesis shard limits and DynamoDB capacity locally');
}

export function envOptions(flags: EnvFlags, progress: Progress): LocalEnvOptions {
  return {
    ...(flags.kinesis === undefined ? {} : { kinesis: flags.kinesis }),
    ...(flags.dynamodb === undefined ? {} : { dynamodb: flags.dynamodb }),
    ...(flags.endpoint === undefined ? {} : { endpoint: flags.endpoint }),
    ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}),
    stack: flags.stack,
    enforce: { iam: flags.iam !== false, limits: flags.limits !== false },
    onProgress: (m) => progress.step(m),
    devIssuerKeysDir: devIssuerKeysDir(),
    installMissing: true,
  };
}

/**
 * Everything a worker of any role started by hand in another shell needs: every role's contract
 * values merged, with HEALTH_PORT 0 so each process picks a free /health port (two workers on one
 * machine would otherwise both take 8080). What only a run supplies (the broker's URL and key, its
 * webhook keys) is not there: `missingWorkerVariables` names it.
 */
export function workerShellEnv(env: Pick<LocalEnv, 'env' | 'workerValues'>): Record<string, string> {
  const merged: Record<string, string> = { ...env.env };
  const values: Partial<Record<WorkerVariable, string | number>> = { ...env.workerValues, HEALTH_PORT: 0 };
  for (const role of WORKER_ROLES) {
    for (const key of ROLE_VARIABLES[role] as readonly WorkerVariable[]) {
      const value = values[key];
      if (value !== undefined) merged[key] = String(value);
    }
  }
  return merged;
}

/** Required variables the shell environment lacks, with the roles that need them. */
export function missingWorkerVariables(shellEnv: Readonly<Record<string, string>>): Map<WorkerVariable, WorkerRoleName[]> {
  const missing = new Map<WorkerVariable, WorkerRoleName[]>();
  for (const role of WORKER_ROLES) {
    for (const key of requiredVariables(role)) if (shellEnv[key] === undefined) missing.set(key, [...(missing.get(key) ?? []), role]);
  }
  return missing;
}

/** The state a kept environment leaves for other shells and for `run --keep` (see `KeptEnvState`). */
export function keptStateOf(env: LocalEnv, options: { readonly keysDir: string; readonly archiving: boolean }): KeptEnvState {
  const shellEnv = workerShellEnv(env);
  const supervisorStartTicks = processStartTicks(process.pid);
  return {
    supervisorPid: process.pid,
    ...(supervisorStartTicks === undefined ? {} : { supervisorStartTicks }),
    stack: env.stack,
    endpoints: env.endpoints,
    redisUrl: env.redisUrl,
    env: shellEnv,
    workerEnv: shellEnv,
    processes: env.processes.map(keptProcess),
    startedAt: new Date().toISOString(),
    attach: {
      engines: env.engines,
      enforce: env.enforce,
      operatorEnv: { ...env.env },
      workerValues: env.workerValues,
      ...(env.front === undefined ? {} : { front: { controlUrl: env.front.controlUrl, upstreams: env.front.upstreams } }),
      dataDir: env.dataDir,
      issuer: { issuer: env.issuer.issuer, audience: env.issuer.audience, jwksUrl: env.issuer.jwksUrl, keysDir: options.keysDir },
      archiving: options.archiving,
    },
  };
}

/**
 * Prints the environment so that `eval "$(insights local env up --keep)"` works: endpoints and
 * notes as comments, every variable as an export.
 */
function describe(env: LocalEnv | KeptEnvState, shellEnv: Record<string, string>): void {
  console.log('# Local AWS environment (loopback only):');
  console.log(`#   kinesis   ${env.endpoints.kinesis}`);
  console.log(`#   dynamodb  ${env.endpoints.dynamodb}`);
  console.log(`#   s3        ${env.endpoints.s3}`);
  console.log(`#   redis     ${env.redisUrl}`);
  console.log('# Environment for a worker of any role (HEALTH_PORT=0: each picks a free port).');
  const missing = missingWorkerVariables(shellEnv);
  if (missing.size > 0) {
    const list = [...missing].map(([key, roles]) => `${key} (${roles.join(', ')})`).join(', ');
    console.log(`# Still to set, from the broker you run ('insights broker --records N' prints its URL and key): ${list}.`);
  }
  for (const [key, value] of Object.entries(shellEnv)) console.log(`export ${key}=${shellQuote(value)}`);
}

/** Single-quoted for sh: nothing inside is expanded. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => () => resolve(signal);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

export interface KeptEnvFlags extends EnvFlags {
  /** Run the Firehose stand-in in the supervisor, so the archive fills for `insights batch`. */
  archive?: boolean;
}

/**
 * The kept environment named by `.local/env.json` when its supervisor still runs. A stale state
 * (its supervisor gone: killed, or its machine restarted) is healed here: whatever it names that
 * still runs and is the process it started (same pid and start time) is stopped, and the file goes.
 */
export async function liveKeptEnv(progress: Progress): Promise<KeptEnvState | undefined> {
  const existing = readState();
  if (existing === undefined) return undefined;
  if (isSupervisorAlive(existing)) return existing;
  const stopped = await stopStateProcesses(existing);
  progress.step(
    `found a stale ${stateFile()} (supervisor pid ${existing.supervisorPid} is gone); ` +
      (stopped.length === 0 ? 'none of its processes still ran' : `stopped what still ran: ${stopped.map((p) => `${p.name} (${p.pid})`).join(', ')}`),
  );
  removeState();
  return undefined;
}

/**
 * Starts a kept environment: a detached supervisor owns the emulators so this shell can go
 * (`down` signals it). Refuses when one is already running.
 */
export async function startKeptEnv(flags: KeptEnvFlags, progress: Progress, signal?: AbortSignal): Promise<KeptEnvState> {
  const existing = await liveKeptEnv(progress);
  if (existing !== undefined) {
    throw new Error(`an environment is already running (stack '${existing.stack}', supervisor pid ${existing.supervisorPid}); use it, or stop it with 'insights local env down'`);
  }
  const args = [...process.execArgv, process.argv[1]!, 'local', 'env', 'up', '--supervise', '--stack', flags.stack];
  if (flags.kinesis) args.push('--kinesis', flags.kinesis);
  if (flags.dynamodb) args.push('--dynamodb', flags.dynamodb);
  if (flags.endpoint) args.push('--endpoint', flags.endpoint);
  if (flags.iam === false) args.push('--no-iam');
  if (flags.limits === false) args.push('--no-limits');
  if (flags.archive) args.push('--archive');
  const logFile = join(process.cwd(), '.local', 'supervisor.log');
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const deadline = Date.now() + 120_000;
  progress.step(`supervisor started (pid ${child.pid}, log ${logFile}); waiting for the environment`);
  while (Date.now() < deadline) {
    if (signal?.aborted) {
      signalGroup(child.pid!, 'SIGTERM');
      throw new InterruptedError('during start-up of the kept environment; its supervisor was stopped', (signal.reason as InterruptedError | undefined)?.signal ?? 'SIGINT');
    }
    const state = readState();
    if (state !== undefined && state.supervisorPid === child.pid) return state;
    if (child.pid === undefined || !isProcessAlive(child.pid)) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new Error(`the environment supervisor exited during start-up; its log (${logFile}) ends:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  signalGroup(child.pid!, 'SIGTERM');
  throw new Error('the environment did not come up within 120 s');
}

async function up(flags: KeptEnvFlags & { keep?: boolean; supervise?: boolean; json?: boolean }): Promise<void> {
  const progress = new Progress(!flags.json);
  if (flags.keep) {
    const ready = await startKeptEnv(flags, progress);
    output(!!flags.json, ready, () => {
      describe(ready, ready.env);
      console.log(`# Left running (state in ${stateFile()}); stop it with: insights local env down`);
    });
    return;
  }

  let stopRequested = false;
  const early = () => {
    stopRequested = true;
  };
  process.once('SIGINT', early);
  process.once('SIGTERM', early);
  const options = envOptions(flags, progress);
  const env = await startLocalEnv(options);
  process.removeListener('SIGINT', early);
  process.removeListener('SIGTERM', early);
  if (stopRequested) {
    await env.stop();
    return;
  }
  const archiver = flags.archive ? await startLocalArchiver(env, { bufferIntervalMs: 2_000 }) : undefined;
  const shellEnv = workerShellEnv(env);
  if (flags.supervise) {
    writeState(keptStateOf(env, { keysDir: options.devIssuerKeysDir ?? devIssuerKeysDir(), archiving: archiver !== undefined }));
    await waitForSignal();
    await archiver?.close();
    // Workers a `run --keep --follow` registered go first, so nothing writes to a stopped emulator.
    const state = readState();
    if (state?.supervisorPid === process.pid) await stopStateProcesses({ ...state, processes: [] });
    await env.stop();
    removeState();
    return;
  }
  output(!!flags.json, { endpoints: env.endpoints, redisUrl: env.redisUrl, env: shellEnv, processes: env.processes }, () => {
    describe(env, shellEnv);
    console.log('# Running; press Ctrl-C to stop everything.');
  });
  const signal = await waitForSignal();
  progress.step(`${signal}: stopping ${env.processes.map((p) => p.name).join(', ')}`);
  await archiver?.close();
  await env.stop();
  progress.step('stopped; no process left behind');
  throw new InterruptedError('stopped; no process left behind', signal);
}

async function down(flags: { json?: boolean }): Promise<void> {
  const first = readState();
  if (!first) {
    output(!!flags.json, { stopped: false, reason: 'no environment state found' }, () => console.log(`Nothing to stop: ${stateFile()} does not exist.`));
    return;
  }
  // A `run --keep --follow` on it stops first: it stops its own workers and prints its summary.
  if (first.runner !== undefined && isSameProcess(first.runner)) {
    process.kill(first.runner.pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && isProcessAlive(first.runner.pid)) await new Promise((r) => setTimeout(r, 100));
  }
  const state = { ...(readState() ?? first), ...(first.workers ? { workers: first.workers } : {}) };
  if (isSupervisorAlive(state)) {
    process.kill(state.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && isProcessAlive(state.supervisorPid)) await new Promise((r) => setTimeout(r, 100));
  }
  // Whatever the supervisor did not stop (it was killed, or too slow) goes now, if it is still the process it started.
  const leftOver = await stopStateProcesses(state, 5_000);
  removeState();
  const named = [...(state.workers ?? []), ...state.processes];
  output(!!flags.json, { stopped: true, processes: named, stoppedWithoutSupervisor: leftOver }, () =>
    console.log(`Stopped ${named.map((p) => `${p.name} (${p.pid})`).join(', ')}${leftOver.length > 0 ? `; ${leftOver.length} of them after the supervisor was gone` : ''}.`),
  );
}

async function check(flags: EnvFlags & { json?: boolean }): Promise<void> {
  const progress = new Progress(!flags.json);
  const env = await startLocalEnv(envOptions(flags, progress));
  let failed: number;
  try {
    for (const p of env.processes) progress.step(`${p.name.padEnd(15)} pid ${p.pid} on 127.0.0.1:${p.port}`);
    const steps = await roundTrip(env);
    failed = steps.filter((s) => !s.ok).length;
    output(!!flags.json, { endpoints: env.endpoints, steps }, () => {
      for (const s of steps) console.log(`${s.ok ? 'ok  ' : 'FAIL'} ${s.service.padEnd(9)} ${s.what} (${s.ms} ms): ${s.detail}`);
    });
  } finally {
    await env.stop();
    progress.step(`stopped ${env.processes.map((p) => p.name).join(', ')}; no process left behind`);
  }
  if (failed > 0) throw new Error(`${failed} service round trip(s) failed`);
}

export function localEnvCommand(): Command {
  const local = new Command('local').description('the local AWS environment on embedded emulators');
  const env = new Command('env').description('start or stop the emulators and Redis');
  addEnvOptions(
    env
      .command('up')
      .description('start the emulators and Redis on loopback, provision the catalog, print the endpoints; Ctrl-C stops all')
      .option('--keep', 'leave it running for other shells (stop with `insights local env down`); prints its environment for eval')
      .option('--archive', 'run the local Firehose stand-in: the raw stream is archived for `insights batch`')
      .addOption(new Option('--supervise').hideHelp())
      .option('--json', 'print the endpoints and environment as JSON'),
  ).action((flags) => up(flags));
  addEnvOptions(
    env
      .command('check')
      .description('start the environment, put and read a record through every service, and stop it')
      .option('--json', 'print the round trip as JSON'),
  ).action((flags) => check(flags));
  env.command('down').description('stop an environment started with --keep').option('--json', 'print the result as JSON').action((flags) => down(flags));
  local.addCommand(env);
  return local;
}
