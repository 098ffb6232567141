import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect as connectHttp2, createServer as createHttp2Server } from 'node:http2';
import type { ClientHttp2Session, IncomingHttpHeaders as Http2Headers, Http2Server, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { dispatchByProtocol } from '../../../local/env/front/dual-protocol.js';
import { LOOPBACK } from '../../../local/env/ports.js';

/** HTTP/2 headers that belong to one connection, not to the request passed on. */
const HTTP2_CONNECTION_HEADERS = new Set([':authority', ':scheme', 'host']);

/** Kinesis calls that throttle per shard on AWS; every other Kinesis call answers LimitExceeded (SubscribeToShard too: one a second per consumer and shard). */
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
 * `ProvisionedThroughputExceededException` or `ThrottlingException`. Everything else goes through,
 * HTTP/2 too (SubscribeToShard: a refused subscription is answered before its event stream starts).
 * Workers reach it through their `AWS_ENDPOINT_URL_*` variables.
 */
export class ThrottlingProxy {
  private share = 0;
  private until = 0;
  private counts = { requests: 0, throttled: 0 };
  private closing: Promise<void> | undefined;
  private upstreamHttp2: ClientHttp2Session | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly service: 'kinesis' | 'dynamodb',
    private readonly upstream: URL,
    private readonly server: Server,
    private readonly http2: Http2Server,
    private listener: NetServer | undefined,
  ) {}

  public static async start(service: 'kinesis' | 'dynamodb', upstream: string): Promise<ThrottlingProxy> {
    const server = createServer();
    const http2 = createHttp2Server();
    const proxy = new ThrottlingProxy(service, new URL(upstream), server, http2, undefined);
    const listener = dispatchByProtocol(server, http2, proxy.sockets);
    proxy.listener = listener;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.serve(req, res));
    http2.on('stream', (stream: ServerHttp2Stream, headers: Http2Headers) => proxy.serveHttp2(stream, headers));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, LOOPBACK, () => resolve());
    });
    return proxy;
  }

  public get url(): string {
    return `http://${LOOPBACK}:${(this.listener?.address() as AddressInfo).port}`;
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
      this.listener?.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.upstreamHttp2?.destroy();
      this.http2.close();
      this.server.close();
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

  /** An HTTP/2 request (SubscribeToShard): refused like any other while throttling, else passed through as a stream both ways. */
  private serveHttp2(stream: ServerHttp2Stream, headers: Http2Headers): void {
    this.counts.requests += 1;
    const operation = String(headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    stream.on('error', () => stream.destroy());
    if (Date.now() < this.until && Math.random() < this.share) {
      this.counts.throttled += 1;
      stream.resume();
      stream.on('end', () => {
        const { status, headers: answer, body } = this.refusal(operation);
        stream.respond({ ':status': status, ...answer });
        stream.end(body);
      });
      return;
    }
    if (this.upstreamHttp2 === undefined || this.upstreamHttp2.closed || this.upstreamHttp2.destroyed) {
      this.upstreamHttp2 = connectHttp2(this.upstream.origin);
      this.upstreamHttp2.on('error', () => undefined);
    }
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([name]) => !HTTP2_CONNECTION_HEADERS.has(name)));
    const upstream = this.upstreamHttp2.request(forwarded);
    upstream.on('response', (answer) => {
      stream.respond(answer);
      upstream.pipe(stream);
    });
    upstream.on('error', () => stream.destroy());
    stream.on('close', () => upstream.close());
    stream.pipe(upstream);
  }

  private refuse(res: ServerResponse, operation: string): void {
    const { status, headers, body } = this.refusal(operation);
    res.writeHead(status, headers).end(body);
  }

  private refusal(operation: string): { status: number; headers: Record<string, string | number>; body: string } {
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
    return {
      status: 400,
      headers: {
        'content-type': this.service === 'kinesis' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
        'x-amzn-errortype': type,
        'x-amzn-requestid': `throttled-${this.counts.throttled}`,
        'content-length': Buffer.byteLength(body),
      },
      body,
    };
  }
}
