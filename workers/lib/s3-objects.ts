import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

/** One listed object. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
}

/** Every object under a prefix, in key order, page by page (ListObjectsV2, 1,000 a page). */
export async function* listObjects(s3: S3Client, bucket: string, prefix: string, startAfter?: string): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}) }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) yield { key: object.Key, size: object.Size ?? 0, etag: object.ETag };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

export async function listAll(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  for await (const object of listObjects(s3, bucket, prefix)) out.push(object);
  return out;
}

/** An object's bytes. */
export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (response.Body === undefined) return new Uint8Array(0);
  return response.Body.transformToByteArray();
}

export async function putBytes(s3: S3Client, bucket: string, key: string, body: Uint8Array | string, contentType: string, contentEncoding?: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ...(contentEncoding === undefined ? {} : { ContentEncoding: contentEncoding }) }));
}

export async function deleteKey(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}
