import { expect } from 'chai';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JsonHttpHandler } from '../../../shared/aws/json-http-handler.js';

describe('Class: JsonHttpHandler', () => {
  let server: Server;
  let port: number;
  const handler = new JsonHttpHandler({ maxSockets: 4, connectionTimeout: 1000, requestTimeout: 200 });
  const request = (path: string, body = '{"a":1}') => ({ protocol: 'http:', hostname: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(Buffer.byteLength(body)) }, body });

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/silent') return;
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': [req.url ?? '', 'two'] });
        res.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    handler.destroy();
    server.closeAllConnections();
    server.close();
  });

  it('sends the body and hands back the whole answer with its headers', async () => {
    // Act
    const { response } = await handler.handle(request('/echo'));

    // Assess
    expect(response.statusCode).to.equal(200);
    expect(response.body.toString('utf8')).to.equal('{"a":1}');
    expect(response.headers['x-echo']).to.equal('/echo, two');
  });

  it('fails a call the server leaves unanswered with a TimeoutError, which the SDK retries', async () => {
    const outcome = await handler.handle(request('/silent')).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    expect(outcome).to.equal('TimeoutError');
  });

  it('fails with an AbortError when the signal aborts mid-call, and at once when it already has', async () => {
    // Prepare
    const controller = new AbortController();

    // Act
    const pending = handler.handle(request('/silent'), { abortSignal: controller.signal });
    setImmediate(() => controller.abort());
    const midCall = await pending.then(
      () => 'answered',
      (error: Error) => error.name,
    );
    const before = await handler.handle(request('/echo'), { abortSignal: controller.signal }).then(
      () => 'answered',
      (error: Error) => error.name,
    );

    // Assess
    expect([midCall, before]).to.deep.equal(['AbortError', 'AbortError']);
  });
});
