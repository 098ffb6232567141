import { readFileSync } from 'node:fs';
import { cpuSeconds } from '../../local/env/process-cpu.js';

// In local/env so that local/ measurements (the crawler fleet) read /proc as the bench does.
export { cpuSeconds };

/**
 * A process's peak resident set so far (`VmHWM` in /proc/<pid>/status), in MiB: what the kernel
 * saw at its highest, so it can be read once at the end instead of sampled. Undefined where there
 * is no /proc (macOS) or the process is gone.
 */
export function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Math.round((Number(kib) / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}


/** Keeps the highest peak seen per role, across every process a role had. */
export class PeakMemory {
  private readonly peaks = new Map<string, number>();

  public record(role: string, pid: number | undefined): void {
    const mib = peakRssMiB(pid);
    if (mib !== undefined) this.peaks.set(role, Math.max(mib, this.peaks.get(role) ?? 0));
  }

  public byRole(): Record<string, number> {
    return Object.fromEntries([...this.peaks].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** CPU seconds each role's processes spent between `start()` and `stop()` (start-up left out). */
export class CpuMeter {
  private readonly started = new Map<number, number>();
  private readonly spent = new Map<string, number>();

  public start(pids: readonly number[]): void {
    for (const pid of pids) {
      const used = cpuSeconds(pid);
      if (used !== undefined) this.started.set(pid, used);
    }
  }

  public stop(role: string, pid: number | undefined): void {
    const begin = pid === undefined ? undefined : this.started.get(pid);
    const end = cpuSeconds(pid);
    if (begin === undefined || end === undefined) return;
    this.spent.set(role, (this.spent.get(role) ?? 0) + (end - begin));
  }

  public byRole(): Record<string, number> {
    return Object.fromEntries([...this.spent].sort(([a], [b]) => a.localeCompare(b)).map(([role, s]) => [role, Math.round(s * 100) / 100]));
  }
}
