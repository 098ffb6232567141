import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'insights-run-';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the folders of earlier invocations whose process is gone (one that was SIGKILLed or
 * lost its machine's power could not clean up). Returns the folders removed.
 */
export function removeAbandonedTempFolders(base: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(/^insights-run-(\d+)-/.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    rmSync(join(base, name), { recursive: true, force: true, maxRetries: 3 });
    removed.push(join(base, name));
  }
  return removed;
}

let own: string | undefined;

/**
 * Gives this process a temporary folder of its own (`insights-run-<pid>-*` in the system's), for
 * everything the command puts there (emulator data, DuckDB files): removed on exit, also after
 * Ctrl-C or an uncaught error, and by the next invocation when this one was killed outright.
 * TMPDIR is left alone, so child processes keep their own caches (tsx compiles once per machine).
 */
export function useOwnTempFolder(): string {
  if (own !== undefined) return own;
  const base = tmpdir();
  removeAbandonedTempFolders(base);
  const folder = mkdtempSync(join(base, `${PREFIX}${process.pid}-`));
  own = folder;
  // 'exit' handlers run after process.exit() and after the event loop empties; only sync work.
  process.on('exit', () => rmSync(folder, { recursive: true, force: true, maxRetries: 3 }));
  return folder;
}

/** Where to put temporary files: this invocation's own folder when it has one, else the system's. */
export function ownTempFolder(): string {
  return own ?? tmpdir();
}
