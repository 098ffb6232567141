import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { bearerToken } from './auth/bearer-token.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import type { UserRateLimiter } from './auth/user-rate-limiter.js';
import { AuthenticationError, IdentityProviderError, InvalidRequestError } from './errors.js';
import { emptyInsights } from './insights-reader.js';
import type { InsightsReader, InsightsRequest } from './insights-reader.js';
import { PAGE_SECURITY_HEADERS } from './page-assets.js';
import type { PageAssets } from './page-assets.js';

const ROUTE = /^\/users\/([^/]+)\/insights\/?$/;
/** Requests still running when close() is called get this long before their sockets are cut. */
const CLOSE_GRACE_MS = 5_000;

export interface ApiServerOptions {
  /** Injected: the same read model the CLI and the tests use. */
  readonly insights: InsightsReader;
  /** Verifies bearer tokens; injected so tests can use a local key set. */
  readonly verifier: Pick<TokenVerifier, 'verify'>;
  /** Per-user throttle; none when undefined. */
  readonly limiter?: Pick<UserRateLimiter, 'take'>;
  /** The insights page; the API alone when undefined. */
  readonly page?: PageAssets;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/** Request figures for the health endpoint. */
export interface ApiStats {
  readonly requests: number;
  readonly unauthenticated: number;
  readonly forbidden: number;
  readonly throttled: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
}

type Counter = keyof ApiStats;

/**
 * The read API and the insights page.
 *
 * `GET /users/:id/insights[?limit=N][&month=YYYY-MM]` needs `Authorization: Bearer <JWT>`: 401 for
 * a missing, malformed, expired or wrongly signed token; 429 over the caller's rate; 403 when the
 * token's user is not `:id` (whether or not `:id` exists); then 400 for a bad parameter, 200 with
 * the user's recent scored transactions, month totals by category and flagged anomalies (empty for
 * a user with nothing in the view yet), 503 when the view or the issuer's keys cannot be read.
 * `GET /` is the page (public: it holds no data), `/assets/*` its script and style.
 *
 * @example
 * const server = new ApiServer({ insights, verifier: new TokenVerifier({ issuer, audience, jwksUrl }), page: new PageAssets({ userClaim: 'sub', signInUrl: '' }) });
 * const port = await server.listen(8081);
 */
export class ApiServer {
  private readonly insights: InsightsReader;
  private readonly verifier: Pick<TokenVerifier, 'verify'>;
  private readonly limiter: Pick<UserRateLimiter, 'take'> | undefined;
  private readonly page: PageAssets | undefined;
  private readonly log: Logger;
  private readonly counters: Record<Counter, number> = { requests: 0, unauthenticated: 0, forbidden: 0, throttled: 0, clientErrors: 0, serverErrors: 0 };
  private server: Server | undefined;
  private closing: Promise<void> | undefined;

  public constructor(options: ApiServerOptions) {
    this.insights = options.insights;
    this.verifier = options.verifier;
    this.limiter = options.limiter;
    this.page = options.page;
    this.log = (options.logger ?? silentLogger()).child({ component: 'api' });
  }

  public get stats(): ApiStats {
    return { ...this.counters };
  }

  /** Starts listening (0 picks a free port); resolves with the port. */
  public listen(port: number, host?: string): Promise<number> {
    const server = createServer((request, response) => void this.handle(request, response));
    // Behind a load balancer: keep idle connections longer than its idle timeout (ALB: 60 s), so
    // the balancer, not this server, closes them and no request lands on a closing socket.
    server.keepAliveTimeout = 65_000;
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
    const asset = match === null ? this.page?.get(url.pathname) : undefined;
    if (match === null && asset === undefined) return this.send(response, 404, { error: 'not-found', message: `no route for ${url.pathname}` });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return this.send(response, 405, { error: 'method-not-allowed', message: `${request.method ?? ''} is not allowed; use GET` });
    }
    if (asset !== undefined) {
      const headers = { ...PAGE_SECURITY_HEADERS, 'content-type': asset.contentType, 'cache-control': asset.cacheControl, etag: asset.etag };
      if (request.headers['if-none-match'] === asset.etag) {
        response.writeHead(304, headers);
        return void response.end();
      }
      response.writeHead(200, { ...headers, 'content-length': asset.body.length });
      return void response.end(request.method === 'HEAD' ? undefined : asset.body);
    }
    try {
      const caller = await this.verifier.verify(bearerToken(request.headers.authorization));
      // Every authenticated request counts against its user, whatever it asks for.
      const decision = this.limiter?.take(caller.userId) ?? { allowed: true };
      if (!decision.allowed) {
        this.counters.throttled += 1;
        response.setHeader('retry-after', String(decision.retryAfterSeconds));
        return this.send(response, 429, { error: 'too-many-requests', message: `slow down: try again in ${decision.retryAfterSeconds} s` });
      }
      const insightsRequest = parseRequest(match?.[1] ?? '', url.searchParams);
      // Before any parameter is judged or the view read: the answer must not depend on the other id.
      if (insightsRequest.userId !== caller.userId) {
        this.counters.forbidden += 1;
        return this.send(response, 403, { error: 'forbidden', message: 'a token may read only the insights of the user it was issued to' });
      }
      const insights = (await this.insights.get(insightsRequest)) ?? emptyInsights(caller.userId);
      return this.send(response, 200, insights, request.method === 'HEAD');
    } catch (error) {
      if (error instanceof AuthenticationError) {
        this.counters.unauthenticated += 1;
        this.log.info({ reason: error.reason, path: url.pathname }, 'request not authenticated');
        // RFC 6750: the scheme and why, so a client knows to sign in again.
        response.setHeader('www-authenticate', `Bearer error="invalid_token", error_description="${error.reason}"`);
        return this.send(response, 401, { error: 'unauthorized', reason: error.reason, message: error.message });
      }
      if (error instanceof InvalidRequestError) return this.send(response, 400, { error: 'bad-request', parameter: error.parameter, message: error.message });
      if (error instanceof IdentityProviderError) {
        this.log.error({ err: error }, 'signing keys unavailable');
        response.setHeader('retry-after', '5');
        return this.send(response, 503, { error: 'unavailable', message: 'sign-in cannot be checked right now; try again shortly' });
      }
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
