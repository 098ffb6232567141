import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readUsage } from '../../local/env/index.js';
import { formatGrantUses, grantUses, latestRecordDir } from '../../local/env/front/iam/usage-report.js';
import { output } from '../progress.js';

interface ReportFlags {
  dir?: string[];
  json?: boolean;
}

/** Where `npm test` records what the fronts saw, one folder per run (test/helpers/setup.ts). */
const RECORDS_ROOT = join(process.cwd(), '.local', 'iam-records');

/**
 * `insights iam report [--dir DIR]... [--json]`: every grant of the IAM contract, per role, that
 * the recorded runs never exercised. Fails (exit 1) when one is neither exercised nor marked as
 * unobservable locally, so a grant no code needs cannot stay unnoticed.
 */
function report(flags: ReportFlags): void {
  const dirs = flags.dir ?? [latestRecordDir(RECORDS_ROOT)].filter((d): d is string => d !== undefined);
  if (dirs.length === 0) throw new Error(`no recorded run in ${RECORDS_ROOT}: run \`npm test\` first, or pass --dir`);
  for (const dir of dirs) if (!existsSync(dir)) throw new Error(`no such folder: ${dir}`);
  const uses = grantUses(dirs.flatMap((dir) => readUsage(dir)));
  const unused = uses.filter((u) => u.calls === 0 && u.unobservedLocally === undefined);
  output(!!flags.json, { dirs, grants: uses }, () => {
    console.log(`IAM grants exercised by the runs recorded in ${dirs.join(', ')}\n`);
    console.log(formatGrantUses(uses));
  });
  if (unused.length > 0) process.exitCode = 1;
}

export function iamCommand(): Command {
  const iam = new Command('iam').description('the IAM contract (shared/iam) as the local fronts saw it used');
  iam
    .command('report')
    .description('list, per role, every granted action the recorded test and fault runs never exercised')
    .option('--dir <folder...>', 'record folders to read (default: the newest under .local/iam-records)')
    .option('--json', 'print every grant with its calls as JSON')
    .action((flags: ReportFlags) => report(flags));
  return iam;
}
