import type { IncomingHttpHeaders } from 'node:http';
import type { ContractRoleName } from '../../../shared/iam/grants.js';

/**
 * The front's vocabulary (agreement 2 in TEAM.md): every call a client makes to an emulator
 * becomes a typed `FrontCall`; behaviour is a chain of middlewares, each `wrap(next)`, ending in
 * the forwarder to the emulator. IAM is first, the limit guards follow, and every middleware may
 * answer itself, change the call, or look at the answer.
 */

export const FrontService = { Kinesis: 'kinesis', DynamoDb: 'dynamodb', S3: 's3' } as const;
export type FrontServiceName = (typeof FrontService)[keyof typeof FrontService];

/** Who is calling, resolved from the SigV4 access key. */
export type Principal =
  | {
      readonly kind: 'role';
      readonly accessKeyId: string;
      /** `arn:aws:sts::000000000000:assumed-role/realtime-insights-<stack>-<role>/<role>` */
      readonly arn: string;
      readonly stack: string;
      readonly role: ContractRoleName;
    }
  | { readonly kind: 'operator'; readonly accessKeyId: string; readonly arn: string }
  /** An access key no local identity has (the emulators' own pair, a developer's AWS key). */
  | { readonly kind: 'unknown'; readonly accessKeyId: string; readonly arn: undefined }
  /** No SigV4 credential at all. */
  | { readonly kind: 'anonymous'; readonly accessKeyId: undefined; readonly arn: undefined };

/** One (action, resource) pair IAM must allow for the call to proceed, with the request's condition keys. */
export interface AccessRequest {
  /** `dynamodb:PutItem` */
  readonly action: string;
  /** `arn:aws:dynamodb:us-east-1:000000000000:table/name` */
  readonly resource: string;
  /** Condition keys of the request (`s3:prefix`), as IAM sees them. */
  readonly context?: Readonly<Record<string, string>>;
}

/** The HTTP request as the client sent it. */
export interface FrontHttpRequest {
  readonly method: string;
  /** Path and query exactly as received. */
  readonly url: string;
  /** Path without the query string, still percent-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

/** A Kinesis call's target: the stream, and the shard where the call names one (GetRecords by its iterator). */
export interface KinesisTarget {
  readonly streamName: string | undefined;
  readonly shardId: string | undefined;
}

export interface FrontCall {
  /** Increasing per front process; ties log lines and records together. */
  readonly id: number;
  readonly service: FrontServiceName;
  /** The API operation: `PutRecords`, `TransactWriteItems`, `GetObject`. */
  readonly operation: string;
  /**
   * The call's own IAM action (`kinesis:PutRecords`). Operations AWS authorises item by item
   * (`TransactWriteItems`) still carry `dynamodb:<Operation>` here; `access` holds what IAM checks.
   */
  readonly action: string;
  readonly principal: Principal;
  /** Every resource ARN the call touches (each table of a batch call, the object of an S3 call). */
  readonly resources: readonly string[];
  /** What IAM authorises: every (action, resource) pair the call needs. */
  readonly access: readonly AccessRequest[];
  readonly http: FrontHttpRequest;
  /** The request body as received (an S3 body may be aws-chunked). */
  readonly body: Buffer;
  /** The body parsed, for the JSON protocols (Kinesis, DynamoDB); undefined for S3 and empty bodies. */
  readonly json: unknown;
  readonly kinesis?: KinesisTarget;
  /** Epoch milliseconds when the front had the whole request. */
  readonly receivedAt: number;
}

export interface FrontResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Buffer;
  /**
   * An answer that keeps coming (SubscribeToShard's event stream): written chunk by chunk after the
   * headers, at the pace the client reads, until it ends or the client goes; `signal` aborts then.
   */
  readonly stream?: (signal: AbortSignal) => AsyncIterable<Buffer>;
}

export type FrontHandler = (call: FrontCall) => Promise<FrontResponse>;

/**
 * One behaviour of the front. `wrap` gets the rest of the chain and returns a handler: call
 * `next(call)` to go on (with the call changed, e.g. `withJsonBody`), or answer without it.
 *
 * @example
 * const counting: FrontMiddleware = {
 *   name: 'count',
 *   wrap: (next) => async (call) => { calls += 1; return next(call); },
 *   stats: () => ({ calls }),
 * };
 */
export interface FrontMiddleware {
  readonly name: string;
  wrap(next: FrontHandler): FrontHandler;
  /** What it counted, JSON-serialisable, read by the runner and the bench through the front's control endpoint. */
  stats?(): Record<string, unknown>;
  /** Flushes what it records; called once when the front stops. */
  close?(): Promise<void>;
}

/** What the front enforces; both on unless turned off (`--no-iam`, `--no-limits`). */
export interface EnforceOptions {
  /** @default true */
  readonly iam?: boolean;
  /** @default true */
  readonly limits?: boolean;
}

/** What a middleware factory is told about the front it joins. */
export interface FrontContext {
  readonly service: FrontServiceName;
  /** The emulator behind this front (`http://127.0.0.1:port`). */
  readonly upstream: string;
  readonly enforce: Required<EnforceOptions>;
  /** Folder where middlewares may write what they record (denials, usage); undefined: record nothing to disk. */
  readonly recordDir: string | undefined;
}

/** Builds a middleware for one front, or undefined when it has nothing to do there (a Kinesis guard on the S3 front). */
export type MiddlewareFactory = (context: FrontContext) => FrontMiddleware | undefined;
