import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { runProgram } from '../../shared/command-line/run-program.js';
import { NAMESPACE, SECRET_KEYS } from '../config.js';
import { runMockStack } from './mock-stack.js';
import type { MockStackResult } from './mock-stack.js';
import { renderTree } from './plan-summary.js';
import { readStackFile } from './stack-file.js';

/**
 * `npm run plan -- --stack dev [--json]`: runs the Pulumi program for a stack under mocks (no
 * Pulumi CLI, no cloud) and prints the resource tree it would create, with the inputs that matter;
 * `--json` prints every resource as `{ type, name, parent, inputs }`. The stack's config comes
 * from `Pulumi.<stack>.yaml`, validated exactly as `pulumi up` would.
 */

/**
 * Settings a real stack keeps out of its file (`pulumi config set [--secret]`): the plan stands in
 * for them when they are absent or encrypted, and says so.
 */
export const PLAN_STAND_INS: Readonly<Record<string, string>> = {
  [`${NAMESPACE}:brokerUrl`]: 'https://broker.invalid',
  // TEST-NET-1 (RFC 5737): a range no real broker is served from.
  [`${NAMESPACE}:brokerCidrs`]: '["192.0.2.0/24"]',
  [`${NAMESPACE}:brokerApiKey`]: 'plan-stand-in-broker-key',
  [`${NAMESPACE}:redisAuthToken`]: 'plan-stand-in-redis-token-0123456789',
};

export interface PlanOptions {
  readonly stack: string;
  /** Directory holding Pulumi.<stack>.yaml. @default the repository root */
  readonly root?: string;
}

export interface Plan extends MockStackResult {
  /** Config keys the plan stood in for. */
  readonly standIns: string[];
}

const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The stacks that have a file in `root` (for a message naming the ones that exist). */
export function stackNames(root: string = REPOSITORY_ROOT): string[] {
  return readdirSync(root)
    .flatMap((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1] ?? [])
    .sort();
}

/** Runs the stack's program under mocks with the config from its stack file. */
export async function plan(options: PlanOptions): Promise<Plan> {
  const root = options.root ?? REPOSITORY_ROOT;
  const file = readStackFile(join(root, `Pulumi.${options.stack}.yaml`), stackNames(root));
  const config = { ...file.config };
  const standIns: string[] = [];
  if (config[`${NAMESPACE}:dataPlaneOnly`] !== 'true') {
    for (const [key, value] of Object.entries(PLAN_STAND_INS)) {
      if (config[key] === undefined) {
        config[key] = value;
        standIns.push(key);
      }
    }
  }
  const { default: main } = await import('../index.js');
  const result = await runMockStack(
    { stack: options.stack, region: config['aws:region'] ?? 'us-east-1', config, secretKeys: [...SECRET_KEYS, ...file.encryptedKeys] },
    main,
  );
  return { ...result, standIns };
}

async function printPlan(flags: { stack: string; json?: boolean }): Promise<void> {
  const result = await plan({ stack: flags.stack });
  if (flags.json === true) {
    console.log(JSON.stringify(result.resources.map(({ type, name, parent, inputs }) => ({ type, name, parent: parent ?? null, inputs })), null, 2));
  } else {
    console.log(renderTree(result.resources));
    const custom = result.resources.filter((r) => r.custom).length;
    console.log(`\n${result.resources.length} resources (${custom} custom, ${result.resources.length - custom} components) in stack '${flags.stack}'`);
  }
  if (result.standIns.length > 0) console.error(`note: stand-in values used for ${result.standIns.join(', ')} (set them with pulumi config set)`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runProgram(
    new Command('plan')
      .description('the resource tree a stack would create, from its Pulumi.<stack>.yaml, under mocks (no Pulumi CLI, no cloud)')
      .usage('--stack <name> [--json]')
      .requiredOption('--stack <name>', `the stack (${stackNames().join(', ')})`)
      .option('--json', 'print every resource as { type, name, parent, inputs }')
      .action(printPlan),
    { invokedAs: 'npm run plan --' },
  );
}
