import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { ManagedProcess } from '../../../local/env/managed-process.js';
import { freePort, waitForPort } from '../../../local/env/ports.js';
import { createRedisConnection, RedisAuthRejectedError } from '../../../workers/lib/redis.js';

/** A self-signed certificate for `localhost` (and a key), as PEM files in `dir`. */
function selfSigned(dir: string, name: string, host: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`], { stdio: 'ignore' });
  return { cert, key };
}

/** The first error a connection reports, or undefined if it reports none within `timeoutMs`. */
function firstError(connection: Redis, timeoutMs: number): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    connection.once('error', (error: Error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

/** Polls `condition` every 20 ms until it holds; fails naming the wait after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`no refused-token report within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * ElastiCache in transit: `rediss://` plus an AUTH token. A real redis-server with TLS only (no
 * plain port) and `requirepass`, its certificate made here with openssl.
 */
describe('Function: createRedisConnection (rediss:// with an auth token)', function () {
  this.timeout(30_000);
  const TOKEN = 'elasticache-auth-token-0123456789';
  let dir: string;
  let server: ManagedProcess;
  let port: number;
  let trusted: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  const connections: Redis[] = [];
  /** What each connection reported as a refused token (the workers stop on it; a test records it). */
  const refusals: RedisAuthRejectedError[] = [];

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
    trusted = selfSigned(dir, 'server', 'localhost');
    stranger = selfSigned(dir, 'stranger', 'localhost');
    port = await freePort();
    const redisServer = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
    server = new ManagedProcess({
      name: 'redis-tls',
      command: redisServer,
      args: ['--port', '0', '--tls-port', String(port), '--tls-cert-file', trusted.cert, '--tls-key-file', trusted.key, '--tls-auth-clients', 'no', '--requirepass', TOKEN, '--bind', '127.0.0.1 -::1', '--save', '', '--appendonly', 'no', '--dir', dir],
    });
    await waitForPort(port, 15_000, () => server.alive);
  });

  afterEach(function () {
    for (const connection of connections.splice(0)) connection.disconnect();
    refusals.splice(0);
  });

  after(async function () {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = (authToken: string | undefined, ca: string): Redis => {
    const connection = createRedisConnection({ url: `rediss://localhost:${port}`, ...(authToken === undefined ? {} : { authToken }), connectionName: 'tls-test', tlsCa: readFileSync(ca, 'utf8'), onAuthRejected: (error) => refusals.push(error) });
    connections.push(connection);
    // A refused connection keeps reporting errors while it retries; each test reads the first one.
    connection.on('error', () => undefined);
    return connection;
  };

  it('connects over TLS with the token, and works as BullMQ needs it (named, commands answered)', async function () {
    // Prepare
    const connection = connect(TOKEN, trusted.cert);

    // Act
    const pong = await connection.ping();
    await connection.set('k', 'v');
    const name = await connection.client('GETNAME');

    // Assess: the server has no plain port, so any answer came over TLS
    expect(pong).to.equal('PONG');
    expect(await connection.get('k')).to.equal('v');
    expect(name).to.equal('tls-test');
    expect(connection.options.maxRetriesPerRequest).to.equal(null);
  });

  it('is refused without the token', async function () {
    // Prepare
    const connection = connect(undefined, trusted.cert);

    // Act
    const error = await connection.ping().then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    // Assess
    expect(error?.message).to.match(/NOAUTH/);
    await until(() => refusals.length > 0, 5_000);
    expect(refusals[0]?.message).to.include('tls-test');
  });

  it('is refused with a wrong token', async function () {
    // Prepare
    const errors = firstError(connect('not-the-token', trusted.cert), 10_000);

    // Act
    const error = await errors;

    // Assess
    expect(error?.message).to.match(/WRONGPASS|invalid username-password/);
    await until(() => refusals.length > 0, 5_000);
    expect(refusals[0]).to.be.instanceOf(RedisAuthRejectedError);
  });

  it('does not trust a server whose certificate it cannot verify', async function () {
    // Prepare: the same host name, signed by someone else
    const errors = firstError(connect(TOKEN, stranger.cert), 10_000);

    // Act
    const error = await errors;

    // Assess
    expect((error as NodeJS.ErrnoException | undefined)?.code).to.match(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });
});
