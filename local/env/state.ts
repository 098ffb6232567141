import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LocalEnvEndpoints, LocalEnvProcess } from './start.js';

/** What `insights local env up --keep` leaves behind for `down` and for other shells. */
export interface KeptEnvState {
  readonly supervisorPid: number;
  readonly stack: string;
  readonly endpoints: LocalEnvEndpoints;
  readonly redisUrl: string;
  readonly env: Record<string, string>;
  readonly workerEnv: Record<string, string>;
  readonly processes: readonly LocalEnvProcess[];
  readonly startedAt: string;
}

/** `.local/env.json` in the working folder (ignored by git). */
export function stateFile(cwd: string = process.cwd()): string {
  return join(cwd, '.local', 'env.json');
}

export function writeState(state: KeptEnvState, file: string = stateFile()): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
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
