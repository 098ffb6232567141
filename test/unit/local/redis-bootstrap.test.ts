import { expect } from 'chai';
import { MissingProgramError, REDIS_INSTALL_COMMAND, ensureRedis } from '../../../local/env/index.js';
import type { RedisBootstrapHost } from '../../../local/env/index.js';

/** A machine with the given programs on PATH; apt-get "installs" redis-server by putting it there. */
function machine(options: { programs: string[]; root: boolean; aptFails?: boolean }): RedisBootstrapHost & { installs: number } {
  const path = new Set(options.programs);
  const host = {
    installs: 0,
    findOnPath: (program: string) => (path.has(program) ? `/usr/bin/${program}` : undefined),
    isRoot: () => options.root,
    aptInstall: () => {
      host.installs += 1;
      if (options.aptFails) throw new Error('apt-get install redis-server failed: E: Unable to locate package redis-server');
      path.add('redis-server');
    },
  };
  return host;
}

describe('Module: local/env/redis-bootstrap', () => {
  describe('Function: ensureRedis', () => {
    it('uses REDIS_URL when set, without looking for or installing a server', () => {
      // Prepare
      const host = machine({ programs: ['apt-get'], root: true });

      // Act
      const source = ensureRedis('redis://10.0.0.5:6379', () => undefined, { install: true }, host);

      // Assess
      expect(source).to.deep.equal({ kind: 'url', url: 'redis://10.0.0.5:6379' });
      expect(host.installs).to.equal(0);
    });

    it('uses redis-server from PATH when there is one', () => {
      // Act
      const source = ensureRedis(undefined, () => undefined, { install: true }, machine({ programs: ['redis-server', 'apt-get'], root: true }));

      // Assess
      expect(source).to.deep.equal({ kind: 'server', path: '/usr/bin/redis-server', installed: false });
    });

    it('as root with apt, installs it once and says so', () => {
      // Prepare
      const host = machine({ programs: ['apt-get'], root: true });
      const said: string[] = [];

      // Act
      const source = ensureRedis(undefined, (m) => said.push(m), { install: true }, host);

      // Assess
      expect(source).to.deep.equal({ kind: 'server', path: '/usr/bin/redis-server', installed: true });
      expect(host.installs).to.equal(1);
      expect(said.join('\n')).to.match(/installing it once with apt-get/);
    });

    it('stops with the one command to run when it may not install (not root, no apt, or asked not to)', () => {
      for (const [host, install] of [
        [machine({ programs: ['apt-get'], root: false }), true],
        [machine({ programs: [], root: true }), true],
        [machine({ programs: ['apt-get'], root: true }), false],
      ] as const) {
        // Act
        const attempt = (): unknown => ensureRedis(undefined, () => undefined, { install }, host);

        // Assess
        expect(attempt).to.throw(MissingProgramError, REDIS_INSTALL_COMMAND);
        expect(host.installs).to.equal(0);
      }
    });

    it('passes on why apt failed', () => {
      // Act
      const attempt = (): unknown => ensureRedis(undefined, () => undefined, { install: true }, machine({ programs: ['apt-get'], root: true, aptFails: true }));

      // Assess
      expect(attempt).to.throw(/Unable to locate package redis-server/);
    });
  });
});
