import type { AwsClients } from '../../shared/aws/clients.js';
import type { Logger } from '../../shared/logger.js';
import type { WorkerEnv } from '../../shared/worker-env.js';
import { BatchJob } from './batch-job.js';

/** The batch job wired from the role's environment: one place for the role and `insights batch`. */
export function createBatchJob(env: WorkerEnv<'batch'>, aws: Pick<AwsClients, 's3' | 'dynamodb'>, logger?: Logger): BatchJob {
  return new BatchJob({
    s3: aws.s3,
    dynamodb: aws.dynamodb,
    rawArchiveBucket: env.RAW_ARCHIVE_BUCKET,
    analyticsBucket: env.ANALYTICS_BUCKET,
    batchStateTable: env.BATCH_STATE_TABLE_NAME,
    rejectsTable: env.REJECTS_TABLE_NAME,
    viewTable: env.VIEW_TABLE_NAME,
    ...(logger === undefined ? {} : { logger }),
  });
}
