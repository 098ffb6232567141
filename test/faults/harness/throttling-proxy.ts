import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPBACK } from '../../../local/env/ports.js';

/** Kinesis calls that throttle per shard on AWS; every other Kinesis call answers LimitExceeded. */
const KINESIS_DATA_CALLS = new Set(['PutRecords', 'PutRecord', 'GetRecords']);

export interface ThrottleCounts {
  readonly requests: number;
  readonly throttled: number;
}

/**
 * An HTTP proxy in front of an AWS emulator that, while `throttle()` is on, answers a share of
 * requests with the error AWS sends when over capacity, in the JSON protocol the SDK reads
 * (`__type` in the body and `x-amzn-ErrorType`): Kinesis `ProvisionedThroughputExceededException`
 * (data calls) or `LimitExceededException` (control calls), DynamoDB
 * `ProvisionedThroughputExceededException` or `ThrottlingException`. Everything else goes through.
 * Workers reach it through their `AWS_ENDPOINT_URL_*` variables.
 */
export class ThrottlingProxy {
  private share = 0;
  private until = 0;
  private counts = { requests: 0, throttled: 0 };
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly service: 'kinesis' | 'dynamodb',
    private readonly upstream: URL,
    private readonly server: Server,
  ) {}

  public static async start(service: 'kinesis' | 'dynamodb', upstream: string): Promise<ThrottlingProxy> {
    const server = createServer();
    const proxy = new ThrottlingProxy(service, new URL(upstream), server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK, () => resolve());
    });
    return proxy;
  }

  public get url(): string {
    return `http://${LOOPBACK}:${(this.server.address() as AddressInfo).port}`;
  }

  public get stats(): ThrottleCounts {
    return { ...this.counts };
  }

  /** Throttles `share` (0 to 1) of the requests for `durationMs` from now. */
  public throttle(share: number, durationMs: number): void {
    this.share = share;
    this.until = Date.now() + durationMs;
  }

  public close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests += 1;
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    if (Date.now() < this.until && Math.random() < this.share) {
      this.counts.throttled += 1;
      // The body must be read before answering, or the client sees a reset instead of the error.
      req.resume();
      req.on('end', () => this.refuse(res, operation));
      return;
    }
    const upstream = httpRequest(
      { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: this.upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  private refuse(res: ServerResponse, operation: string): void {
    let type: string;
    let message: string;
    if (this.service === 'kinesis') {
      type = KINESIS_DATA_CALLS.has(operation) ? 'ProvisionedThroughputExceededException' : 'LimitExceededException';
      message = type === 'LimitExceededException' ? 'Rate exceeded for stream' : 'Rate exceeded for shard shardId-000000000000 in stream under account 000000000000.';
    } else {
      type = this.counts.throttled % 2 === 0 ? 'ThrottlingException' : 'ProvisionedThroughputExceededException';
      message = type === 'ThrottlingException' ? 'Rate of requests exceeds the allowed throughput.' : 'The level of configured provisioned throughput for the table was exceeded.';
    }
    const qualified = this.service === 'dynamodb' ? `com.amazonaws.dynamodb.v20120810#${type}` : type;
    const body = JSON.stringify({ __type: qualified, message });
    res
      .writeHead(400, {
        'content-type': this.service === 'kinesis' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
        'x-amzn-errortype': type,
        'x-amzn-requestid': `throttled-${this.counts.throttled}`,
        'content-length': Buffer.byteLength(body),
      })
      .end(body);
  }
}
