import { randomUUID } from 'node:crypto';
import { startLocalEnv } from '../../local/env/index.js';
import type { Denial, LocalEnv } from '../../local/env/index.js';
import { isolatedStack } from '../../local/env/isolated-stack.js';
import type { AwsClients } from '../../shared/aws/clients.js';
import type { ProvisionedCatalog } from '../../local/env/provision.js';
import type { StreamName } from '../../shared/catalog.js';
import type { ContractRoleName } from '../../shared/iam/grants.js';

/**
 * One embedded environment per mocha run: the emulators start on the first call (a couple of
 * seconds, mostly the DynamoDB Local JVM) and stop after the last test (root hook in setup.ts).
 * Tests isolate themselves with a stack of their own (`testStack`): its catalog resources have
 * names no other test uses, and its roles are identities of their own, so role code under test
 * is held to its role's grants exactly as in AWS.
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

/** A test's own stack in the shared environment: every catalog resource, and clients per identity. */
export interface TestStack {
  readonly stack: string;
  /** Its names and the ARNs of its stream consumers. */
  readonly names: ProvisionedCatalog;
  /** The shared environment as this stack sees it (its names, its workers' values). */
  readonly env: LocalEnv;
  /** The operator's clients: setting up and inspecting state, never role code. */
  readonly operator: AwsClients;
  /** Clients acting as `role` of this stack (made once per role). */
  as(role: ContractRoleName): AwsClients;
  /** Deletes the stack's resources and closes its clients; safe to call twice. */
  cleanup(): Promise<void>;
}

/** Provisions a new stack in the shared environment (about a second: two streams, six tables, two buckets). */
export async function testStack(options: { shards?: Partial<Record<StreamName, number>> } = {}): Promise<TestStack> {
  const base = await getLocalEnv();
  const stack = uniqueStack();
  const isolated = await isolatedStack(base, { stack, ...(options.shards === undefined ? {} : { shards: options.shards }) });
  const operator = base.clients();
  const byRole = new Map<ContractRoleName, AwsClients & { destroy(): void }>();
  let cleaning: Promise<void> | undefined;
  return {
    stack,
    names: isolated.names,
    env: isolated.env,
    operator,
    as: (role) => {
      let clients = byRole.get(role);
      if (clients === undefined) {
        clients = isolated.env.clientsFor(role);
        byRole.set(role, clients);
      }
      return clients;
    },
    cleanup: () => {
      cleaning ??= (async () => {
        await isolated.cleanup();
        operator.destroy();
        for (const clients of byRole.values()) clients.destroy();
      })();
      return cleaning;
    },
  };
}

/** Stacks whose denials a test provokes on purpose; every other denial fails the run (setup.ts). */
const expectedDenialStacks = new Set<string>();

/** Declares that `stack`'s roles will be refused on purpose (a test of a denial). */
export function expectDenials(stack: string): void {
  expectedDenialStacks.add(stack);
}

export function unexpectedDenials(denials: readonly Denial[]): Denial[] {
  return denials.filter((d) => d.stack === undefined || !expectedDenialStacks.has(d.stack));
}
