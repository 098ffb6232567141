import { randomUUID } from 'node:crypto';
import { startLocalEnv } from '../../local/env/index.js';
import type { LocalEnv } from '../../local/env/index.js';

/**
 * One embedded environment per mocha run: the emulators start on the first call (a couple of
 * seconds, mostly the DynamoDB Local JVM) and stop after the last test (root hook in setup.ts).
 * Tests isolate themselves by creating their own streams, tables and queues with unique names.
 */
let shared: Promise<LocalEnv> | undefined;

export function getLocalEnv(): Promise<LocalEnv> {
  shared ??= startLocalEnv({ provision: false });
  return shared;
}

export async function stopSharedLocalEnv(): Promise<void> {
  if (shared === undefined) return;
  const env = await shared.catch(() => undefined);
  shared = undefined;
  await env?.stop();
}

/** A name no other test uses: `${prefix}-<8 hex>`, valid as a stream, table or queue name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A stack name no other test uses (stack names are short and lower-case, see the catalog). */
export function uniqueStack(): string {
  return `t${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}
