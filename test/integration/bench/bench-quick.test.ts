import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPACITY_TARGETS } from '../../../bench/capacity.js';
import type { BenchResult, CeilingName } from '../../../bench/result.js';
import { OFFERED_LOADS_PER_SHARD, runBench } from '../../../bench/run-bench.js';
import { getLocalEnv } from '../../helpers/local-env.js';

const positive = (value: unknown, what: string): void => {
  expect(value, what).to.be.a('number');
  expect(Number.isFinite(value), `${what} is finite`).to.equal(true);
  expect(value as number, what).to.be.greaterThan(0);
};

/** `npm run bench -- --quick`, in-process on the shared environment: the shape of what it writes, never its speed. */
describe('Function: runBench', function () {
  // CI's smoke run: the quick profile is sized to finish in under two minutes on 2 cores.
  this.timeout(300_000);
  let outDir: string;

  before(function () {
    outDir = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  });

  after(function () {
    rmSync(outDir, { recursive: true, force: true });
  });

  describe('Option: quick', function () {
    it('writes a result with every ceiling, pipeline figure and chart, and a table row per figure', async function () {
      // Prepare
      const env = await getLocalEnv();

      // Act
      const result = await runBench({ quick: true, outDir, env });

      // Assess
      const written = JSON.parse(readFileSync(join(outDir, result.files.json), 'utf8')) as BenchResult;
      expect(written.mode).to.equal('quick');
      for (const name of ['putRecords', 'getRecords', 'viewWrites', 'queueNoop', 'inference'] as CeilingName[]) {
        positive(written.ceilings[name].perSecond, `ceiling ${name}`);
        positive(written.ceilings[name].items, `ceiling ${name} items`);
      }
      const p = written.pipeline;
      positive(p.endToEnd.perSecond, 'end-to-end records/s');
      positive(p.endToEnd.ratio, 'end-to-end ratio to the lowest ceiling');
      expect(written.ceilings[p.endToEnd.lowestCeiling.name].perSecond).to.equal(p.endToEnd.lowestCeiling.perSecond);
      positive(p.scorer.perSecond, 'scorer records/s');
      positive(p.scorer.ratio, 'scorer ratio to the BullMQ no-op ceiling');
      expect(p.loads.map((l) => l.perShard)).to.deep.equal([...OFFERED_LOADS_PER_SHARD]);
      for (const load of p.loads) {
        positive(load.inView, `records in view at ${load.perShard}/s`);
        for (const key of ['p50', 'p95', 'p99', 'max'] as const) positive(load.latencyMs[key], `${key} at ${load.perShard}/s`);
        expect(load.latencyMs.p50).to.be.at.most(load.latencyMs.p99);
      }
      for (const role of ['crawler', 'stream-reader', 'scorer', 'projector']) {
        positive(p.peakRssMiB[role], `peak RSS of ${role}`);
        positive(p.cpu[role]?.recordsPerCpuSecond, `records per CPU second of ${role}`);
      }
      expect(written.capacity.rows.map((r) => r.transactionsPerSecond)).to.deep.equal([...CAPACITY_TARGETS]);
      for (const row of written.capacity.rows) {
        positive(row.shards.raw, `raw shards at ${row.transactionsPerSecond}/s`);
        positive(row.shards.results, `results shards at ${row.transactionsPerSecond}/s`);
        for (const role of ['crawler', 'stream-reader', 'scorer', 'projector']) positive(row.tasks[role], `${role} tasks at ${row.transactionsPerSecond}/s`);
        expect(row.limits.length, `limits at ${row.transactionsPerSecond}/s`).to.be.greaterThan(0);
      }
      positive(written.workload.viewActionsPerRecord, 'view write actions per record');
      expect(p.lost).to.equal(0);
      expect(p.doubleCounted).to.equal(0);
      expect(p.timeline.perSecond.length).to.be.greaterThan(0);
      expect(written.figures.length).to.be.greaterThan(10);
      for (const figure of written.figures) expect(Number.isFinite(figure.value), figure.name).to.equal(true);
      for (const svg of [result.files.latencySvg, result.files.throughputSvg]) {
        expect(readFileSync(join(outDir, svg), 'utf8')).to.match(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
      }
      expect(existsSync(join(outDir, result.files.report))).to.equal(true);
      expect(readFileSync(join(outDir, result.files.report), 'utf8')).to.include(result.files.latencySvg);
    });
  });
});
