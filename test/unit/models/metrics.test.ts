import { expect } from 'chai';
import { atThreshold, bestF1Threshold, classificationReport, rocAuc } from '../../../models/training/metrics.js';

describe('Function: rocAuc', () => {
  it('is 1 when every positive outscores every negative, 0 when reversed, 0.5 when all tie', () => {
    // Prepare
    const positive = [false, false, true, true];

    // Act
    const perfect = rocAuc([0.1, 0.2, 0.8, 0.9], positive);
    const reversed = rocAuc([0.9, 0.8, 0.2, 0.1], positive);
    const tied = rocAuc([0.5, 0.5, 0.5, 0.5], positive);

    // Assess
    expect(perfect).to.equal(1);
    expect(reversed).to.equal(0);
    expect(tied).to.equal(0.5);
  });

  it('counts the share of positive-negative pairs ranked correctly', () => {
    // Prepare: pairs (p, n): 0.7>0.6 yes, 0.7>0.2 yes, 0.4>0.6 no, 0.4>0.2 yes.
    const scores = [0.7, 0.4, 0.6, 0.2];
    const positive = [true, true, false, false];

    // Act
    const auc = rocAuc(scores, positive);

    // Assess
    expect(auc).to.equal(3 / 4);
  });
});

describe('Function: classificationReport', () => {
  it('computes accuracy, per-class F1 and their macro average', () => {
    // Prepare
    const truth = [0, 0, 1, 1, 2];
    const predicted = [0, 1, 1, 1, 0];

    // Act
    const report = classificationReport(truth, predicted, 3);

    // Assess: class 0 tp1 fp1 fn1; class 1 tp2 fp1 fn0; class 2 tp0.
    expect(report.accuracy).to.equal(3 / 5);
    expect(report.f1).to.deep.equal([0.5, 0.8, 0]);
    expect(report.macroF1).to.be.closeTo(1.3 / 3, 1e-12);
    expect(report.confusion[2]).to.deep.equal([1, 0, 0]);
  });
});

describe('Function: bestF1Threshold', () => {
  it('picks the cut with the best F1 and reports it as atThreshold does', () => {
    // Prepare
    const scores = [0.9, 0.8, 0.7, 0.3, 0.2];
    const positive = [true, true, false, true, false];

    // Act
    const best = bestF1Threshold(scores, positive);

    // Assess
    const check = atThreshold(scores, positive, best.threshold);
    expect(best.f1).to.be.closeTo(check.f1, 1e-12);
    for (const threshold of scores) expect(atThreshold(scores, positive, threshold).f1).to.be.at.most(best.f1 + 1e-12);
  });
});
