import { Agent, request as httpRequest } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import { withAccessKeyId } from './sigv4.js';
import type { FrontCall, FrontHandler, FrontResponse, FrontServiceName } from './types.js';

/** s3rver knows only this key id; it checks that a V4 request names it (it verifies no V4 signature). */
const S3RVER_ACCESS_KEY_ID = 'S3RVER';
/**
 * DynamoDB Local (2.0 and later) refuses key ids with anything but letters and digits, and local
 * ids carry the stack and role (`LOCAL_<stack>_<role>`); with -sharedDb the key selects nothing.
 */
const DYNAMODB_LOCAL_ACCESS_KEY_ID = 'LOCALFRONT';
/** The key id each emulator is sent instead of the caller's (whose identity the front has checked by then). */
const UPSTREAM_ACCESS_KEY_ID: Readonly<Partial<Record<FrontServiceName, string>>> = { s3: S3RVER_ACCESS_KEY_ID, dynamodb: DYNAMODB_LOCAL_ACCESS_KEY_ID };

/** Connection-level headers are the front's own business on each side. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

export interface ForwarderOptions {
  readonly service: FrontServiceName;
  /** The emulator: `http://127.0.0.1:port`. */
  readonly upstream: string;
  /** Sockets kept open to the emulator. @default 256 */
  readonly maxSockets?: number;
}

function requestHeaders(call: FrontCall, service: FrontServiceName, upstream: URL): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(call.http.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  headers['host'] = upstream.host;
  headers['content-length'] = String(call.body.length);
  const authorization = headers['authorization'];
  const upstreamKey = UPSTREAM_ACCESS_KEY_ID[service];
  if (upstreamKey !== undefined && typeof authorization === 'string') headers['authorization'] = withAccessKeyId(authorization, upstreamKey);
  return headers;
}

/** The request's path and query as the client sent them; a presigned S3 URL names s3rver's key id instead. */
function requestPath(call: FrontCall, service: FrontServiceName): string {
  if (service !== 's3' || !call.http.query.has('X-Amz-Credential')) return call.http.url;
  return call.http.url.replace(/([?&]X-Amz-Credential=)[^&%]+(%2F|\/)/i, `$1${S3RVER_ACCESS_KEY_ID}$2`);
}

/**
 * The end of every chain: sends the call to its emulator over kept-alive connections and hands
 * back the whole answer. Requests name the key id the emulator accepts instead of the caller's
 * (see `UPSTREAM_ACCESS_KEY_ID`); kinesalite accepts any.
 */
export function createForwarder(options: ForwarderOptions): { handler: FrontHandler; close(): void } {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 });
  const handler: FrontHandler = (call) =>
    new Promise<FrontResponse>((resolve, reject) => {
      const outgoing = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: call.http.method, path: requestPath(call, options.service), headers: requestHeaders(call, options.service, upstream), agent },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('error', reject);
          answer.on('end', () => {
            const headers: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && (!HOP_BY_HOP.has(name) || (name === 'content-length' && call.http.method === 'HEAD'))) headers[name] = value;
            resolve({ status: answer.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(call.body);
    });
  return { handler, close: () => agent.destroy() };
}
