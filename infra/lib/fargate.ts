/**
 * Fargate's allowed task sizes. A task definition with any other CPU/memory pair is rejected by
 * ECS at deploy time, so config validation checks it first.
 */

function steps(from: number, to: number, step: number): readonly number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}

/** Memory choices (MiB) per CPU size (CPU units, 1024 = one vCPU), from the Fargate docs. */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

export const FARGATE_CPUS: readonly number[] = Object.keys(FARGATE_MEMORY).map(Number);

/** Why a CPU/memory pair cannot run on Fargate, or undefined when it can. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
  const choices = FARGATE_MEMORY[cpu];
  if (choices === undefined) return `cpu must be one of ${FARGATE_CPUS.join(', ')} (CPU units), got ${cpu}`;
  if (!choices.includes(memory)) {
    const shown = choices.length <= 4 ? choices.join(', ') : `${choices[0]} to ${choices[choices.length - 1]} in steps of ${(choices[1] ?? 0) - (choices[0] ?? 0)}`;
    return `memory ${memory} MiB does not fit cpu ${cpu}; Fargate allows ${shown} MiB`;
  }
  return undefined;
}
