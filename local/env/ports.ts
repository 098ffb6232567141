import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect } from 'node:net';

export const LOOPBACK = '127.0.0.1' as const;

/** Where ports are looked for: under the kernel's ephemeral range (see `freePort`). */
const CHOSEN_PORTS = { lowest: 10_000, attempts: 64, reuseAfterMs: 10 * 60_000 } as const;

/**
 * Ports this process handed out, and when: a port is free when chosen but bound only once the
 * child starts, so without this two picks of one environment's start could draw the same port
 * (the kernel's own choice never repeats that soon; a random draw can).
 */
const issued = new Map<number, number>();

function recentlyIssued(port: number, now: number): boolean {
  const at = issued.get(port);
  return at !== undefined && now - at < CHOSEN_PORTS.reuseAfterMs;
}

/** The kernel's range for ephemeral ports (Linux default 32768-60999), or undefined where it cannot be read. */
export function ephemeralPortRange(): { readonly low: number; readonly high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) ? { low, high } : undefined;
  } catch {
    return undefined;
  }
}

/** Binds `port` on loopback and frees it: whether it could be bound now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel hands out itself (listen on 0). */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free loopback port for a process started next. The port is free when this resolves, not
 * reserved: the process binds it a moment later. A port from the kernel's ephemeral range (what
 * listening on 0 gives) can be taken in that moment by any outgoing connection's source port, and
 * a test run opens thousands (an environment's start once failed on EADDRINUSE that way). So the
 * port is drawn at random from under that range, where no connection's source port comes from,
 * not one this process handed out in the last ten minutes, and checked free; the kernel's own
 * choice only if none is found.
 */
export async function freePort(): Promise<number> {
  const high = (ephemeralPortRange()?.low ?? 32_768) - 1;
  if (high > CHOSEN_PORTS.lowest) {
    for (let attempt = 0; attempt < CHOSEN_PORTS.attempts; attempt += 1) {
      const port = CHOSEN_PORTS.lowest + Math.floor(Math.random() * (high - CHOSEN_PORTS.lowest + 1));
      if (recentlyIssued(port, Date.now())) continue;
      // Marked before the check, so a concurrent call of this process cannot draw it meanwhile.
      issued.set(port, Date.now());
      if (await canBind(port)) return port;
    }
  }
  return kernelPort();
}

/** True when something accepts connections on the port (on loopback or on every interface). */
export function isPortInUse(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (inUse: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(inUse);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves once the port accepts connections, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error('process exited before it listened');
    if (await isPortInUse(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on ${LOOPBACK}:${port} within ${timeoutMs} ms`);
}
