import { expect } from 'chai';
import { InFlightWindow } from '../../../shared/kinesis/in-flight-window.js';

describe('Class: InFlightWindow', () => {
  describe('Method: complete', () => {
    it('moves the watermark only over a done prefix, whatever order batches finish in', () => {
      // Prepare
      const window = new InFlightWindow('100');
      const a = window.add('110', 10);
      const b = window.add('120', 10);
      const c = window.add('130', 10);

      // Act
      const afterC = window.complete(c);
      const markAfterC = window.watermark;
      const afterA = window.complete(a);
      const markAfterA = window.watermark;
      const afterB = window.complete(b);

      // Assess
      expect([afterC, markAfterC]).to.deep.equal([0, '100']);
      expect([afterA, markAfterA]).to.deep.equal([10, '110']);
      expect([afterB, window.watermark, window.recordsInFlight, window.isEmpty]).to.deep.equal([20, '130', 0, true]);
    });

    it('counts records against the window until the watermark passes them', () => {
      // Prepare
      const window = new InFlightWindow();
      const a = window.add('1', 5);
      const b = window.add('2', 7);

      // Act
      window.complete(b);

      // Assess
      expect(window.recordsInFlight).to.equal(12);
      expect(window.watermark).to.equal(undefined);
      window.complete(a);
      expect(window.recordsInFlight).to.equal(0);
    });
  });
});
