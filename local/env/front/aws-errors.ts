import { randomUUID } from 'node:crypto';
import type { FrontCall, FrontResponse } from './types.js';

/** How each protocol spells an error type in `__type` (DynamoDB prefixes coral's namespace). */
const JSON_PROTOCOL = {
  kinesis: { contentType: 'application/x-amz-json-1.1', typePrefix: '', messageField: 'message' },
  dynamodb: { contentType: 'application/x-amz-json-1.0', typePrefix: 'com.amazon.coral.service#', messageField: 'Message' },
} as const;

/**
 * An error as the JSON protocols answer it: HTTP status, `x-amzn-ErrorType`, and a body with
 * `__type` and the message, which the SDK turns into an error of that name.
 *
 * @example
 * jsonError('kinesis', 400, 'ProvisionedThroughputExceededException', 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.');
 */
export function jsonError(service: 'kinesis' | 'dynamodb', status: number, type: string, message: string): FrontResponse {
  const protocol = JSON_PROTOCOL[service];
  const body = Buffer.from(JSON.stringify({ __type: `${protocol.typePrefix}${type}`, [protocol.messageField]: message }));
  return {
    status,
    headers: { 'content-type': protocol.contentType, 'x-amzn-errortype': `${type}:`, 'x-amzn-requestid': randomUUID(), 'content-length': String(body.length) },
    body,
  };
}

function xmlEscape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An error as S3 answers it: an XML `<Error>` body (none for HEAD), with a request id. */
export function s3Error(call: Pick<FrontCall, 'http'>, status: number, code: string, message: string, extra: Record<string, string> = {}): FrontResponse {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const fields = Object.entries({ Code: code, Message: message, ...extra, RequestId: requestId, HostId: requestId })
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  const body = call.http.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`);
  return { status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'content-length': String(body.length) }, body };
}
