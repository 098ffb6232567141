import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FrontServer } from './front-server.js';
import type { FrontServerStats } from './front-server.js';
import { FRONT_MIDDLEWARES } from './middlewares.js';
import type { EnforceOptions, FrontServiceName, MiddlewareFactory } from './types.js';

export interface FrontsOptions {
  /** Each service's emulator, and the port its front listens on (0: a free one). */
  readonly services: readonly { readonly service: FrontServiceName; readonly upstream: string; readonly port?: number }[];
  /** Port of the control endpoint (`GET /stats`). @default 0 */
  readonly controlPort?: number;
  readonly enforce?: EnforceOptions;
  readonly recordDir?: string;
  /** @default FRONT_MIDDLEWARES */
  readonly middlewares?: readonly MiddlewareFactory[];
}

/** What every front counted, as `GET /stats` returns it. */
export interface FrontsStats {
  readonly fronts: readonly FrontServerStats[];
}

/** The fronts of one environment and their control endpoint. */
export interface Fronts {
  readonly endpoints: Readonly<Partial<Record<FrontServiceName, string>>>;
  readonly controlUrl: string;
  stats(): FrontsStats;
  /** Stops every front and flushes what they record; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts one front per service and a control endpoint that answers `GET /stats` with what every
 * front and middleware counted (denials, throttles, capacity), for the runner, the bench and tests.
 */
export async function startFronts(options: FrontsOptions): Promise<Fronts> {
  const servers: FrontServer[] = [];
  let control: Server | undefined;
  try {
    for (const { service, upstream, port } of options.services) {
      servers.push(
        await FrontServer.start({
          service,
          upstream,
          ...(port === undefined ? {} : { port }),
          ...(options.enforce === undefined ? {} : { enforce: options.enforce }),
          ...(options.recordDir === undefined ? {} : { recordDir: options.recordDir }),
          middlewares: options.middlewares ?? FRONT_MIDDLEWARES,
        }),
      );
    }
    const stats = (): FrontsStats => ({ fronts: servers.map((s) => s.stats()) });
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/stats') {
        const body = JSON.stringify(stats());
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      res.writeHead(404).end();
    });
    // Longer than a client keeps an idle connection (undici: about 4 s), as the fronts themselves
    // do: with Node's 5 s default the server could close a socket the client was reusing at that
    // moment, and a run's denial check failed with "fetch failed" on a healthy environment.
    server.keepAliveTimeout = 65_000;
    control = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.controlPort ?? 0, '127.0.0.1', () => resolve());
    });
    let closing: Promise<void> | undefined;
    return {
      endpoints: Object.fromEntries(servers.map((s) => [s.service, s.url])),
      controlUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      stats,
      close: () => {
        closing ??= (async () => {
          server.close();
          server.closeAllConnections();
          await Promise.allSettled(servers.map((s) => s.close()));
        })();
        return closing;
      },
    };
  } catch (error) {
    control?.close();
    await Promise.allSettled(servers.map((s) => s.close()));
    throw error;
  }
}
