import { arnOf } from '../../../../shared/iam/arns.js';
import { LOCAL_SCOPE } from '../identities.js';
import type { FrontHttpRequest } from '../types.js';
import type { ParsedCall } from './parsed-call.js';

type Level = 'bucket' | 'object';
/** [operation, IAM action] for a method on a bucket or object with one of these subresources. */
type Route = readonly [operation: string, action: string];

// The subresources this table knows, each with the operation and the IAM action AWS checks
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
const SUBRESOURCE_ROUTES: Readonly<Record<Level, Readonly<Record<string, Readonly<Record<string, Route>>>>>> = {
  bucket: {
    GET: {
      location: ['GetBucketLocation', 's3:GetBucketLocation'],
      uploads: ['ListMultipartUploads', 's3:ListBucketMultipartUploads'],
      versions: ['ListObjectVersions', 's3:ListBucketVersions'],
      acl: ['GetBucketAcl', 's3:GetBucketAcl'],
      policy: ['GetBucketPolicy', 's3:GetBucketPolicy'],
      cors: ['GetBucketCors', 's3:GetBucketCORS'],
      versioning: ['GetBucketVersioning', 's3:GetBucketVersioning'],
      tagging: ['GetBucketTagging', 's3:GetBucketTagging'],
      lifecycle: ['GetBucketLifecycleConfiguration', 's3:GetLifecycleConfiguration'],
      website: ['GetBucketWebsite', 's3:GetBucketWebsite'],
      encryption: ['GetBucketEncryption', 's3:GetEncryptionConfiguration'],
      notification: ['GetBucketNotificationConfiguration', 's3:GetBucketNotification'],
    },
    PUT: {
      acl: ['PutBucketAcl', 's3:PutBucketAcl'],
      policy: ['PutBucketPolicy', 's3:PutBucketPolicy'],
      cors: ['PutBucketCors', 's3:PutBucketCORS'],
      versioning: ['PutBucketVersioning', 's3:PutBucketVersioning'],
      tagging: ['PutBucketTagging', 's3:PutBucketTagging'],
      lifecycle: ['PutBucketLifecycleConfiguration', 's3:PutLifecycleConfiguration'],
      website: ['PutBucketWebsite', 's3:PutBucketWebsite'],
      encryption: ['PutBucketEncryption', 's3:PutEncryptionConfiguration'],
      notification: ['PutBucketNotificationConfiguration', 's3:PutBucketNotification'],
    },
    DELETE: {
      policy: ['DeleteBucketPolicy', 's3:DeleteBucketPolicy'],
      cors: ['DeleteBucketCors', 's3:PutBucketCORS'],
      tagging: ['DeleteBucketTagging', 's3:PutBucketTagging'],
      lifecycle: ['DeleteBucketLifecycle', 's3:PutLifecycleConfiguration'],
      website: ['DeleteBucketWebsite', 's3:DeleteBucketWebsite'],
      encryption: ['DeleteBucketEncryption', 's3:PutEncryptionConfiguration'],
    },
    POST: { delete: ['DeleteObjects', 's3:DeleteObject'] },
  },
  object: {
    GET: { uploadId: ['ListParts', 's3:ListMultipartUploadParts'], acl: ['GetObjectAcl', 's3:GetObjectAcl'], tagging: ['GetObjectTagging', 's3:GetObjectTagging'] },
    PUT: { uploadId: ['UploadPart', 's3:PutObject'], acl: ['PutObjectAcl', 's3:PutObjectAcl'], tagging: ['PutObjectTagging', 's3:PutObjectTagging'] },
    DELETE: { uploadId: ['AbortMultipartUpload', 's3:AbortMultipartUpload'], tagging: ['DeleteObjectTagging', 's3:DeleteObjectTagging'] },
    POST: { uploads: ['CreateMultipartUpload', 's3:PutObject'], uploadId: ['CompleteMultipartUpload', 's3:PutObject'], restore: ['RestoreObject', 's3:RestoreObject'], select: ['SelectObjectContent', 's3:GetObject'] },
  },
};

/** What a method means on a bucket or object with no subresource. */
const PLAIN_ROUTES: Readonly<Record<Level, Readonly<Record<string, Route>>>> = {
  bucket: { PUT: ['CreateBucket', 's3:CreateBucket'], HEAD: ['HeadBucket', 's3:ListBucket'], DELETE: ['DeleteBucket', 's3:DeleteBucket'], GET: ['ListObjects', 's3:ListBucket'] },
  object: { GET: ['GetObject', 's3:GetObject'], HEAD: ['HeadObject', 's3:GetObject'], PUT: ['PutObject', 's3:PutObject'], DELETE: ['DeleteObject', 's3:DeleteObject'] },
};

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** `/bucket/a%20b/c` -> bucket, key `a b/c` (path-style only: the emulators serve nothing else). */
function bucketAndKey(path: string): { bucket: string | undefined; key: string | undefined } {
  const trimmed = path.replace(/^\/+/, '');
  if (trimmed === '') return { bucket: undefined, key: undefined };
  const slash = trimmed.indexOf('/');
  if (slash === -1) return { bucket: decode(trimmed), key: undefined };
  const key = trimmed.slice(slash + 1);
  return { bucket: decode(trimmed.slice(0, slash)), key: key === '' ? undefined : key.split('/').map(decode).join('/') };
}

/** `x-amz-copy-source: /bucket/key?versionId=1` -> the source object's ARN. */
function copySourceArn(header: string): string {
  const [path = ''] = header.split('?');
  const { bucket, key } = bucketAndKey(path.startsWith('/') ? path : `/${path}`);
  return arnOf.object(LOCAL_SCOPE, bucket ?? '', key ?? '');
}

/** The keys a DeleteObjects body names (`<Object><Key>k</Key></Object>`), XML entities decoded. */
function deletedKeys(body: Buffer): string[] {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return [...body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => (m[1] ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => entities[e] ?? ''));
}

/** The condition keys of a listing: what `s3:prefix`, `s3:delimiter` and `s3:max-keys` conditions test. */
function listingContext(query: URLSearchParams): Record<string, string> {
  const context: Record<string, string> = {};
  for (const [param, key] of [['prefix', 's3:prefix'], ['delimiter', 's3:delimiter'], ['max-keys', 's3:max-keys']] as const) {
    const value = query.get(param);
    if (value !== null && value !== '') context[key] = value;
  }
  return context;
}

/**
 * S3 (REST, path-style): the operation from the method, the path and the subresource in the query,
 * and what IAM checks: `s3:ListBucket` on the bucket for a listing (with `s3:prefix`),
 * `s3:GetObject` on `arn:aws:s3:::bucket/key` for a read, both objects of a copy, every key of a
 * DeleteObjects.
 */
export class S3Calls {
  public parse(http: FrontHttpRequest, body: Buffer): ParsedCall {
    const json = () => undefined;
    const { bucket, key } = bucketAndKey(http.path);
    if (bucket === undefined) return { operation: 'ListBuckets', action: 's3:ListAllMyBuckets', access: [{ action: 's3:ListAllMyBuckets', resource: '*' }], json };

    const level: Level = key === undefined ? 'bucket' : 'object';
    const routes = SUBRESOURCE_ROUTES[level][http.method] ?? {};
    const subresource = Object.keys(routes).find((name) => http.query.has(name));
    const [routed, action] = (subresource === undefined ? undefined : routes[subresource]) ?? PLAIN_ROUTES[level][http.method] ?? [`${http.method}${level === 'bucket' ? 'Bucket' : 'Object'}`, 's3:Unknown'];
    let operation = routed;
    const bucketArn = arnOf.bucket(LOCAL_SCOPE, bucket);
    const objectArn = key === undefined ? undefined : arnOf.object(LOCAL_SCOPE, bucket, key);

    if (operation === 'ListObjects' && http.query.get('list-type') === '2') operation = 'ListObjectsV2';
    if (operation === 'ListObjects' || operation === 'ListObjectsV2') return { operation, action, access: [{ action, resource: bucketArn, context: listingContext(http.query) }], json };
    if (operation === 'DeleteObjects') return { operation, action, access: deletedKeys(body).map((k) => ({ action, resource: arnOf.object(LOCAL_SCOPE, bucket, k) })), json };

    const copySource = http.headers['x-amz-copy-source'];
    if (typeof copySource === 'string' && (operation === 'PutObject' || operation === 'UploadPart')) {
      operation = operation === 'PutObject' ? 'CopyObject' : 'UploadPartCopy';
      return { operation, action, access: [{ action, resource: objectArn ?? bucketArn }, { action: 's3:GetObject', resource: copySourceArn(copySource) }], json };
    }
    return { operation, action, access: [{ action, resource: objectArn ?? bucketArn }], json };
  }
}
