import { spawn } from 'node:child_process';
import { Command, Option } from 'commander';
import { buildWorkerEnv, WORKER_ROLES } from '../../shared/worker-env.js';
import { DynamoDbEngine, KinesisEngine, isProcessAlive, readState, removeState, roundTrip, signalGroup, startLocalEnv, stateFile, writeState } from '../../local/env/index.js';
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
    .addOption(new Option('--endpoint <url>', 'use an AWS-compatible endpoint already running (LocalStack) instead of emulators').env('AWS_ENDPOINT_URL'))
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
  };
}

/** Everything a worker started by hand in another shell needs, one role's variables merged. */
export function workerShellEnv(env: LocalEnv): Record<string, string> {
  const merged: Record<string, string> = { ...env.env };
  for (const role of WORKER_ROLES) {
    try {
      Object.assign(merged, buildWorkerEnv(role, env.workerValues));
    } catch {
      // Roles that need values only the pipeline runner supplies (broker URL and key) are skipped.
    }
  }
  return merged;
}

function describe(env: LocalEnv | KeptEnvState, shellEnv: Record<string, string>): void {
  console.log('Local AWS environment (loopback only):');
  console.log(`  kinesis   ${env.endpoints.kinesis}`);
  console.log(`  dynamodb  ${env.endpoints.dynamodb}`);
  console.log(`  s3        ${env.endpoints.s3}`);
  console.log(`  redis     ${env.redisUrl}`);
  console.log('\nEnvironment for a worker (paste into another shell):');
  for (const [key, value] of Object.entries(shellEnv)) console.log(`export ${key}=${JSON.stringify(value)}`);
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => () => resolve(signal);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

async function up(flags: EnvFlags & { keep?: boolean; supervise?: boolean; json?: boolean }): Promise<void> {
  const progress = new Progress(!flags.json);
  if (flags.keep) {
    const existing = readState();
    if (existing && isProcessAlive(existing.supervisorPid)) {
      throw new Error(`an environment is already running (supervisor pid ${existing.supervisorPid}); run 'insights local env down' first`);
    }
    removeState();
    // A detached supervisor owns the emulators so this shell can go; `down` signals it.
    const args = [...process.execArgv, process.argv[1]!, 'local', 'env', 'up', '--supervise', '--stack', flags.stack];
    if (flags.kinesis) args.push('--kinesis', flags.kinesis);
    if (flags.dynamodb) args.push('--dynamodb', flags.dynamodb);
    if (flags.endpoint) args.push('--endpoint', flags.endpoint);
    const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore' });
    child.unref();
    const deadline = Date.now() + 120_000;
    progress.step(`supervisor started (pid ${child.pid}); waiting for the environment`);
    while (Date.now() < deadline) {
      const state = readState();
      if (state !== undefined && state.supervisorPid === child.pid) {
        const ready = state;
        output(!!flags.json, ready, () => {
          describe(ready, ready.env);
          console.log(`\nLeft running (state in ${stateFile()}); stop it with: insights local env down`);
        });
        return;
      }
      if (child.pid === undefined || !isProcessAlive(child.pid)) throw new Error('the environment supervisor exited during start-up; run without --keep to see why');
      await new Promise((r) => setTimeout(r, 200));
    }
    signalGroup(child.pid!, 'SIGTERM');
    throw new Error('the environment did not come up within 120 s');
  }

  let stopRequested = false;
  const early = () => {
    stopRequested = true;
  };
  process.once('SIGINT', early);
  process.once('SIGTERM', early);
  const env = await startLocalEnv(envOptions(flags, progress));
  process.removeListener('SIGINT', early);
  process.removeListener('SIGTERM', early);
  if (stopRequested) {
    await env.stop();
    return;
  }
  const shellEnv = workerShellEnv(env);
  if (flags.supervise) {
    writeState({
      supervisorPid: process.pid,
      stack: env.stack,
      endpoints: env.endpoints,
      redisUrl: env.redisUrl,
      env: shellEnv,
      workerEnv: shellEnv,
      processes: env.processes,
      startedAt: new Date().toISOString(),
    });
    await waitForSignal();
    await env.stop();
    removeState();
    return;
  }
  output(!!flags.json, { endpoints: env.endpoints, redisUrl: env.redisUrl, env: shellEnv, processes: env.processes }, () => {
    describe(env, shellEnv);
    console.log('\nRunning; press Ctrl-C to stop everything.');
  });
  const signal = await waitForSignal();
  progress.step(`${signal}: stopping ${env.processes.map((p) => p.name).join(', ')}`);
  await env.stop();
  progress.step('stopped; no process left behind');
}

async function down(flags: { json?: boolean }): Promise<void> {
  const state = readState();
  if (!state) {
    output(!!flags.json, { stopped: false, reason: 'no environment state found' }, () => console.log(`Nothing to stop: ${stateFile()} does not exist.`));
    return;
  }
  if (isProcessAlive(state.supervisorPid)) process.kill(state.supervisorPid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && isProcessAlive(state.supervisorPid)) await new Promise((r) => setTimeout(r, 100));
  // Whatever the supervisor could not stop goes now.
  for (const proc of state.processes) if (isProcessAlive(proc.pid)) signalGroup(proc.pid, 'SIGKILL');
  removeState();
  output(!!flags.json, { stopped: true, processes: state.processes }, () => console.log(`Stopped ${state.processes.map((p) => `${p.name} (${p.pid})`).join(', ')}.`));
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
      .option('--keep', 'leave it running for other shells (stop with `insights local env down`)')
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
