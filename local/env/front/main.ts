import { startFronts } from './fronts.js';
import type { FrontsOptions } from './fronts.js';

/**
 * The fronts as their own process (so their CPU is not a worker's): `node --import=tsx
 * local/env/front/main.ts '<FrontsOptions as JSON>'`. Stops on SIGTERM or SIGINT after flushing
 * what it recorded, and on its own when the process that started it is gone.
 */
const options = JSON.parse(process.argv[2] ?? '{}') as FrontsOptions;
const parent = process.ppid;
const fronts = await startFronts(options);
console.log(`fronts listening: ${JSON.stringify(fronts.endpoints)}, control ${fronts.controlUrl}`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void fronts.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// A parent killed with SIGKILL runs no exit hook: the fronts notice they were orphaned.
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 1000).unref();
