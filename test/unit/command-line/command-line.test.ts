import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { httpUrl, integer, positiveNumber, removeAbandonedTempFolders, wholeNumber } from '../../../shared/command-line/index.js';

describe('Module: shared/command-line', () => {
  describe('Function: removeAbandonedTempFolders', () => {
    let base: string;
    beforeEach(() => (base = mkdtempSync(join(tmpdir(), 'insights-temp-test-'))));
    afterEach(() => rmSync(base, { recursive: true, force: true }));

    it('removes the folders of processes that are gone and keeps those of live ones and foreign folders', async () => {
      // Prepare: a process that has exited (its pid is free), this one, and a folder of someone else.
      const gone = spawn(process.execPath, ['-e', '0']);
      const gonePid = gone.pid!;
      await new Promise((resolve) => gone.once('exit', resolve));
      const abandoned = join(base, `insights-run-${gonePid}-abc`);
      const live = join(base, `insights-run-${process.ppid}-def`);
      const foreign = join(base, 'someone-else');
      for (const dir of [abandoned, live, foreign]) mkdirSync(join(dir, 'inner'), { recursive: true });

      // Act
      const removed = removeAbandonedTempFolders(base);

      // Assess
      expect(removed).to.deep.equal([abandoned]);
      expect(existsSync(abandoned)).to.equal(false);
      expect(existsSync(live)).to.equal(true);
      expect(existsSync(foreign)).to.equal(true);
    });
  });

  describe('Option parsers', () => {
    it('refuse what cannot work with a message saying what is allowed', () => {
      expect(() => wholeNumber(1)('0')).to.throw(InvalidArgumentError, 'must be a whole number >= 1');
      expect(() => wholeNumber(1, 10)('11')).to.throw(InvalidArgumentError, 'from 1 to 10');
      expect(() => wholeNumber()('1.5')).to.throw(InvalidArgumentError);
      expect(() => wholeNumber()('')).to.throw(InvalidArgumentError);
      expect(() => integer('abc')).to.throw(InvalidArgumentError, 'must be an integer');
      expect(() => positiveNumber('abc')).to.throw(InvalidArgumentError, 'must be a number > 0');
      expect(() => positiveNumber('0')).to.throw(InvalidArgumentError);
      expect(() => httpUrl('localhost:4566')).to.throw(InvalidArgumentError, 'http');
    });

    it('accept good values as numbers', () => {
      expect(wholeNumber(1)('3')).to.equal(3);
      expect(integer('-7')).to.equal(-7);
      expect(positiveNumber('2.5')).to.equal(2.5);
      expect(httpUrl('http://127.0.0.1:4566')).to.equal('http://127.0.0.1:4566');
    });
  });
});
