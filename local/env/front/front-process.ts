import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManagedProcessSpec } from '../managed-process.js';
import type { FrontsOptions, FrontsStats } from './fronts.js';
import type { Denial } from './iam/iam-recorder.js';
import type { FrontServiceName } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/** The fronts' own process, started and stopped like an emulator. */
export function frontsProcess(options: FrontsOptions): ManagedProcessSpec {
  return { name: 'fronts', command: process.execPath, args: ['--import=tsx', join(here, 'main.ts'), JSON.stringify(options)], cwd: root };
}

/** The running fronts as the environment's owner sees them. */
export interface FrontsHandle {
  /** The emulators behind the fronts (calls there skip IAM and the limits: for measuring the fronts only). */
  readonly upstreams: Readonly<Record<FrontServiceName, string>>;
  readonly controlUrl: string;
  /** What every front and middleware counted so far. */
  stats(): Promise<FrontsStats>;
  /** Every call refused so far (the last ones each front keeps), oldest first. */
  denials(): Promise<Denial[]>;
}

export function frontsHandle(controlUrl: string, upstreams: Readonly<Record<FrontServiceName, string>>): FrontsHandle {
  const stats = async (): Promise<FrontsStats> => {
    const get = (): Promise<Response> => fetch(`${controlUrl}/stats`, { signal: AbortSignal.timeout(5000) });
    // A kept-alive connection the server closed just as it was reused fails as "fetch failed"
    // (a TypeError; a timeout is a DOMException): the GET is asked once more on a new one.
    const response = await get().catch((error: unknown) => {
      if (error instanceof TypeError) return get();
      throw error;
    });
    if (!response.ok) throw new Error(`the fronts' control endpoint answered ${response.status}`);
    return (await response.json()) as FrontsStats;
  };
  return {
    upstreams,
    controlUrl,
    stats,
    denials: async () => {
      const all = (await stats()).fronts.flatMap((front) => ((front.middlewares['iam']?.['denials'] as Denial[] | undefined) ?? []));
      return all.sort((a, b) => a.at.localeCompare(b.at));
    },
  };
}

/** One line per distinct denial (with how often it happened), each naming role, action and resource, as a failing run prints them. */
export function describeDenials(denials: readonly Denial[]): string {
  const counts = new Map<string, number>();
  for (const d of denials) {
    const line = `  ${d.role ?? d.principal ?? 'unsigned'} (stack ${d.stack ?? 'none'}) ${d.operation}: ${d.message}`;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].map(([line, n]) => (n === 1 ? line : `${line} (${n} times)`)).join('\n');
}
