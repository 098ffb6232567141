import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DENIALS_FILE_PREFIX, USAGE_FILE_PREFIX } from './iam-recorder.js';
import type { Denial, UsageEntry, UsageFile } from './iam-recorder.js';

function files(dir: string, prefix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix))
    .map((name) => join(dir, name));
}

/** Every denial the fronts recorded in a folder (all front processes, all services), oldest first. */
export function readDenials(dir: string): Denial[] {
  const denials = files(dir, DENIALS_FILE_PREFIX).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Denial),
  );
  return denials.sort((a, b) => a.at.localeCompare(b.at));
}

/** The grants exercised in a folder, summed over every front process: one entry per (role, sid, action, resource). */
export function readUsage(dir: string): UsageEntry[] {
  const total = new Map<string, UsageEntry>();
  for (const file of files(dir, USAGE_FILE_PREFIX)) {
    for (const entry of (JSON.parse(readFileSync(file, 'utf8')) as UsageFile).usage) {
      const key = `${entry.role}\u0000${entry.sid}\u0000${entry.action}\u0000${entry.resource}`;
      const seen = total.get(key);
      total.set(key, { ...entry, calls: (seen?.calls ?? 0) + entry.calls });
    }
  }
  return [...total.values()];
}
