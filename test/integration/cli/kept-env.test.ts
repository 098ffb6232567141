import { expect } from 'chai';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../../shared/command-line/exit-code.js';
import { isProcessAlive } from '../../../local/env/index.js';
import type { KeptEnvState } from '../../../local/env/index.js';
import { STACK_TRACE, commandWorkdir, runCommand, startCommand } from '../../helpers/command.js';
import type { CommandResult } from '../../helpers/command.js';
import { uniqueStack } from '../../helpers/local-env.js';

/** Every pid the state file names: supervisor, servers and registered workers. */
function statePids(state: KeptEnvState): number[] {
  return [state.supervisorPid, ...state.processes.map((p) => p.pid), ...(state.workers ?? []).map((p) => p.pid)];
}

/** Pids still alive once they had `timeoutMs` to go (a stopped process takes a moment to be reaped). */
async function stillAlive(pids: readonly number[], timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter((pid) => isProcessAlive(pid));
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `insights batch --json` again until a run writes rows (or the deadline passes): the last run's result. */
async function batchUntilRows(insights: (args: readonly string[]) => Promise<CommandResult>, timeoutMs: number): Promise<CommandResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await insights(['batch', '--json']);
    const rowsOut = batch.code === ExitCode.Ok ? (JSON.parse(batch.stdout) as { rowsOut: number }).rowsOut : 0;
    if (batch.code !== ExitCode.Ok || rowsOut > 0 || Date.now() > deadline) return batch;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/**
 * A kept environment as users meet it, through the real CLI in a folder of its own: data left
 * after `run --keep` for view, batch and query; a supervisor killed outright healed by the next
 * `up --keep`; `down` leaving no process.
 */
describe('CLI: kept local environment', function () {
  this.timeout(300_000);
  let cwd: string;
  const insights = (args: readonly string[]): Promise<CommandResult> => runCommand('cli/main.ts', args, { cwd });
  const state = (): KeptEnvState => JSON.parse(readFileSync(join(cwd, '.local', 'env.json'), 'utf8')) as KeptEnvState;

  beforeEach(() => {
    cwd = commandWorkdir('insights-kept-test-');
  });
  afterEach(async () => {
    // Whatever a failed test left running goes with it.
    if (existsSync(join(cwd, '.local', 'env.json'))) await insights(['local', 'env', 'down']);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('after run --keep, view, batch and query find the run\'s data, and down leaves no process', async () => {
    // Prepare
    const run = await insights(['run', '--keep', '--records', '200', '--signups', '0', '--stack', uniqueStack()]);
    expect(run.code, run.stderr).to.equal(ExitCode.Ok);
    const user = /npx insights view (\S+)/.exec(run.stdout)?.[1];
    expect(user, run.stdout).to.be.a('string');
    const pids = statePids(state());

    // Act
    const view = await insights(['view', user!]);
    // The kept environment's archiver writes an object per 2 s buffer, as Firehose does per buffer
    // interval: a batch run just after the run may find nothing archived yet, and the next one will.
    const batch = await batchUntilRows(insights, 30_000);
    const query = await insights(['query', 'SELECT count(*) AS n FROM enriched', '--json']);
    const down = await insights(['local', 'env', 'down']);

    // Assess
    expect(view.code, view.stderr).to.equal(ExitCode.Ok);
    expect(view.stdout).to.contain(`Insights for ${user}`);
    expect(batch.code, batch.stderr).to.equal(ExitCode.Ok);
    expect((JSON.parse(batch.stdout) as { rowsOut: number }).rowsOut).to.be.greaterThan(0);
    expect(query.code, query.stderr).to.equal(ExitCode.Ok);
    expect(query.stdout).to.match(/"n":\s*"?[1-9]/);
    expect(down.code, down.stderr).to.equal(ExitCode.Ok);
    expect(await stillAlive(pids)).to.deep.equal([]);
    expect(existsSync(join(cwd, '.local', 'env.json'))).to.equal(false);
  });

  it('prints an environment for eval with every role\'s variables; after its supervisor is killed, up --keep stops the orphans and starts clean', async () => {
    // Prepare: a kept environment whose supervisor dies without cleaning up.
    const first = await insights(['local', 'env', 'up', '--keep', '--stack', uniqueStack()]);
    expect(first.code, first.stderr).to.equal(ExitCode.Ok);
    const stale = state();
    process.kill(stale.supervisorPid, 'SIGKILL');
    await stillAlive([stale.supervisorPid]);
    const orphans = stale.processes.map((p) => p.pid);
    expect(orphans.filter((pid) => isProcessAlive(pid)), 'servers outlive a killed supervisor').to.not.deep.equal([]);

    // Act
    const second = await insights(['local', 'env', 'up', '--keep', '--stack', uniqueStack()]);

    // Assess
    expect(second.code, second.stderr).to.equal(ExitCode.Ok);
    expect(second.stderr).to.match(/found a stale .*env\.json/);
    expect(second.stderr).to.not.match(STACK_TRACE);
    expect(await stillAlive(orphans)).to.deep.equal([]);
    expect(state().supervisorPid).to.not.equal(stale.supervisorPid);
    const lines = second.stdout.trim().split('\n');
    expect(lines.filter((line) => !line.startsWith('#') && !/^export [A-Z0-9_]+='[^']*'$/.test(line)), 'lines eval would not take').to.deep.equal([]);
    for (const key of ['INGEST_LEDGER_TABLE_NAME', 'CRAWLER_STATE_TABLE_NAME', 'VIEW_TABLE_NAME', 'AWS_ENDPOINT_URL_KINESIS']) expect(second.stdout).to.match(new RegExp(`^export ${key}='.+'$`, 'm'));
    expect(second.stdout).to.match(/^export HEALTH_PORT='0'$/m);
  });
});

/** `run --follow` is reachable from other shells while it runs, and `down` stops it. */
describe('CLI: insights run --follow, seen from another shell', function () {
  this.timeout(240_000);
  let cwd: string;

  beforeEach(() => {
    cwd = commandWorkdir('insights-follow-test-');
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('names its environment in .local/env.json so view works elsewhere, and local env down stops it with no process left', async () => {
    // Prepare
    const run = startCommand('cli/main.ts', ['run', '--follow', '--records', '200', '--signups', '0', '--stack', uniqueStack()], { cwd });
    await run.waitFor(/insights page for (\S+)/, 180_000);
    const user = /insights page for (\S+)/.exec(run.output.stderr)![1]!;
    const state = JSON.parse(readFileSync(join(cwd, '.local', 'env.json'), 'utf8')) as KeptEnvState;
    const workers = [...run.output.stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));

    // Act
    const view = await runCommand('cli/main.ts', ['view', user], { cwd });
    const down = await runCommand('cli/main.ts', ['local', 'env', 'down'], { cwd });
    const result = await run.done;

    // Assess
    expect(state.supervisorPid).to.equal(run.child.pid);
    expect(view.code, view.stderr).to.equal(ExitCode.Ok);
    expect(view.stdout).to.contain(`Insights for ${user}`);
    expect(down.code, down.stderr).to.equal(ExitCode.Ok);
    expect(result.code, result.stderr).to.equal(ExitCode.Terminated);
    expect(result.stdout).to.match(/lost\s+0/);
    expect(await stillAlive([...workers, ...state.processes.map((p) => p.pid)])).to.deep.equal([]);
    expect(existsSync(join(cwd, '.local', 'env.json'))).to.equal(false);
  });
});
