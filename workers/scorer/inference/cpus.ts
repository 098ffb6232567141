import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Where the CPU limit of this container is, and how to read it (injectable for tests). */
export interface CpuProbe {
  /** @default os.availableParallelism() (affinity-aware, unlike os.cpus().length) */
  readonly availableParallelism?: () => number;
  /** Reads a cgroup file; returns undefined when it does not exist. @default fs.readFileSync */
  readonly readFile?: (path: string) => string | undefined;
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The CPU quota of the cgroup this process runs in, in CPUs (fractional), or undefined when there
 * is none: cgroup v2 `cpu.max` ("200000 100000", or "max 100000" for none), else v1's
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1 for none). ECS and Kubernetes CPU limits land here,
 * while the host's core count (what `availableParallelism` sees) can be much larger.
 */
export function cgroupCpuQuota(readFile: (path: string) => string | undefined = readIfPresent): number | undefined {
  const v2 = readFile('/sys/fs/cgroup/cpu.max')?.trim();
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota === undefined || quota === 'max') return undefined;
    const ratio = Number(quota) / Number(period ?? 100_000);
    return Number.isFinite(ratio) && ratio > 0 ? ratio : undefined;
  }
  const quota = Number(readFile('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.trim());
  const period = Number(readFile('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.trim());
  if (!Number.isFinite(quota) || quota <= 0 || !Number.isFinite(period) || period <= 0) return undefined;
  return quota / period;
}

/** CPUs this container really has: the scheduler's parallelism, capped by the cgroup quota (rounded up), at least 1. */
export function containerCpus(probe: CpuProbe = {}): number {
  const available = (probe.availableParallelism ?? availableParallelism)();
  const quota = cgroupCpuQuota(probe.readFile ?? readIfPresent);
  const cpus = quota === undefined ? available : Math.min(available, Math.ceil(quota));
  return Math.max(1, cpus);
}

/** INFERENCE_THREADS: a positive value as given, 0 for one thread per CPU the container has. */
export function inferenceThreadCount(configured: number, probe: CpuProbe = {}): number {
  return configured > 0 ? configured : containerCpus(probe);
}
