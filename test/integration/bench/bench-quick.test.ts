import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KINESIS_SHARD_LIMITS } from '../../../local/env/front/limits/kinesis-limits.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * What this test reads of the bench's JSON result. The test runs the bench as its users do, as a
 * command, and reads its output file: bench/ and test/ never import each other.
 */
interface WrittenBench {
  readonly mode: string;
  readonly settings: { shards: number; backlogShards: number };
  readonly ceilings: Record<string, { perSecond: number; items: number }>;
  readonly consumer: Record<'bare' | 'library', { records: number; perCpuSecond: number }>;
  readonly pipeline: {
    readonly endToEnd: { perSecond: number; ratio: number; storeCeilingPerSecond: number; lowestCeiling: { name: string; perSecond: number } };
    readonly scorer: { perSecond: number; ratio: number };
    readonly loads: readonly { perShard: number; inView: number; latencyMs: Record<'p50' | 'p95' | 'p99' | 'max', number>; reads?: { getRecordsPerSecondPerShard: number; throttledReads: number; throttledWriteRecords: number } }[];
    readonly aws?: { deniedCalls: number; fanOut?: { recordsPushed: number; pipeWaits?: number }; tables: readonly { table: string; wruPerRecord: number; rruPerRecord: number; roles: Record<string, { wru: number; rru: number } | undefined> }[] };
    readonly peakRssMiB: Record<string, number>;
    readonly cpu: Record<string, { recordsPerCpuSecond: number } | undefined>;
    readonly backlogCpu: Record<string, { recordsPerCpuSecond: number } | undefined>;
    readonly backlogEnvCpu: Record<string, number>;
    readonly backlogThrottledWriteRecords?: number;
    readonly lost: number;
    readonly doubleCounted: number;
    readonly timeline: { perSecond: readonly unknown[] };
  };
  readonly capacity: { rows: readonly { transactionsPerSecond: number; shards: { raw: number; results: number }; tasks: Record<string, number>; limits: readonly unknown[] }[] };
  readonly workload: { viewWruPerRecord: number };
  readonly figures: readonly { name: string; value: number }[];
  readonly files: { json: string; report: string; latencySvg: string; throughputSvg: string };
}

/** Runs `npm run bench -- --quick --out DIR` (the same command, without npm's banner); resolves with its exit code and output. */
function runQuickBench(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', 'bench/index.ts', '--quick', '--out', outDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const ascending = (values: readonly number[]): boolean => values.every((v, i) => i === 0 || v > values[i - 1]!);

const positive = (value: unknown, what: string): void => {
  expect(value, what).to.be.a('number');
  expect(Number.isFinite(value), `${what} is finite`).to.equal(true);
  expect(value as number, what).to.be.greaterThan(0);
};

/** `npm run bench -- --quick`, as a command with its own environment: the shape of what it writes, never its speed. */
describe('Command: npm run bench', function () {
  // CI's smoke run: the quick profile is sized to finish in under two minutes on 2 cores.
  this.timeout(420_000);
  let outDir: string;

  before(function () {
    outDir = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  });

  after(function () {
    rmSync(outDir, { recursive: true, force: true });
  });

  describe('Option: quick', function () {
    it('writes a result with every ceiling, pipeline figure and chart, and a table row per figure', async function () {
      // Prepare: an empty output directory (before())

      // Act
      const run = await runQuickBench(outDir);

      // Assess
      expect(run.code, run.output.slice(-4000)).to.equal(0);
      const jsonFiles = readdirSync(outDir).filter((file) => file.endsWith('.json'));
      expect(jsonFiles, 'one JSON result').to.have.length(1);
      const written = JSON.parse(readFileSync(join(outDir, jsonFiles[0]!), 'utf8')) as WrittenBench;
      expect(written.files.json).to.equal(jsonFiles[0]);
      expect(written.mode).to.equal('quick');
      for (const name of ['putRecords', 'getRecords', 'storeWrites', 'viewWrites', 'queueNoop', 'inference']) {
        positive(written.ceilings[name]?.perSecond, `ceiling ${name}`);
        positive(written.ceilings[name]?.items, `ceiling ${name} items`);
      }
      const p = written.pipeline;
      positive(p.endToEnd.perSecond, 'end-to-end records/s');
      // The backlog runs on enough shards that Kinesis' write limit cannot bound it below the store's ceiling.
      expect(written.settings.backlogShards * KINESIS_SHARD_LIMITS.writeRecords, 'backlog shards × write limit').to.be.at.least(written.ceilings['storeWrites']!.perSecond);
      positive(p.endToEnd.ratio, 'end-to-end ratio to the store ceiling');
      expect(p.endToEnd.storeCeilingPerSecond).to.equal(written.ceilings['storeWrites']?.perSecond);
      for (const loop of ['bare', 'library'] as const) {
        positive(written.consumer[loop].perCpuSecond, `${loop} GetRecords records per CPU second`);
        expect(written.consumer[loop].records, `${loop} loop read every record`).to.equal(written.consumer.bare.records);
      }
      expect(written.ceilings[p.endToEnd.lowestCeiling.name]?.perSecond).to.equal(p.endToEnd.lowestCeiling.perSecond);
      positive(p.scorer.perSecond, 'scorer records/s');
      positive(p.scorer.ratio, 'scorer ratio to the BullMQ no-op ceiling');
      expect(p.loads.length, 'offered loads').to.be.greaterThan(0);
      expect(ascending(p.loads.map((l) => l.perShard)), 'offered loads rise').to.equal(true);
      for (const load of p.loads) {
        positive(load.inView, `records in view at ${load.perShard}/s`);
        for (const key of ['p50', 'p95', 'p99', 'max'] as const) positive(load.latencyMs[key], `${key} at ${load.perShard}/s`);
        expect(load.latencyMs.p50).to.be.at.most(load.latencyMs.p99);
        positive(load.reads?.getRecordsPerSecondPerShard, `GetRecords calls/s per shard at ${load.perShard}/s`);
        expect(load.reads?.throttledReads, `throttled reads at ${load.perShard}/s`).to.be.a('number');
        expect(load.reads?.throttledWriteRecords, `records throttled on write at ${load.perShard}/s`).to.be.a('number');
      }
      // What the producers' bursts spent of the shards' write limit on the backlog, printed beside the calls.
      expect(p.backlogThrottledWriteRecords, 'records throttled on write on the backlog').to.be.a('number');
      expect(written.figures.some((f) => f.name === 'Kinesis records throttled on write on the backlog'), 'write throttling figure').to.equal(true);
      // The fronts' account of the AWS contracts: no denial, and the view's writes counted per table and role.
      expect(p.aws?.deniedCalls, 'calls denied by IAM').to.equal(0);
      // Both live hops are pushed; how often a push waited for a consumer's 2 MiB/s is counted (a count, whatever it is).
      positive(p.aws?.fanOut?.recordsPushed, 'records pushed by enhanced fan-out');
      expect(p.aws?.fanOut?.pipeWaits, 'pushes that waited for a read pipe').to.be.a('number');
      const viewCost = p.aws?.tables.find((t) => t.table.endsWith('-view'));
      positive(viewCost?.wruPerRecord, 'view WRU per record offered');
      positive(viewCost?.roles['projector']?.wru, 'view WRU the projector spent');
      for (const role of ['crawler', 'stream-reader', 'scorer', 'projector']) {
        positive(p.peakRssMiB[role], `peak RSS of ${role}`);
        positive(p.cpu[role]?.recordsPerCpuSecond, `records per CPU second of ${role}`);
        positive(p.backlogCpu[role]?.recordsPerCpuSecond, `records per CPU second of ${role} on the backlog`);
      }
      // The machine's other CPU on the backlog: the store and the fronts were busy with it too.
      for (const name of ['dynamodb-local', 'fronts']) positive(p.backlogEnvCpu[name], `CPU of ${name} on the backlog`);
      expect(written.figures.some((f) => f.name.startsWith('Machine CPU per record on the backlog')), 'machine CPU per record figure').to.equal(true);
      expect(written.capacity.rows.length, 'capacity rows').to.be.greaterThan(0);
      expect(ascending(written.capacity.rows.map((r) => r.transactionsPerSecond)), 'capacity targets rise').to.equal(true);
      for (const row of written.capacity.rows) {
        positive(row.shards.raw, `raw shards at ${row.transactionsPerSecond}/s`);
        positive(row.shards.results, `results shards at ${row.transactionsPerSecond}/s`);
        for (const role of ['crawler', 'stream-reader', 'scorer', 'projector']) positive(row.tasks[role], `${role} tasks at ${row.transactionsPerSecond}/s`);
        expect(row.limits.length, `limits at ${row.transactionsPerSecond}/s`).to.be.greaterThan(0);
      }
      positive(written.workload.viewWruPerRecord, 'view WRU per record');
      expect(p.lost).to.equal(0);
      expect(p.doubleCounted).to.equal(0);
      expect(p.timeline.perSecond.length).to.be.greaterThan(0);
      expect(written.figures.length).to.be.greaterThan(10);
      for (const figure of written.figures) expect(Number.isFinite(figure.value), figure.name).to.equal(true);
      for (const svg of [written.files.latencySvg, written.files.throughputSvg]) {
        expect(readFileSync(join(outDir, svg), 'utf8')).to.match(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
      }
      expect(existsSync(join(outDir, written.files.report))).to.equal(true);
      expect(readFileSync(join(outDir, written.files.report), 'utf8')).to.include(written.files.latencySvg);
    });
  });
});
