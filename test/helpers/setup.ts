import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORD_DIR_VARIABLE, describeDenials, readDenials } from '../../local/env/index.js';
import { stopSharedLocalEnv, unexpectedDenials } from './local-env.js';

// Loaded by mocha before any test: keeps the AWS SDK's Node-version notice out of test output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** Each mocha run's front records (denials, exercised grants) go to a folder of its own; the last few are kept for `npm run iam:report`. */
const RECORDS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.local', 'iam-records');
const KEPT_RUNS = 10;

function recordDir(): string {
  const given = process.env[RECORD_DIR_VARIABLE];
  if (given !== undefined && given !== '') return given;
  mkdirSync(RECORDS_ROOT, { recursive: true });
  for (const old of readdirSync(RECORDS_ROOT).sort().reverse().slice(KEPT_RUNS - 1)) rmSync(join(RECORDS_ROOT, old), { recursive: true, force: true });
  const dir = join(RECORDS_ROOT, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // Every environment this run starts, here or in a child process, records into this folder.
  process.env[RECORD_DIR_VARIABLE] = dir;
  return dir;
}

const records = recordDir();

/**
 * Root hooks: the shared embedded environment stops after the last test, whatever failed; then the
 * run fails if any front refused a call no test expected, printing each AccessDenied with the
 * role, the action and the resource it names.
 */
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopSharedLocalEnv();
    const denied = unexpectedDenials(readDenials(records));
    if (denied.length > 0) {
      throw new Error(`${denied.length} AWS call(s) were denied during the tests (records in ${records}):\n${describeDenials(denied)}`);
    }
  },
};
