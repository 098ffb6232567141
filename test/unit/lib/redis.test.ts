import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { expect } from 'chai';
import { RedisAuthRejectedError, createRedisConnection } from '../../../workers/lib/redis.js';

/** A server that answers every command as Redis answers a rotated-away token. */
function refusingServer(): Promise<Server> {
  const server = createServer((socket) => {
    // One error reply per command: the client pipelines its handshake (HELLO with AUTH, CLIENT SETINFO).
    socket.on('data', (chunk) => {
      const commands = chunk.toString().split('\r\n').filter((line) => /^\*\d+$/.test(line)).length;
      socket.write('-WRONGPASS invalid username-password pair or user is disabled.\r\n'.repeat(commands));
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('Function: createRedisConnection', () => {
  it('reports a refused auth token once, naming the connection, instead of reconnecting with it for ever', async () => {
    // Prepare
    const server = await refusingServer();
    const { port } = server.address() as AddressInfo;
    const rejections: RedisAuthRejectedError[] = [];

    // Act
    const redis = createRedisConnection(
      { url: `redis://127.0.0.1:${port}`, authToken: 'old-token-0123456789', connectionName: 'scorer:worker', onAuthRejected: (error) => rejections.push(error) },
      { retryStrategy: () => 20 },
    );
    const deadline = Date.now() + 5000;
    while (rejections.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    redis.disconnect();
    await new Promise<void>((resolve) => server.close(() => resolve()));

    // Assess
    expect(rejections).to.have.length(1);
    expect(rejections[0]).to.be.instanceOf(RedisAuthRejectedError);
    expect(rejections[0]?.message).to.include('scorer:worker');
  });
});
