import { parseStackConfig } from '../../infra/config.js';
import type { StackConfig } from '../../infra/config.js';
import { PLAN_STAND_INS, plan } from '../../infra/planner/plan.js';
import type { Plan } from '../../infra/planner/plan.js';
import type { PlannedResource } from '../../infra/planner/mock-stack.js';
import { readStackFile } from '../../infra/planner/stack-file.js';

/** The stacks with a stack file in the repository. */
export const STACKS = ['dev', 'prod', 'local'] as const;
export type StackName = (typeof STACKS)[number];

const plans = new Map<string, Promise<Plan>>();

/**
 * The program run under mocks for a stack, from its real stack file, once per test process: every
 * infra test file asks for the same three runs, and a run takes a few seconds on a busy machine.
 */
export function planned(stack: StackName): Promise<Plan> {
  let result = plans.get(stack);
  if (result === undefined) {
    result = plan({ stack });
    plans.set(stack, result);
  }
  return result;
}

/** The stack's config exactly as the program saw it (stack file plus the plan's stand-ins). */
export function stackConfig(stack: StackName): StackConfig {
  const file = readStackFile(new URL(`../../Pulumi.${stack}.yaml`, import.meta.url).pathname);
  const config: Record<string, string> = { ...file.config };
  if (config['realtime-insights:dataPlaneOnly'] !== 'true') {
    for (const [key, value] of Object.entries(PLAN_STAND_INS)) config[key] ??= value;
  }
  return parseStackConfig(stack, (key) => config[key]);
}

export function ofType(resources: readonly PlannedResource[], type: string): PlannedResource[] {
  return resources.filter((r) => r.type === type);
}

export function named(resources: readonly PlannedResource[], type: string, name: string): PlannedResource {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (found === undefined) throw new Error(`no ${type} named ${name} in the plan`);
  return found;
}

/** Parses a JSON string input (policies, container definitions), failing the test if it is not one. */
export function json<T = unknown>(value: unknown): T {
  if (typeof value !== 'string') throw new Error(`expected a JSON string, got ${typeof value}`);
  return JSON.parse(value) as T;
}
