import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { isAccessDenied } from './access-denied.js';
import { reuseHandlersPerSignal } from './handler-cache.js';
import { widenConnectionWindow } from './http2-window.js';
import { JsonHttpHandler } from './json-http-handler.js';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

// The SDK warns on every Node 20 process that future releases need Node 22; it is noise in worker
// logs and test output, and the engines field already says what we support.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/**
 * Where an AWS service is reached. By default the SDK's own resolution applies: the standard
 * variables `AWS_ENDPOINT_URL_<SERVICE>` then `AWS_ENDPOINT_URL`, else the real AWS endpoint; so
 * the same worker runs against AWS, LocalStack or the embedded emulators with no code change.
 */
export interface ClientOptions {
  /** @default the SDK's chain (AWS_REGION, profile); `us-east-1` when an endpoint is set and none is found */
  readonly region?: string;
  /** Overrides the environment's endpoint, for tests and the local CLI. */
  readonly endpoint?: string;
  /** Sockets kept per client. @default 64 */
  readonly maxSockets?: number;
  /** Retries the SDK makes before a call fails. @default the SDK's (3) */
  readonly maxAttempts?: number;
  /** Fixed credentials (the emulators' key pair); @default the SDK's provider chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Called with every error AWS answers because the caller may not make the call (see
   * `isAccessDenied`), before the caller sees it: a worker stops on it instead of retrying.
   */
  readonly onAccessDenied?: (error: Error) => void;
}

type Service = 'KINESIS' | 'DYNAMODB' | 'S3';

/** The endpoint a service will use, per the SDK's documented variable order, or undefined for AWS. */
export function resolveEndpoint(service: Service, options: ClientOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  return options.endpoint ?? env[`AWS_ENDPOINT_URL_${service}`] ?? env['AWS_ENDPOINT_URL'] ?? undefined;
}

/**
 * Explicit credentials, else the key pair of an `env` the caller passed (the SDK's own chain reads
 * only `process.env`, so a CLI pointed at a kept local environment would find none), else the
 * SDK's provider chain.
 */
function credentialsFrom(options: ClientOptions): { credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } {
  if (options.credentials !== undefined) return { credentials: { ...options.credentials } };
  const env = options.env;
  if (env === undefined || env === process.env) return {};
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) return {};
  const sessionToken = env['AWS_SESSION_TOKEN'];
  return { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
}

/** `handler` replaces the protocol's default one (SubscribeToShard needs HTTP/2). */
function common(service: Service, options: ClientOptions, handler?: NodeHttp2Handler) {
  const env = options.env ?? process.env;
  const endpoint = resolveEndpoint(service, options);
  const region = options.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? (endpoint ? 'us-east-1' : undefined);
  const maxSockets = options.maxSockets ?? 64;
  // HTTP/1.1 with keep-alive: every call we make but SubscribeToShard (see
  // `createKinesisFanOutClient`) works over it, on AWS and on the emulators. The JSON services get the leaner handler
  // (whole documents both ways); S3 streams objects, so it keeps the SDK's own.
  const timeouts = { connectionTimeout: 5_000, requestTimeout: 30_000 };
  const requestHandler =
    handler ??
    (service === 'S3'
      ? new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true, maxSockets }), httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }), ...timeouts })
      : new JsonHttpHandler({ maxSockets, ...timeouts }));
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...credentialsFrom(options),
    requestHandler,
    // The middleware stack is resolved once per command class instead of on every call (a tenth of
    // a small call's CPU); nothing here changes the stack after the first call (documented caveat),
    // and lib-dynamodb's document client, which cannot share a cached stack, is not used on these.
    cacheMiddleware: true,
  };
}

type MiddlewareClient = { middlewareStack: { add: (middleware: never, options: { step: 'initialize'; name: string }) => void } };

/** Reports access-denied answers to `options.onAccessDenied` (after the SDK's retries, which skip them anyway). */
function watchAccessDenied<C>(client: C, options: ClientOptions): C {
  const report = options.onAccessDenied;
  if (report === undefined) return client;
  const middleware = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    try {
      return await next(args);
    } catch (error) {
      if (isAccessDenied(error)) report(error as Error);
      throw error;
    }
  };
  (client as unknown as MiddlewareClient).middlewareStack.add(middleware as never, { step: 'initialize', name: 'reportAccessDenied' });
  return client;
}

export function createKinesisClient(options: ClientOptions = {}, overrides: KinesisClientConfig = {}): KinesisClient {
  return reuseHandlersPerSignal(watchAccessDenied(new KinesisClient({ ...common('KINESIS', options), ...overrides }), options));
}

/** A subscription's HTTP/2 receive windows, its stream's and its session's: a second of a consumer's 2 MiB/s per shard. */
export const FAN_OUT_WINDOW_BYTES = 2 * 1024 * 1024;

/**
 * The client for SubscribeToShard (enhanced fan-out), which AWS serves over HTTP/2 only: one
 * session per endpoint, a stream per subscription, and no request timeout, because a subscription
 * answers for up to five minutes. The local Kinesis front speaks HTTP/2 on the same endpoint.
 */
export function createKinesisFanOutClient(options: ClientOptions = {}, overrides: KinesisClientConfig = {}): KinesisClient {
  // HTTP/2's default windows are 64 KiB: the sender then waits a round trip for the busy reader's
  // WINDOW_UPDATE, which capped a subscription below a shard's 1 MiB/s of writes. A shard pushes at
  // most 2 MiB/s to a consumer: windows of that let a second of pushes be in flight. The stream's
  // is a setting; the session's only a WINDOW_UPDATE opens (see `widenConnectionWindow`).
  const handler = widenConnectionWindow(
    new NodeHttp2Handler({ disableConcurrentStreams: false, nodeHttp2ConnectOptions: { settings: { initialWindowSize: FAN_OUT_WINDOW_BYTES } } }),
    FAN_OUT_WINDOW_BYTES,
  );
  return watchAccessDenied(new KinesisClient({ ...common('KINESIS', options, handler), ...overrides }), options);
}

export function createDynamoDbClient(options: ClientOptions = {}, overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return reuseHandlersPerSignal(watchAccessDenied(new DynamoDBClient({ ...common('DYNAMODB', options), ...overrides }), options));
}

export function createS3Client(options: ClientOptions = {}, overrides: S3ClientConfig = {}): S3Client {
  const base = common('S3', options);
  // Emulators (s3rver, LocalStack) serve buckets by path, not by virtual host name.
  return reuseHandlersPerSignal(watchAccessDenied(new S3Client({ ...base, forcePathStyle: base.endpoint !== undefined, ...overrides }), options));
}

/** The clients a worker uses, built once at start-up and handed to the code that needs them. */
export interface AwsClients {
  readonly kinesis: KinesisClient;
  /** HTTP/2, for SubscribeToShard only (enhanced fan-out); it opens no connection until a subscription. */
  readonly kinesisFanOut: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

/** Builds any client not injected; tests pass their own (or a mock) for any of them. */
export function createAwsClients(options: ClientOptions = {}, injected: Partial<AwsClients> = {}): AwsClients & { destroy(): void } {
  const kinesis = injected.kinesis ?? createKinesisClient(options);
  const kinesisFanOut = injected.kinesisFanOut ?? createKinesisFanOutClient(options);
  const dynamodb = injected.dynamodb ?? createDynamoDbClient(options);
  const s3 = injected.s3 ?? createS3Client(options);
  let destroyed = false;
  return {
    kinesis,
    kinesisFanOut,
    dynamodb,
    s3,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      // Only what we built is ours to close; injected clients belong to the caller.
      if (!injected.kinesis) kinesis.destroy();
      if (!injected.kinesisFanOut) kinesisFanOut.destroy();
      if (!injected.dynamodb) dynamodb.destroy();
      if (!injected.s3) s3.destroy();
    },
  };
}
