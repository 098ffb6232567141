import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { archiveObjectKey } from '../../../shared/archive/archive-key.js';
import { Pacer } from '../../../workers/replay/pacer.js';
import { ReplayOptionError } from '../../../workers/replay/errors.js';
import { parseReplayArguments } from '../../../workers/replay/index.js';
import { inWindow, parseWindow, windowPrefixes } from '../../../workers/replay/replay-window.js';

const key = (iso: string): string => archiveObjectKey({ deliveryStreamName: 's', oldestArrival: new Date(iso), uuid: randomUUID() });

describe('Module: replay-window', () => {
  describe('Function: parseWindow', () => {
    it('takes ISO 8601 instants with a zone and refuses anything else, naming the option', () => {
      expect(parseWindow('2026-11-25T10:00:00Z', '2026-11-25T12:00:00+01:00').to.toISOString()).to.equal('2026-11-25T11:00:00.000Z');
      for (const [from, to, option] of [
        [undefined, '2026-11-25T10:00:00Z', '--from'],
        ['2026-11-25', '2026-11-26T00:00:00Z', '--from'],
        ['2026-11-25T10:00:00', '2026-11-26T00:00:00Z', '--from'],
        ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00Z', '--to'],
      ] as const) {
        expect(() => parseWindow(from, to)).to.throw(ReplayOptionError).with.property('option', option);
      }
    });
  });

  describe('Function: inWindow', () => {
    it("selects objects by their name's time, from inclusive to exclusive", () => {
      // Prepare
      const window = parseWindow('2026-11-25T10:00:00Z', '2026-11-25T11:00:00Z');

      // Act & Assess
      expect(inWindow(key('2026-11-25T09:59:59Z'), window)).to.equal(false);
      expect(inWindow(key('2026-11-25T10:00:00Z'), window)).to.equal(true);
      expect(inWindow(key('2026-11-25T10:59:59Z'), window)).to.equal(true);
      expect(inWindow(key('2026-11-25T11:00:00Z'), window)).to.equal(false);
      expect(inWindow('raw/year=2026/month=11/day=25/hour=10/other.txt', window)).to.equal(false);
    });
  });

  describe('Function: windowPrefixes', () => {
    it('lists the hour partitions the window touches and no more', () => {
      expect(windowPrefixes(parseWindow('2026-11-25T10:30:00Z', '2026-11-25T12:00:00Z'))).to.deep.equal([
        'raw/year=2026/month=11/day=25/hour=10/',
        'raw/year=2026/month=11/day=25/hour=11/',
      ]);
    });
  });

  describe('Function: parseReplayArguments', () => {
    it('reads the window and rate from the arguments after the role', () => {
      expect(parseReplayArguments(['--from', 'A', '--to=B', '--rate', '250'])).to.deep.equal({ from: 'A', to: 'B', rate: 250 });
      expect(() => parseReplayArguments(['--rate', 'fast'])).to.throw(ReplayOptionError);
    });
  });
});

describe('Class: Pacer', () => {
  describe('Method: reserve', () => {
    it('lets a burst through, then spaces units at the rate', () => {
      // Prepare: a clock that only moves when told to.
      let now = 0;
      const pacer = new Pacer(1_000, 10, () => now);

      // Act
      const burst = Array.from({ length: 10 }, () => pacer.reserve());
      const next = pacer.reserve();
      now += 5;
      const afterWaiting = pacer.reserve();

      // Assess
      expect(burst.every((wait) => wait === 0)).to.equal(true);
      expect(next).to.equal(1);
      // 5 ms later five tokens came back, one of them owed.
      expect(afterWaiting).to.equal(0);
    });

    it('keeps the long-run rate when units are taken in bulk', () => {
      // Prepare
      const now = 0;
      const pacer = new Pacer(500, 1, () => now);

      // Act: take a whole second's worth at once.
      const wait = pacer.reserve(500);

      // Assess: it may go only once the second has passed.
      expect(wait).to.be.closeTo(998, 1e-9);
    });
  });
});
