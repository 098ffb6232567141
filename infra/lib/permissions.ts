import { secretVariables } from '../../shared/worker-env.js';
import type { WorkerRoleName, WorkerVariable } from '../../shared/worker-env.js';
import { renderRoleStatements } from '../../shared/iam/render.js';
import type { StackArns } from '../../shared/iam/resources.js';
import { allow } from './iam.js';
import type { Statement } from './iam.js';
import { ComponentArgsError } from '../errors.js';

/**
 * What each role may do, as plain functions of resource ARNs. The task roles and the Firehose role
 * are renderings of the IAM contract (`shared/iam/`), the one place grants are written and the one
 * the local front enforces; the execution roles (image pull, logs, its own secrets) and EventBridge
 * Scheduler's role act only in AWS and are written here.
 */

export const IMAGE_PULL = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] as const;
export const LOG_WRITE = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

/** The ARNs a role's permissions name (every catalog resource of the stack). */
export type PipelineArns = StackArns;

/** The task role's statements of one worker role: the contract's grants with this stack's ARNs. */
export function taskRoleStatements(role: WorkerRoleName, arns: PipelineArns): Statement[] {
  return renderRoleStatements(role, arns);
}

/** Secrets Manager ARNs per secret variable; a role gets only the ones it reads. */
export type SecretArns = Readonly<Partial<Record<WorkerVariable, string>>>;

export interface ExecutionArns {
  readonly keyArn: string;
  readonly repositoryArn: string;
  /** The role's own log group ARN (without a trailing `:*`). */
  readonly logGroupArn: string;
  readonly secrets: SecretArns;
}

/** The secrets a role's container receives, with their ARNs; throws if one has no ARN. */
export function roleSecretArns(role: WorkerRoleName, secrets: SecretArns): string[] {
  return secretVariables(role).map((variable) => {
    const arn = secrets[variable];
    if (arn === undefined) throw new ComponentArgsError('permissions', `no Secrets Manager ARN for ${variable}, which the ${role} role reads`);
    return arn;
  });
}

/** The execution role ECS uses to start a role's task: pull the image, write logs, read its secrets. */
export function executionRoleStatements(role: WorkerRoleName, arns: ExecutionArns): Statement[] {
  const secrets = roleSecretArns(role, arns.secrets);
  return [
    allow(['ecr:GetAuthorizationToken'], '*', undefined, 'RegistryLogin'),
    allow(IMAGE_PULL, arns.repositoryArn, undefined, 'PullImage'),
    allow(LOG_WRITE, `${arns.logGroupArn}:log-stream:*`, undefined, 'WriteLogs'),
    ...(secrets.length === 0
      ? []
      : [
          allow(['secretsmanager:GetSecretValue'], secrets, undefined, 'ReadOwnSecrets'),
          allow(['kms:Decrypt'], arns.keyArn, { StringEquals: { 'kms:ViaService': `secretsmanager.${regionOf(arns.keyArn)}.amazonaws.com` } }, 'DecryptSecrets'),
        ]),
  ];
}

/** Firehose reads both lanes' raw streams and writes the archive; it decrypts the streams with the key (the contract's Firehose role). */
export function firehoseStatements(arns: { keyArn: string; rawStreamArns: { readonly raw: string; readonly rawHistory: string }; bucketArn: string; logStreamArn: string }): Statement[] {
  regionOf(arns.keyArn);
  return renderRoleStatements('firehose', {
    keyArn: arns.keyArn,
    streams: { raw: arns.rawStreamArns.raw, rawHistory: arns.rawStreamArns.rawHistory },
    tables: {},
    buckets: { rawArchive: arns.bucketArn },
    metricsNamespace: '',
    firehoseLogStreamArn: arns.logStreamArn,
  });
}

export interface SchedulerArns {
  readonly taskDefinitionFamilyArn: string;
  readonly clusterArn: string;
  readonly passRoleArns: readonly string[];
  /** The schedule's dead-letter queue, encrypted with `keyArn`; none when the schedule has none. */
  readonly deadLetter?: { readonly queueArn: string; readonly keyArn: string };
}

/**
 * EventBridge Scheduler runs the batch task on the cluster and passes it its two roles; a run it
 * could not start goes to the dead-letter queue, which SQS encrypts with the project key on the
 * sender's behalf (GenerateDataKey and Decrypt, through SQS only).
 */
export function schedulerStatements(arns: SchedulerArns): Statement[] {
  const deadLetter = arns.deadLetter;
  return [
    allow(['ecs:RunTask'], `${arns.taskDefinitionFamilyArn}:*`, { ArnEquals: { 'ecs:cluster': arns.clusterArn } }, 'RunBatch'),
    allow(['iam:PassRole'], arns.passRoleArns, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }, 'PassBatchRoles'),
    ...(deadLetter === undefined
      ? []
      : [
          allow(['sqs:SendMessage'], deadLetter.queueArn, undefined, 'DeadLetters'),
          allow(['kms:GenerateDataKey', 'kms:Decrypt'], deadLetter.keyArn, { StringEquals: { 'kms:ViaService': `sqs.${regionOf(deadLetter.keyArn)}.amazonaws.com` } }, 'EncryptDeadLetters'),
        ]),
  ];
}

/** `arn:aws:kms:eu-west-1:123:key/x` -> `eu-west-1`. */
export function regionOf(arn: string): string {
  const region = arn.split(':')[3];
  if (region === undefined || region === '') throw new ComponentArgsError('permissions', `'${arn}' is not a regional ARN`);
  return region;
}
