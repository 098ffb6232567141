import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { InvalidRequestError } from './errors.js';
import type { InsightsQuery, InsightsRequest } from './insights-query.js';

const ROUTE = /^\/users\/([^/]+)\/insights\/?$/;
/** Requests still running when close() is called get this long before their sockets are cut. */
const CLOSE_GRACE_MS = 5_000;

export interface ApiServerOptions {
  /** Injected: the same query module the CLI uses. */
  readonly query: Pick<InsightsQuery, 'get'>;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/** Request figures for the health endpoint. */
export interface ApiStats {
  readonly requests: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
}

/**
 * The read API: `GET /users/:id/insights[?limit=N][&month=YYYY-MM]` answers a user's recent
 * scored transactions, month totals by category and flagged anomalies as JSON; 400 for a bad id,
 * limit or month, 404 for a user with nothing in the view or any other path, 405 for other
 * methods, 503 when the view cannot be read.
 *
 * @example
 * const server = new ApiServer({ query: new InsightsQuery({ dynamodb, tableName }) });
 * const port = await server.listen(8081);
 */
export class ApiServer {
  private readonly query: Pick<InsightsQuery, 'get'>;
  private readonly log: Logger;
  private readonly counters = { requests: 0, clientErrors: 0, serverErrors: 0 };
  private server: Server | undefined;
  private closing: Promise<void> | undefined;

  public constructor(options: ApiServerOptions) {
    this.query = options.query;
    this.log = (options.logger ?? silentLogger()).child({ component: 'api' });
  }

  public get stats(): ApiStats {
    return { ...this.counters };
  }

  /** Starts listening (0 picks a free port); resolves with the port. */
  public listen(port: number, host?: string): Promise<number> {
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      };
      if (host === undefined) server.listen(port, done);
      else server.listen(port, host, done);
    });
  }

  /** Stops accepting, lets running requests finish (up to 5 s), then closes. Idempotent. */
  public close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      const server = this.server;
      if (server === undefined) return resolve();
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
    return this.closing;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.counters.requests += 1;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = ROUTE.exec(url.pathname);
    if (match === null) return this.send(response, 404, { error: 'not-found', message: `no route for ${url.pathname}` });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return this.send(response, 405, { error: 'method-not-allowed', message: `${request.method ?? ''} is not allowed; use GET` });
    }
    try {
      const insights = await this.query.get(parseRequest(match[1] ?? '', url.searchParams));
      if (insights === undefined) return this.send(response, 404, { error: 'unknown-user', message: 'no insights for this user' });
      return this.send(response, 200, insights, request.method === 'HEAD');
    } catch (error) {
      if (error instanceof InvalidRequestError) return this.send(response, 400, { error: 'bad-request', parameter: error.parameter, message: error.message });
      this.log.error({ err: error, path: url.pathname }, 'insights query failed');
      return this.send(response, 503, { error: 'unavailable', message: 'the insights view cannot be read right now' });
    }
  }

  private send(response: ServerResponse, status: number, body: unknown, headOnly = false): void {
    if (status >= 500) this.counters.serverErrors += 1;
    else if (status >= 400) this.counters.clientErrors += 1;
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    response.end(headOnly ? undefined : text);
  }
}

/** The query a URL asks for; throws `InvalidRequestError` for a parameter that cannot be read. */
export function parseRequest(rawId: string, params: URLSearchParams): InsightsRequest {
  let userId: string;
  try {
    userId = decodeURIComponent(rawId);
  } catch {
    throw new InvalidRequestError('userId', 'is not valid percent-encoding');
  }
  const limit = params.get('limit');
  const month = params.get('month');
  if (limit !== null && !/^\d{1,4}$/.test(limit)) throw new InvalidRequestError('limit', 'must be a whole number');
  return {
    userId,
    ...(limit === null ? {} : { limit: Number(limit) }),
    ...(month === null ? {} : { month }),
  };
}
