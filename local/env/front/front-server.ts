import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { Http2Server, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { dispatchByProtocol } from './dual-protocol.js';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { DynamoDbCalls } from './calls/dynamodb.js';
import { KinesisCalls } from './calls/kinesis.js';
import type { ParsedCall } from './calls/parsed-call.js';
import { resourcesOf } from './calls/parsed-call.js';
import { S3Calls } from './calls/s3.js';
import { jsonError, s3Error } from './aws-errors.js';
import { createForwarder } from './forwarder.js';
import { principalOf } from './identities.js';
import { sigV4Credential } from './sigv4.js';
import type { AccessRequest, EnforceOptions, FrontCall, FrontContext, FrontHandler, FrontHttpRequest, FrontMiddleware, FrontResponse, FrontServiceName, MiddlewareFactory } from './types.js';

export interface FrontServerOptions {
  readonly service: FrontServiceName;
  /** The emulator behind this front. */
  readonly upstream: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly enforce?: EnforceOptions;
  /** Where middlewares record (denials, usage). @default nothing is written */
  readonly recordDir?: string;
  /** The chain, outermost first; the forwarder follows the last. */
  readonly middlewares: readonly MiddlewareFactory[];
}

/** What one front counted: calls, answers it built itself, time spent in the front and in the emulator. */
export interface FrontServerStats {
  readonly service: FrontServiceName;
  readonly calls: number;
  /** Calls the chain failed on (answered 500). */
  readonly failures: number;
  /** Milliseconds from the whole request in to the whole answer out, summed, and the part spent waiting for the emulator. */
  readonly handledMs: number;
  readonly upstreamMs: number;
  /** Calls per caller, operation and resource (`"<role> <Operation> <table or stream>"`): which call a record's cost comes from. */
  readonly operations: Readonly<Record<string, number>>;
  readonly middlewares: Readonly<Record<string, Record<string, unknown>>>;
}

type Parser = { parse(http: FrontHttpRequest, body: Buffer): ParsedCall };
type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

/** The same (action, resource, context) pair once: a transaction of 100 puts on one table is one check. */
function uniqueAccess(access: readonly AccessRequest[]): AccessRequest[] {
  const seen = new Set<string>();
  return access.filter((a) => {
    const key = `${a.action}\u0000${a.resource}\u0000${JSON.stringify(a.context ?? {})}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** "<role> <Operation> <resource name>": the caller as its role (else its kind), the first resource by its last path segment. */
function operationKey(call: FrontCall): string {
  const caller = call.principal.kind === 'role' ? call.principal.role : call.principal.kind;
  const resource = call.resources[0]?.split('/').pop() ?? '-';
  return `${caller} ${call.operation} ${resource}`;
}

/**
 * One HTTP front before one emulator: reads each request whole, makes it a `FrontCall` (operation,
 * IAM action, principal from the SigV4 key, the resources it touches), runs it through the chain
 * of middlewares and the forwarder, and writes the answer back.
 */
export class FrontServer {
  private callCount = 0;
  private failureCount = 0;
  private handledMs = 0;
  private readonly operationCounts = new Map<string, number>();
  private closing: Promise<void> | undefined;
  /** Ends every streamed answer when the front stops. */
  private readonly streams = new AbortController();

  private constructor(
    public readonly service: FrontServiceName,
    private readonly listener: NetServer,
    private readonly sockets: Set<Socket>,
    private readonly server: Server,
    private readonly http2: Http2Server,
    private readonly handler: FrontHandler,
    private readonly parser: Parser,
    private readonly kinesis: KinesisCalls | undefined,
    private readonly chain: readonly FrontMiddleware[],
    private readonly closeForwarder: () => void,
    private readonly timing: { upstreamMs: number },
  ) {}

  public static async start(options: FrontServerOptions): Promise<FrontServer> {
    const context: FrontContext = {
      service: options.service,
      upstream: options.upstream,
      enforce: { iam: options.enforce?.iam ?? true, limits: options.enforce?.limits ?? true },
      recordDir: options.recordDir,
    };
    const chain = options.middlewares.map((factory) => factory(context)).filter((m): m is FrontMiddleware => m !== undefined);
    const forwarder = createForwarder({ service: options.service, upstream: options.upstream });
    const kinesis = options.service === 'kinesis' ? new KinesisCalls() : undefined;
    const parser: Parser = kinesis ?? (options.service === 'dynamodb' ? new DynamoDbCalls() : new S3Calls());
    const server = createServer({ keepAlive: true, keepAliveTimeout: 60_000 });
    const http2 = createHttp2Server();
    const sockets = new Set<Socket>();
    const listener = dispatchByProtocol(server, http2, sockets);
    const timing = { upstreamMs: 0 };
    const timedForwarder: FrontHandler = async (call) => {
      const started = performance.now();
      try {
        return await forwarder.handler(call);
      } finally {
        timing.upstreamMs += performance.now() - started;
      }
    };
    const handler = chain.reduceRight<FrontHandler>((next, middleware) => middleware.wrap(next), timedForwarder);
    const front = new FrontServer(options.service, listener, sockets, server, http2, handler, parser, kinesis, chain, forwarder.close, timing);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => front.serve(req, res));
    http2.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => front.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return front;
  }

  public get url(): string {
    const address = this.listener.address() as AddressInfo;
    return `http://${address.address}:${address.port}`;
  }

  public stats(): FrontServerStats {
    return {
      service: this.service,
      calls: this.callCount,
      failures: this.failureCount,
      handledMs: Math.round(this.handledMs),
      upstreamMs: Math.round(this.timing.upstreamMs),
      operations: Object.fromEntries(this.operationCounts),
      middlewares: Object.fromEntries(this.chain.filter((m) => m.stats !== undefined).map((m) => [m.name, m.stats?.() ?? {}])),
    };
  }

  /** Stops accepting calls, then lets every middleware flush what it records; safe to call twice. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      this.streams.abort();
      await new Promise<void>((resolve) => {
        this.listener.close(() => resolve());
        // The HTTP servers never listen themselves, so they track no connections to close: the
        // dispatcher does. Clients keep connections alive; the front going ends them.
        for (const socket of this.sockets) socket.destroy();
        this.server.close();
        this.http2.close();
      });
      await Promise.allSettled(this.chain.map((m) => m.close?.()));
      this.closeForwarder();
    })();
    return this.closing;
  }

  private serve(req: AnyRequest, res: AnyResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      void this.handle(req, Buffer.concat(chunks)).then(
        (response) => this.write(req, res, response),
        () => res.destroy(),
      );
    });
  }

  private async handle(req: AnyRequest, body: Buffer): Promise<FrontResponse> {
    const started = performance.now();
    this.callCount += 1;
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const http: FrontHttpRequest = {
      method: req.method ?? 'GET',
      url,
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      query: new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1)),
      // HTTP/2's pseudo-headers (:path, :method) are the request line, not headers to pass on.
      headers: req.httpVersionMajor === 2 ? Object.fromEntries(Object.entries(req.headers).filter(([name]) => !name.startsWith(':'))) : req.headers,
    };
    let call: FrontCall | undefined;
    try {
      const parsed = this.parser.parse(http, body);
      const access = uniqueAccess(parsed.access);
      call = {
        id: this.callCount,
        service: this.service,
        operation: parsed.operation,
        action: parsed.action,
        principal: principalOf(sigV4Credential(http.headers, http.query)?.accessKeyId),
        resources: resourcesOf(access),
        access,
        http,
        body,
        get json() {
          return parsed.json();
        },
        ...(parsed.kinesis === undefined ? {} : { kinesis: parsed.kinesis }),
        receivedAt: Date.now(),
      };
      const key = operationKey(call);
      this.operationCounts.set(key, (this.operationCounts.get(key) ?? 0) + 1);
      const response = await this.handler(call);
      this.kinesis?.learn(call.operation, call.kinesis, response);
      return response;
    } catch (error) {
      this.failureCount += 1;
      const message = `local ${this.service} front failed on ${call?.operation ?? 'a request'}: ${(error as Error).message}`;
      process.stderr.write(`${message}\n${(error as Error).stack ?? ''}\n`);
      return this.service === 's3' ? s3Error({ http }, 500, 'InternalError', message) : jsonError(this.service, 500, 'InternalFailure', message);
    } finally {
      this.handledMs += performance.now() - started;
    }
  }

  private write(req: AnyRequest, res: AnyResponse, response: FrontResponse): void {
    const headers: Record<string, string | readonly string[]> = { ...response.headers };
    if (response.stream !== undefined) {
      delete headers['content-length'];
      res.writeHead(response.status, headers as Record<string, string | string[]>);
      void this.pipe(res, response.stream);
      return;
    }
    if (req.method !== 'HEAD') headers['content-length'] = String(response.body.length);
    res.writeHead(response.status, headers as Record<string, string | string[]>);
    if (req.method === 'HEAD') res.end();
    else res.end(response.body);
  }

  /** Writes a streamed answer at the client's pace; a client that goes (or the front stopping) aborts it. */
  private async pipe(res: AnyResponse, stream: (signal: AbortSignal) => AsyncIterable<Buffer>): Promise<void> {
    const gone = new AbortController();
    const abort = (): void => gone.abort();
    res.once('close', abort);
    this.streams.signal.addEventListener('abort', abort, { once: true });
    try {
      for await (const chunk of stream(gone.signal)) {
        if (gone.signal.aborted) break;
        if (!(res as ServerResponse).write(chunk)) await Promise.race([once(res, 'drain'), once(gone.signal, 'abort')]);
      }
      if (!gone.signal.aborted) res.end();
    } catch (error) {
      process.stderr.write(`local ${this.service} front: a streamed answer failed: ${(error as Error).message}\n`);
      res.destroy();
    } finally {
      res.off('close', abort);
      this.streams.signal.removeEventListener('abort', abort);
    }
  }
}
