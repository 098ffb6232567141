import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CATEGORIES } from '../../../shared/schemas/categories.js';
import { DEFAULT_MODELS_DIR, TransactionScorer } from '../../../models/index.js';
import type { TransactionScore } from '../../../models/index.js';
import { mlpFromInitializers, softmaxFromInitializers } from '../../../models/onnx/graphs.js';
import { decodeModel } from '../../../models/onnx/model-file.js';
import { mlpForward, softmaxForward } from '../../../models/training/forward.js';
import { classificationReport, rocAuc } from '../../../models/training/metrics.js';
import { labelledTransactions } from './helpers.js';

/** The bars issue 6 sets. */
const BARS = { accuracy: 0.9, macroF1: 0.85, rocAuc: 0.9, parity: 1e-5 } as const;
const BATCH = 512;

async function scoreAll(scorer: TransactionScorer, transactions: Parameters<TransactionScorer['score']>[0]): Promise<TransactionScore[]> {
  const scores: TransactionScore[] = [];
  for (let start = 0; start < transactions.length; start += BATCH) scores.push(...(await scorer.score(transactions.slice(start, start + BATCH))));
  return scores;
}

describe('Class: TransactionScorer (committed models)', () => {
  let scorer: TransactionScorer;
  // Fresh people and fresh draws: a seed the build never used, so every line is held out.
  let fresh: ReturnType<typeof labelledTransactions>;
  let freshScores: TransactionScore[];

  before(async () => {
    scorer = await TransactionScorer.create({ intraOpNumThreads: 1 });
    const { build } = scorer.models.manifest;
    fresh = labelledTransactions({ seed: build.seed + 1, count: 12_000, users: 150, startAt: build.startAt, anomalyRate: build.anomalyRate });
    freshScores = await scoreAll(scorer, fresh.transactions);
  });

  after(async () => {
    await scorer.close();
  });

  describe('Method: score', () => {
    it('categorises unseen users at or above the accuracy and macro F1 bars', async () => {
      // Act
      const report = classificationReport(
        fresh.labels.map((label) => CATEGORIES.indexOf(label.category)),
        freshScores.map((score) => CATEGORIES.indexOf(score.category)),
        CATEGORIES.length,
      );

      // Assess
      expect(report.accuracy).to.be.at.least(BARS.accuracy);
      expect(report.macroF1).to.be.at.least(BARS.macroF1);
    });

    it('ranks the injected anomalies of unseen users at or above the ROC AUC bar', async () => {
      // Act
      const auc = rocAuc(
        freshScores.map((score) => score.anomalyScore),
        fresh.labels.map((label) => label.isAnomaly),
      );

      // Assess
      expect(auc).to.be.at.least(BARS.rocAuc);
    });

    it('returns twelve probabilities summing to one, and flags by the manifest threshold', async () => {
      // Act
      const scores = await scorer.score(fresh.transactions.slice(0, 64));

      // Assess
      const threshold = scorer.models.manifest.models.anomaly.threshold;
      for (const score of scores) {
        expect(score.categoryScores).to.have.length(CATEGORIES.length);
        expect(score.categoryScores.reduce((sum, p) => sum + p, 0)).to.be.closeTo(1, 1e-5);
        expect(score.anomalyScore).to.be.within(0, 1);
        expect(score.isAnomaly).to.equal(score.anomalyScore >= threshold);
      }
      expect(await scorer.score([])).to.deep.equal([]);
    });

    it('matches a plain TypeScript forward pass of the same weights within 1e-5', async () => {
      // Prepare
      const { manifest, featuriser } = scorer.models;
      const sample = fresh.transactions.slice(0, 400);
      const categoriser = softmaxFromInitializers(decodeModel(await readFile(join(DEFAULT_MODELS_DIR, manifest.models.categoriser.file))).initializers);
      const anomaly = mlpFromInitializers(decodeModel(await readFile(join(DEFAULT_MODELS_DIR, manifest.models.anomaly.file))).initializers);

      // Act
      const onnx = await scorer.score(sample);
      const probabilities = softmaxForward(categoriser, featuriser.categoriser.featurise(sample), sample.length);
      const anomalyScores = mlpForward(anomaly, featuriser.anomaly.featurise(sample), sample.length);

      // Assess
      let worst = 0;
      onnx.forEach((score, r) => {
        score.categoryScores.forEach((p, k) => (worst = Math.max(worst, Math.abs(p - (probabilities[r * CATEGORIES.length + k] as number)))));
        worst = Math.max(worst, Math.abs(score.anomalyScore - (anomalyScores[r] as number)));
      });
      expect(worst).to.be.at.most(BARS.parity);
    });
  });

  describe('Method: manifest metrics', () => {
    it('records held-out figures at or above the bars', () => {
      // Prepare
      const { categoriser, anomaly } = scorer.models.manifest.models;

      // Assess
      expect(categoriser.metrics.accuracy).to.be.at.least(BARS.accuracy);
      expect(categoriser.metrics.macroF1).to.be.at.least(BARS.macroF1);
      expect(anomaly.metrics.rocAuc).to.be.at.least(BARS.rocAuc);
      expect(scorer.modelIds.categoriser).to.equal(`categoriser@${categoriser.version}+${categoriser.sha256.slice(0, 12)}`);
    });
  });
});
