import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { frontsHandle } from '../../../local/env/front/front-process.js';

describe('Function: frontsHandle (the fronts as the environment owner reads them)', () => {
  it('asks for the stats once more when the control connection is closed under the request, as a kept-alive socket closing at that moment is', async () => {
    // Prepare: a control endpoint whose first connection is dropped without an answer
    let requests = 0;
    const server = createServer((req, res) => {
      requests += 1;
      if (requests === 1) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ fronts: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const handle = frontsHandle(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { kinesis: '', dynamodb: '', s3: '' });

    try {
      // Act
      const stats = await handle.stats();

      // Assess
      expect(stats).to.deep.equal({ fronts: [] });
      expect(requests).to.equal(2);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
