import { expect } from 'chai';
import { MAX_REMEMBERED_EPOCHS, rememberFinal, Watermark } from '../../../workers/crawler/watermark.js';

describe('Class: Watermark', () => {
  describe('Method: isPublished', () => {
    it('counts a page of this run as published only once it and every page before it committed', () => {
      // Prepare
      const watermark = new Watermark('crawl-a', 3, {});
      const [p0, p1, p2] = [watermark.stampNext(), watermark.stampNext(), watermark.stampNext()];

      // Act
      const before = [p0, p1, p2].map((s) => watermark.isPublished(s));
      watermark.committed(p0.seq);
      watermark.committed(p1.seq);
      const after = [p0, p1, p2].map((s) => watermark.isPublished(s));

      // Assess
      expect(before).to.deep.equal([false, false, false]);
      expect(after).to.deep.equal([true, true, false]);
      expect(watermark.committedUpTo).to.equal(2);
    });

    it("judges an earlier run's page by that run's final watermark, and never another crawl's or a later run's", () => {
      // Prepare
      const watermark = new Watermark('crawl-a', 3, { '1': 10, '2': 0 });

      // Act
      const judged = [
        { crawl: 'crawl-a', epoch: 1, seq: 9 },
        { crawl: 'crawl-a', epoch: 1, seq: 10 },
        { crawl: 'crawl-a', epoch: 2, seq: 0 },
        { crawl: 'crawl-b', epoch: 1, seq: 0 },
        { crawl: 'crawl-a', epoch: 4, seq: 0 },
        { crawl: 'crawl-a', epoch: 0, seq: 0 },
      ].map((s) => watermark.isPublished(s));

      // Assess
      expect(judged).to.deep.equal([true, false, false, false, false, false]);
    });
  });
});

describe('Function: rememberFinal', () => {
  it('adds the ended run and keeps only the most recent ones', () => {
    // Prepare
    let finals: Record<string, number> = {};

    // Act
    for (let epoch = 1; epoch <= MAX_REMEMBERED_EPOCHS + 5; epoch += 1) finals = rememberFinal(finals, epoch, epoch * 10);

    // Assess
    expect(Object.keys(finals)).to.have.length(MAX_REMEMBERED_EPOCHS);
    expect(finals[String(MAX_REMEMBERED_EPOCHS + 5)]).to.equal((MAX_REMEMBERED_EPOCHS + 5) * 10);
    expect(finals['5']).to.equal(undefined);
  });
});
