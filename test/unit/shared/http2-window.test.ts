import { createServer } from 'node:http2';
import type { Http2Server, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { SubscribeToShardCommand } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { createKinesisFanOutClient, FAN_OUT_WINDOW_BYTES } from '../../../shared/aws/clients.js';
import { Http2WindowSeamError, widenConnectionWindow } from '../../../shared/aws/http2-window.js';

/** An HTTP/2 server that notes, per request, how much its peer's windows let it send, and refuses the call. */
async function windowProbe(): Promise<{ server: Http2Server; url: string; seen: { connection: number; stream: number }[] }> {
  const seen: { connection: number; stream: number }[] = [];
  const server = createServer();
  server.on('stream', (stream: ServerHttp2Stream) => {
    seen.push({ connection: stream.session?.state.remoteWindowSize ?? -1, stream: stream.session?.remoteSettings.initialWindowSize ?? -1 });
    stream.respond({ ':status': 400, 'content-type': 'application/x-amz-json-1.1' });
    stream.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'probe' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('Function: widenConnectionWindow', () => {
  it('lets a SubscribeToShard session receive FAN_OUT_WINDOW_BYTES before a WINDOW_UPDATE, on the connection as on the stream', async () => {
    // Prepare
    const probe = await windowProbe();
    const client = createKinesisFanOutClient({ endpoint: probe.url, region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });

    // Act
    const answer = await client
      .send(new SubscribeToShardCommand({ ConsumerARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/s/consumer/c:1', ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } }))
      .catch((error: unknown) => error);
    client.destroy();
    await new Promise<void>((resolve) => probe.server.close(() => resolve()));

    // Assess
    expect((answer as Error).name).to.equal('ResourceNotFoundException');
    expect(probe.seen).to.have.length(1);
    // Without the WINDOW_UPDATE on stream 0 the connection's window is HTTP/2's default, 65,535 bytes.
    expect(probe.seen[0]).to.deep.equal({ connection: FAN_OUT_WINDOW_BYTES, stream: FAN_OUT_WINDOW_BYTES });
  });

  it('refuses a handler without the connection manager it hooks, naming the package that changed', () => {
    // Prepare
    const changed = new NodeHttp2Handler();
    Object.defineProperty(changed, 'connectionManager', { value: undefined });

    // Act
    const widen = (): unknown => widenConnectionWindow(changed, FAN_OUT_WINDOW_BYTES);

    // Assess
    expect(widen).to.throw(Http2WindowSeamError, /@smithy\/node-http-handler changed/);
  });

  it('refuses a window HTTP/2 cannot have', () => {
    expect(() => widenConnectionWindow(new NodeHttp2Handler(), 1_000)).to.throw(RangeError, /65,535 to 2\^31 - 1, got 1000/);
    expect(() => widenConnectionWindow(new NodeHttp2Handler(), 2 ** 31)).to.throw(RangeError);
  });
});
