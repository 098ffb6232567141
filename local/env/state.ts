import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createAwsClients } from '../../shared/aws/clients.js';
import { resourceNames } from '../../shared/catalog.js';
import type { ContractRoleName } from '../../shared/iam/grants.js';
import type { WorkerVariable } from '../../shared/worker-env.js';
import { mintDevToken } from '../dev-issuer/index.js';
import type { MintOptions } from '../dev-issuer/index.js';
import { frontsHandle } from './front/front-process.js';
import type { FrontServiceName } from './front/types.js';
import { LOCAL_REGION, roleCredentials } from './front/identities.js';
import type { EnforceOptions } from './front/types.js';
import { isProcessAlive, signalGroup } from './managed-process.js';
import type { LocalEnv, LocalEnvEndpoints, LocalEnvProcess } from './start.js';

/** A process the state names, with what tells it from another that got its pid later. */
export interface KeptProcess extends LocalEnvProcess {
  /** Its start time as the kernel counts it (`/proc/<pid>/stat`, field 22); absent where there is no /proc. */
  readonly startTicks?: string;
}

/**
 * What a kept environment (`insights local env up --keep`, `insights run --keep`, a running
 * `insights run --follow`) leaves in `.local/env.json` for `down`, for `view`, `batch`, `query`,
 * `replay` and `token` in other shells, and for a later `run --keep` that attaches to it.
 */
export interface KeptEnvState {
  readonly supervisorPid: number;
  /** The supervisor's start time (see `KeptProcess.startTicks`). */
  readonly supervisorStartTicks?: string;
  readonly stack: string;
  readonly endpoints: LocalEnvEndpoints;
  readonly redisUrl: string;
  /** Everything a worker started by hand needs (operator AWS variables, every role's contract values). */
  readonly env: Record<string, string>;
  readonly workerEnv: Record<string, string>;
  readonly processes: readonly KeptProcess[];
  /** Workers a `run --keep --follow` started on it (stopped by `down` too). */
  readonly workers?: readonly KeptProcess[];
  /** The `run --keep --follow` process using it: `down` stops it first, so it stops its own workers and reports. */
  readonly runner?: KeptProcess;
  readonly startedAt: string;
  /** What `run` needs to attach to it (absent in states written before `run --keep` existed). */
  readonly attach?: {
    readonly engines: { readonly kinesis: string; readonly dynamodb: string };
    readonly enforce: Readonly<Required<EnforceOptions>>;
    readonly operatorEnv: Record<string, string>;
    readonly workerValues: Partial<Record<WorkerVariable, string>>;
    readonly front?: { readonly controlUrl: string; readonly upstreams: Readonly<Record<FrontServiceName, string>> };
    readonly dataDir: string;
    readonly issuer: { readonly issuer: string; readonly audience: string; readonly jwksUrl: string; readonly keysDir: string };
    /** Whether the Firehose stand-in archives the raw stream. */
    readonly archiving: boolean;
  };
}

/** `.local/env.json` in the working folder (ignored by git). */
export function stateFile(cwd: string = process.cwd()): string {
  return join(cwd, '.local', 'env.json');
}

export function writeState(state: KeptEnvState, file: string = stateFile()): void {
  mkdirSync(dirname(file), { recursive: true });
  // Written whole or not at all: another shell may read it at any moment.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, file);
}

export function readState(file: string = stateFile()): KeptEnvState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as KeptEnvState;
  } catch {
    return undefined;
  }
}

export function removeState(file: string = stateFile()): void {
  rmSync(file, { force: true });
}

/** The kernel's start time of a process (`/proc/<pid>/stat` field 22), undefined where unknown. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** A process as the state records it: with its start time, so a reused pid is never taken for it. */
export function keptProcess(process: LocalEnvProcess): KeptProcess {
  const startTicks = processStartTicks(process.pid);
  return startTicks === undefined ? process : { ...process, startTicks };
}

/** True while the process the state names still runs: same pid and, where known, same start time. */
export function isSameProcess(process: Pick<KeptProcess, 'pid' | 'startTicks'>): boolean {
  if (process.pid <= 0 || !isProcessAlive(process.pid)) return false;
  if (process.startTicks === undefined) return true;
  return processStartTicks(process.pid) === process.startTicks;
}

/** True while the state's supervisor runs (the environment is up and owned). */
export function isSupervisorAlive(state: KeptEnvState): boolean {
  return isSameProcess({ pid: state.supervisorPid, ...(state.supervisorStartTicks === undefined ? {} : { startTicks: state.supervisorStartTicks }) });
}

/**
 * Stops every process the state names that is still the one it started (a pid reused since is
 * left alone): workers first, then the environment's servers, each as a process group. Returns
 * the processes signalled.
 */
export async function stopStateProcesses(state: KeptEnvState, graceMs = 10_000): Promise<KeptProcess[]> {
  const named = [...(state.workers ?? []), ...state.processes];
  const live = named.filter((p) => isSameProcess(p));
  for (const p of live) signalGroup(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && live.some((p) => isProcessAlive(p.pid))) await new Promise((r) => setTimeout(r, 100));
  for (const p of live) if (isProcessAlive(p.pid)) signalGroup(p.pid, 'SIGKILL');
  return live;
}

/**
 * The kept environment as a `LocalEnv` another process can use (`run --keep` attaching to it):
 * its endpoints, names, identities and issuer; `stop()` leaves it running (its supervisor owns it).
 */
export function attachKeptEnv(state: KeptEnvState): LocalEnv {
  const attach = state.attach;
  if (attach === undefined) throw new Error(`the kept environment in ${stateFile()} was started by an older version; stop it with 'insights local env down' and start it again`);
  const operatorEnv = attach.operatorEnv;
  const issuerSettings = attach.issuer;
  const env: LocalEnv = {
    stack: state.stack,
    engines: attach.engines,
    endpoints: state.endpoints,
    redisUrl: state.redisUrl,
    names: resourceNames(state.stack),
    env: operatorEnv,
    enforce: attach.enforce,
    front: attach.front === undefined ? undefined : frontsHandle(attach.front.controlUrl, attach.front.upstreams),
    workerValues: attach.workerValues,
    processes: state.processes,
    dataDir: attach.dataDir,
    issuer: {
      issuer: issuerSettings.issuer,
      audience: issuerSettings.audience,
      jwksUrl: issuerSettings.jwksUrl,
      workerValues: { AUTH_ISSUER: issuerSettings.issuer, AUTH_AUDIENCE: issuerSettings.audience, AUTH_JWKS_URL: issuerSettings.jwksUrl },
      mint: (userId: string, options?: MintOptions) => mintDevToken(issuerSettings, userId, options),
    },
    clients: () =>
      createAwsClients({
        region: LOCAL_REGION,
        env: operatorEnv,
        credentials: { accessKeyId: operatorEnv['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: operatorEnv['AWS_SECRET_ACCESS_KEY'] ?? '' },
      }),
    credentialsFor(this: LocalEnv, role: ContractRoleName, stackName = this.stack) {
      return roleCredentials(stackName, role);
    },
    awsEnvFor(this: LocalEnv, role: ContractRoleName, stackName = this.stack) {
      const credentials = roleCredentials(stackName, role);
      return { ...this.env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
    },
    clientsFor(this: LocalEnv, role: ContractRoleName, stackName = this.stack) {
      return createAwsClients({ region: LOCAL_REGION, env: this.awsEnvFor(role, stackName), credentials: roleCredentials(stackName, role) });
    },
    stop: () => Promise.resolve(),
  };
  return env;
}
