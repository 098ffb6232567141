import { Command } from 'commander';
import { readState, roleCredentialVariables } from '../../local/env/index.js';
import type { ContractRoleName } from '../../shared/iam/grants.js';
import { createAwsClients } from '../../shared/aws/clients.js';
import { parseWorkerEnv } from '../../shared/worker-env.js';
import { createBatchJob } from '../../workers/batch/create.js';
import type { BatchSummary } from '../../workers/batch/batch-job.js';
import { Progress, output } from '../progress.js';

/**
 * The environment the analytics commands run against: the variables exported in this shell when
 * they name the archive (a deployed stack), else the environment `insights local env up --keep`
 * left running. Never a mix, so local endpoints are never paired with real credentials. Locally the
 * command signs as `role` (its fronts enforce that role's grants), or as the operator without one.
 */
export function analyticsEnv(processEnv: NodeJS.ProcessEnv = process.env, role?: ContractRoleName): NodeJS.ProcessEnv {
  if (processEnv['RAW_ARCHIVE_BUCKET'] !== undefined || processEnv['ANALYTICS_BUCKET'] !== undefined) return processEnv;
  const state = readState();
  if (state === undefined) {
    throw new Error('no environment: export the stack variables (RAW_ARCHIVE_BUCKET, ANALYTICS_BUCKET, ...) or start one with `insights local env up --keep`');
  }
  return { ...processEnv, ...state.env, ...state.workerEnv, ...(role === undefined ? {} : roleCredentialVariables(state.stack, role)) };
}

const number = (n: number): string => n.toLocaleString('en-US');

function printSummary(summary: BatchSummary): void {
  console.log(`objects      ${number(summary.objects)}${summary.quarantined > 0 ? ` (${number(summary.quarantined)} quarantined)` : ''}`);
  console.log(`rows in      ${number(summary.rowsIn)}`);
  console.log(`rejected     ${number(summary.rejected)}`);
  console.log(`duplicates   ${number(summary.duplicates)}`);
  console.log(`rows added   ${number(summary.rowsAdded)}`);
  console.log(`rows out     ${number(summary.rowsOut)} (in the ${number(summary.partitions.length)} partition(s) written)`);
  console.log(`seconds      ${summary.seconds}${summary.rowsIn > 0 && summary.seconds > 0 ? ` (${number(Math.round(summary.rowsIn / summary.seconds))} rows/s)` : ''}`);
}

async function runBatch(flags: { json?: boolean }): Promise<void> {
  const json = flags.json === true;
  const progress = new Progress(!json);
  const processEnv = analyticsEnv(process.env, 'batch');
  const env = parseWorkerEnv('batch', processEnv);
  const aws = createAwsClients({ env: processEnv });
  try {
    const job = createBatchJob(env, aws);
    progress.step(`archive s3://${env.RAW_ARCHIVE_BUCKET} → s3://${env.ANALYTICS_BUCKET}/enriched/`);
    const summary = await job.run({
      onProgress: (p) => {
        if (p.phase === 'listing') progress.status('listing the archive');
        else progress.status(`${p.phase}: objects ${number(p.objectsDone)}/${number(p.objectsTotal)}  rows ${number(p.rowsIn)}  rejected ${number(p.rejected)}  partitions ${number(p.partitions)}`);
      },
    });
    progress.done();
    output(json, { ...summary, partitions: summary.partitions.length, partitionKeys: summary.partitions }, () => printSummary(summary));
  } finally {
    aws.destroy();
  }
}

/** `insights batch [--json]`: one run of the batch job over the raw archive. */
export function batchCommand(): Command {
  return new Command('batch')
    .description('turn raw archive objects not yet processed into enriched, Hive-partitioned Parquet (DuckDB)')
    .option('--json', 'print the summary as JSON: objects, rowsIn, rowsOut, rejected, partitions, seconds')
    .action((flags: { json?: boolean }) => runBatch(flags));
}
