import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { InsightsError } from '../../shared/errors.js';
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

/** Runs the stack's program under mocks with the config from its stack file. */
export async function plan(options: PlanOptions): Promise<Plan> {
  const root = options.root ?? fileURLToPath(new URL('../../', import.meta.url));
  const file = readStackFile(`${root}/Pulumi.${options.stack}.yaml`);
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

async function cli(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { stack: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (values.stack === undefined) {
    console.error('usage: npm run plan -- --stack <dev|prod|local> [--json]');
    return 2;
  }
  try {
    const result = await plan({ stack: values.stack });
    if (values.json === true) {
      console.log(JSON.stringify(result.resources.map(({ type, name, parent, inputs }) => ({ type, name, parent: parent ?? null, inputs })), null, 2));
    } else {
      console.log(renderTree(result.resources));
      const custom = result.resources.filter((r) => r.custom).length;
      console.log(`\n${result.resources.length} resources (${custom} custom, ${result.resources.length - custom} components) in stack '${values.stack}'`);
    }
    if (result.standIns.length > 0) console.error(`note: stand-in values used for ${result.standIns.join(', ')} (set them with pulumi config set)`);
    return 0;
  } catch (error) {
    if (error instanceof InsightsError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await cli(process.argv.slice(2));
}
