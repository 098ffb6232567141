import { WORKER_ROLES } from '../shared/worker-env.js';
import type { WorkerRoleName } from '../shared/worker-env.js';
import { UnknownRoleError } from './errors.js';
import { runWorker } from './runtime/worker-runtime.js';
import type { StartRole } from './runtime/worker-runtime.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** Each role lives in `workers/<role>/index.ts` and exports `start`. */
interface RoleModule {
  readonly start: StartRole<WorkerRoleName>;
}

/**
 * The one entry of the worker image: `node --import=tsx workers/main.ts <role>` (or WORKER_ROLE).
 * A role's module is loaded on demand, so a crawler never loads onnxruntime.
 */
const role = process.argv[2] ?? process.env['WORKER_ROLE'];
if (role === undefined || !(WORKER_ROLES as readonly string[]).includes(role)) {
  process.stderr.write(`${new UnknownRoleError(role, WORKER_ROLES).message}\n`);
  process.exit(2);
}
const { start } = (await import(`./${role}/index.js`)) as RoleModule;
await runWorker(role as WorkerRoleName, start);
