import { expect } from 'chai';
import { createServer } from 'node:net';
import { LOOPBACK, ephemeralPortRange, freePort } from '../../../local/env/ports.js';

describe('Function: freePort', () => {
  it('draws bindable ports from under the kernel’s ephemeral range, where no outgoing connection takes them, each once', async () => {
    // Prepare
    const range = ephemeralPortRange();

    // Act
    // One after another, as an environment's start draws them (nothing bound in between): 1,000
    // draws from about 22,000 ports, drawn at random with no memory, would repeat some 20.
    const ports: number[] = [];
    for (let i = 0; i < 1_000; i += 1) ports.push(await freePort());

    // Assess
    expect(range, 'the kernel names its ephemeral range').to.not.equal(undefined);
    for (const port of ports) expect(port).to.be.within(10_000, (range?.low ?? 32_768) - 1);
    expect(new Set(ports).size, 'never the same port twice: a child binds it only later').to.equal(ports.length);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], LOOPBACK, resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
