import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';

/** The parts of the SDK's HttpRequest this handler reads. */
interface SdkRequest {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number;
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, unknown>;
  readonly fragment?: string;
  readonly username?: string;
  readonly password?: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

export interface JsonHttpHandlerOptions {
  /** Sockets kept per agent. */
  readonly maxSockets: number;
  /** Milliseconds to open a connection before the call fails with a `TimeoutError` (which the SDK retries). */
  readonly connectionTimeout: number;
  /** Milliseconds a connection may stay silent mid-call before the call fails with a `TimeoutError`. */
  readonly requestTimeout: number;
}

const timeoutError = (message: string): Error => Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return Object.assign(new Error(reason instanceof Error ? reason.message : 'Request aborted'), { name: 'AbortError' });
}

/** A body this handler sends as it is: none, a string, or bytes. */
function plainBody(body: unknown): string | Uint8Array | undefined | false {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return false;
}

/**
 * The SDK's request handler for the JSON services (Kinesis, DynamoDB), leaner per call than
 * `NodeHttpHandler` (about a tenth of a small call's CPU here): their requests and answers are
 * whole JSON documents, so the request is written in one `end()` and the answer is collected as
 * one buffer (the SDK collects it whole anyway) instead of through a stream collector, with one
 * socket inactivity timer instead of four timers per call. Anything else (a streamed body, a query
 * string, `Expect: 100-continue`) goes to a `NodeHttpHandler` on the same agents, so the handler
 * stays correct for any call. Connections are kept alive, as with `NodeHttpHandler`.
 */
export class JsonHttpHandler {
  public readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly fallback: NodeHttpHandler;

  public constructor(private readonly options: JsonHttpHandlerOptions) {
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets });
    this.fallback = new NodeHttpHandler({ httpAgent: this.httpAgent, httpsAgent: this.httpsAgent, connectionTimeout: options.connectionTimeout, requestTimeout: options.requestTimeout });
  }

  public handle(request: SdkRequest, handlerOptions: HttpHandlerOptions = {}): Promise<{ response: { statusCode: number; reason: string | undefined; headers: Record<string, string>; body: Buffer } }> {
    const body = plainBody(request.body);
    const expect = request.headers['Expect'] ?? request.headers['expect'];
    const simple = body !== false && (request.query === undefined || Object.keys(request.query).length === 0) && request.fragment === undefined && request.username === undefined && request.password === undefined && expect === undefined;
    if (!simple) return this.fallback.handle(request as never, handlerOptions) as never;
    const signal = handlerOptions.abortSignal as AbortSignal | undefined;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      const https = request.protocol === 'https:';
      const hostname = request.hostname.startsWith('[') && request.hostname.endsWith(']') ? request.hostname.slice(1, -1) : request.hostname;
      const send = https ? httpsRequest : httpRequest;
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const onAbort = (): void => {
        const error = abortError(signal as AbortSignal);
        outgoing.destroy(error);
        fail(error);
      };
      const outgoing: ClientRequest = send(
        { host: hostname, port: request.port, method: request.method, path: request.path, headers: request.headers as OutgoingHttpHeaders, agent: https ? this.httpsAgent : this.httpAgent },
        (answer: IncomingMessage) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('error', fail);
          answer.on('end', () => {
            if (settled) return;
            settled = true;
            signal?.removeEventListener('abort', onAbort);
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
            resolve({ response: { statusCode: answer.statusCode ?? -1, reason: answer.statusMessage, headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) } });
          });
        },
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        signal?.removeEventListener('abort', onAbort);
        fail(error);
      });
      outgoing.setTimeout(this.options.requestTimeout, () => outgoing.destroy(timeoutError(`no answer from ${hostname} for ${this.options.requestTimeout} ms`)));
      outgoing.once('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => outgoing.destroy(timeoutError(`could not connect to ${hostname} within ${this.options.connectionTimeout} ms`)), this.options.connectionTimeout);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      outgoing.end(body);
    });
  }

  public updateHttpClientConfig(): void {}

  public httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  public destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
