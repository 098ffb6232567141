import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat (100 on Linux almost always). */
const CLOCK_TICKS = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

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

/** CPU seconds a process has used so far, user and system, all its threads (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
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
