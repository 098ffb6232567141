import type { IncomingHttpHeaders } from 'node:http';

/** The credential scope of a SigV4 request: `AKID/20260101/us-east-1/kinesis/aws4_request`. */
export interface SigV4Credential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

const HEADER_CREDENTIAL = /Credential=([^,\s]+)/;

function parseScope(scope: string): SigV4Credential | undefined {
  const [accessKeyId, date, region, service] = scope.split('/');
  if (accessKeyId === undefined || accessKeyId === '' || date === undefined || region === undefined || service === undefined) return undefined;
  return { accessKeyId, date, region, service };
}

/**
 * The credential a request is signed with: the `Authorization` header
 * (`AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=..., Signature=...`) or, for a
 * presigned URL, the `X-Amz-Credential` query parameter. Undefined when the request is unsigned.
 */
export function sigV4Credential(headers: IncomingHttpHeaders, query: URLSearchParams): SigV4Credential | undefined {
  const authorization = headers['authorization'];
  if (typeof authorization === 'string' && authorization.startsWith('AWS4-HMAC-SHA256')) {
    const match = HEADER_CREDENTIAL.exec(authorization);
    return match?.[1] === undefined ? undefined : parseScope(match[1]);
  }
  const presigned = query.get('X-Amz-Credential');
  return presigned === null ? undefined : parseScope(presigned);
}

/** The same request signed for another access key id (the emulator's own), everything else unchanged. */
export function withAccessKeyId(authorization: string, accessKeyId: string): string {
  return authorization.replace(/Credential=[^/,\s]+\//, `Credential=${accessKeyId}/`);
}
