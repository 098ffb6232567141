import { policyDocument } from './iam.js';
import type { PolicyDocument } from './iam.js';

/**
 * The project key's policy. The account may administer the key, but data operations pass only
 * through the services that store this project's data (`kms:ViaService`), and only two service
 * principals act on their own: CloudWatch Logs (encrypted log groups) and CloudWatch alarms
 * (publishing to the encrypted alarm topic). No statement uses `kms:*`.
 */

/** Services that encrypt this project's data with the key on a caller's behalf. */
export const KEY_SERVICES = ['kinesis', 'firehose', 's3', 'dynamodb', 'elasticache', 'secretsmanager', 'sns', 'sqs'] as const;

/** Key management for the account's administrators; no encrypt or decrypt here. */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

export const KEY_USE_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
] as const;

export interface KeyPolicyArgs {
  readonly accountId: string;
  readonly region: string;
  /** `aws` in the commercial partition. */
  readonly partition: string;
}

export function keyPolicy(args: KeyPolicyArgs): PolicyDocument {
  const root = `arn:${args.partition}:iam::${args.accountId}:root`;
  const viaServices = KEY_SERVICES.map((service) => `${service}.${args.region}.amazonaws.com`);
  return policyDocument([
    { Sid: 'AdministerKey', Effect: 'Allow', Principal: { AWS: root }, Action: [...KEY_ADMIN_ACTIONS], Resource: '*' },
    {
      Sid: 'UseThroughProjectServices',
      Effect: 'Allow',
      Principal: { AWS: root },
      Action: [...KEY_USE_ACTIONS],
      Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': args.accountId, 'kms:ViaService': viaServices } },
    },
    {
      // DynamoDB and ElastiCache hold grants on the key for as long as a table or cluster exists.
      Sid: 'GrantsForProjectServices',
      Effect: 'Allow',
      Principal: { AWS: root },
      Action: ['kms:CreateGrant'],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:CallerAccount': args.accountId, 'kms:ViaService': viaServices },
        Bool: { 'kms:GrantIsForAWSResource': true },
      },
    },
    {
      Sid: 'CloudWatchLogs',
      Effect: 'Allow',
      Principal: { Service: `logs.${args.region}.amazonaws.com` },
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${args.partition}:logs:${args.region}:${args.accountId}:log-group:*` } },
    },
    {
      Sid: 'AlarmsToEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': args.accountId } },
    },
  ]);
}
