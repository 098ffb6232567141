import { createServer } from 'node:http';
import type { Server } from 'node:http';

/** A named check; returns details for the response, or throws when unhealthy. */
export type HealthCheck = () => unknown;

/**
 * `GET /health` for the container health check: 200 with each check's details while all pass,
 * 503 naming the failing ones otherwise, and 503 `draining` once shutdown has begun so a load
 * balancer (if any) stops sending work.
 */
export class HealthServer {
  private readonly checks = new Map<string, HealthCheck>();
  private server: Server | undefined;
  private draining = false;
  private closing: Promise<void> | undefined;

  public constructor(private readonly role: string) {}

  public addCheck(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  public setDraining(): void {
    this.draining = true;
  }

  public report(): { status: number; body: Record<string, unknown> } {
    const details: Record<string, unknown> = {};
    const failing: string[] = [];
    for (const [name, check] of this.checks) {
      try {
        details[name] = check() ?? 'ok';
      } catch (error) {
        failing.push(name);
        details[name] = { error: (error as Error).message };
      }
    }
    const status = this.draining ? 'draining' : failing.length > 0 ? 'unhealthy' : 'ok';
    return { status: status === 'ok' ? 200 : 503, body: { status, role: this.role, pid: process.pid, failing, details } };
  }

  /** Listens on loopback-and-all (a container's health check calls localhost). Resolves with the port. */
  public listen(port: number): Promise<number> {
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/health') {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const { status, body } = this.report();
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  public close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}
