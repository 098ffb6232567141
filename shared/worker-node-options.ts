import type { WorkerRoleName } from './worker-env.js';

/**
 * Most old space the scorer's main thread gets, MiB; half of a smaller task's memory instead.
 *
 * Without a limit V8 sizes the heap from the memory it sees (4 GiB on a large host) and, at a limit
 * of 2 GiB or more, lets old space grow to about four times what survived the last full GC before
 * collecting again; below that, by 1.3 to 2 times, less the smaller the limit. Draining a backlog,
 * each job's records, results and PutRecords bodies outlive two scavenges (four jobs at once share
 * one inference thread and wait on Kinesis), so they are promoted and die in old space: the main
 * heap went from 28 MiB live to 83 MiB used (112 MiB committed) before a full GC, and the process
 * peaked at 288 to 312 MiB (100 to 300 jobs of 250, one inference thread). At 1024 old space grows
 * by about 1.6 times: 225 to 237 MiB, at the same records/s and CPU seconds. 512 saved about 6 MiB
 * more but cost about 7% more CPU (a third in one run) in a full GC every 300 ms; 2048 behaves
 * like no limit.
 */
export const SCORER_MAX_OLD_SPACE_MIB = 1024;

/** The scorer's default Fargate task memory (infra/config.ts), MiB: what a local scorer stands for. */
export const SCORER_DEFAULT_TASK_MEMORY_MIB = 2048;

export interface WorkerNodeOptionsContext {
  /**
   * Memory of the task the process runs in, MiB (the task definition's `memory`). A local process
   * has none and stands for a default-sized task.
   * @default SCORER_DEFAULT_TASK_MEMORY_MIB for the scorer (the only role with node options)
   */
  readonly taskMemoryMiB?: number;
}

/**
 * The scorer's old-space limit for a task: `SCORER_MAX_OLD_SPACE_MIB`, or half the task's memory
 * when that is less, so onnxruntime, buffers and the inference thread keep the other half.
 */
export function scorerOldSpaceMiB(taskMemoryMiB: number): number {
  if (!Number.isInteger(taskMemoryMiB) || taskMemoryMiB < 2) throw new RangeError(`taskMemoryMiB must be a whole number of MiB of at least 2, got ${taskMemoryMiB}`);
  return Math.min(SCORER_MAX_OLD_SPACE_MIB, Math.floor(taskMemoryMiB / 2));
}

/**
 * Node options a role's process starts with, before its entry module: they must be in place
 * before any code runs, so they cannot be worker variables (the code reads those once it runs).
 * Infra's task command and the local runner both put them on the `node` command line, where they
 * win over `NODE_OPTIONS`, so a process on a large host behaves as the task does.
 */
export function workerNodeOptions(role: WorkerRoleName, context: WorkerNodeOptionsContext = {}): string[] {
  if (role !== 'scorer') return [];
  return [`--max-old-space-size=${scorerOldSpaceMiB(context.taskMemoryMiB ?? SCORER_DEFAULT_TASK_MEMORY_MIB)}`];
}
