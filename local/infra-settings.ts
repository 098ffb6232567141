import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Settings infra gives the containers, read from the stack files (`Pulumi.<stack>.yaml`) as text:
 * the benchmarks and the fault suite judge figures against them without loading Pulumi.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function stackFiles(): { stack: string; text: string }[] {
  return readdirSync(root)
    .flatMap((file) => {
      const stack = /^Pulumi\.([\w-]+)\.yaml$/.exec(file)?.[1];
      return stack === undefined ? [] : [{ stack, text: readFileSync(join(root, file), 'utf8') }];
    })
    .sort((a, b) => a.stack.localeCompare(b.stack));
}

/** Where a setting came from, and its value. */
export interface StopTimeout {
  readonly ms: number;
  readonly source: string;
}

/**
 * The time ECS gives a container between SIGTERM and SIGKILL: the task definition's `stopTimeout`
 * comes from `realtime-insights:stopTimeoutSeconds` (infra/components/worker-task.ts,
 * infra/config.ts). The smallest value any stack file sets is the bound a hand-off must stay
 * under; 30 s (ECS's own default) when no stack file sets one.
 */
export function containerStopTimeout(): StopTimeout {
  const found = stackFiles().flatMap(({ stack, text }) => {
    const seconds = /realtime-insights:stopTimeoutSeconds:\s*"?(\d+)"?/.exec(text)?.[1];
    return seconds === undefined ? [] : [{ seconds: Number(seconds), stack }];
  });
  if (found.length === 0) return { ms: 30_000, source: 'ECS default (no stack sets stopTimeoutSeconds)' };
  const smallest = found.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ms: smallest.seconds * 1000, source: `Pulumi.${smallest.stack}.yaml stopTimeoutSeconds` };
}

/** vCPUs per task of each role in a stack file's `taskSize` (Fargate CPU units / 1024); empty when it sets none. */
export function stackTaskVcpus(stack: string): Record<string, number> {
  const text = stackFiles().find((f) => f.stack === stack)?.text ?? '';
  const block = /realtime-insights:taskSize:\s*\n((?:[ \t]+[\w-]+:.*\n?)+)/.exec(text)?.[1] ?? '';
  const out: Record<string, number> = {};
  for (const match of block.matchAll(/^[ \t]+([\w-]+):\s*\{[^}]*\bcpu:\s*(\d+)/gm)) out[match[1]!] = Number(match[2]) / 1024;
  return out;
}
