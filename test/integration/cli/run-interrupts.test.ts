import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { ExitCode } from '../../../shared/command-line/exit-code.js';
import { isProcessAlive } from '../../../local/env/index.js';
import { STACK_TRACE, commandWorkdir, startCommand } from '../../helpers/command.js';
import type { StartedCommand } from '../../helpers/command.js';
import { uniqueStack } from '../../helpers/local-env.js';

/** Pids the run named as its workers ("workers up: api-1 (pid 123), ..."). */
function workerPids(stderr: string): number[] {
  return [...(/workers up: (.*)/.exec(stderr)?.[1] ?? '').matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

/** `insights run` as a user starts it, in a folder of its own (its logs and state stay there), stderr not a terminal. */
function startRun(cwd: string, args: readonly string[]): StartedCommand {
  // Without sign-ups: these tests are about where the feed's records stand when interrupted.
  return startCommand('cli/main.ts', ['run', '--stack', uniqueStack(), '--signups', '0', ...args], { cwd, env: { INSIGHTS_STATUS_EVERY_MS: '1000' } });
}

/**
 * Ctrl-C is not data loss: `insights run` interrupted by a real SIGINT exits 130 and says how far
 * it got, whether it was still starting or mid-run, and leaves no process behind.
 */
describe('CLI: insights run, interrupted', function () {
  this.timeout(240_000);
  let cwd: string;

  beforeEach(() => {
    cwd = commandWorkdir('insights-run-test-');
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('stops at once during start-up, exits 130 and reports no loss', async () => {
    // Prepare
    const run = startRun(cwd, ['--records', '3000']);
    await run.waitFor(/starting kinesalite/);

    // Act
    run.child.kill('SIGINT');
    const result = await run.done;

    // Assess
    expect(result.code, result.stderr).to.equal(ExitCode.Interrupted);
    expect(result.stderr).to.match(/^interrupted: during start-up/m);
    expect(result.stderr).to.not.match(/lost|^error: /m);
    expect(result.stderr).to.not.match(STACK_TRACE);
    expect(result.stderr).to.not.contain('workers up');
  });

  it('mid-run prints sparse status lines in records, then on SIGINT says how far the view got, exits 130, and no worker outlives it', async () => {
    // Prepare: enough records that the run is still going when the signal comes.
    const run = startRun(cwd, ['--records', '20000']);
    // Between two reads of the view the count is the projectors' (`~`): either shows the run under way.
    await run.waitFor(/in view ~?[1-9]\d*\/20000/, 180_000);
    const workers = workerPids(run.output.stderr);

    // Act
    run.child.kill('SIGINT');
    const result = await run.done;

    // Assess
    expect(result.code, result.stderr).to.equal(ExitCode.Interrupted);
    expect(result.stderr).to.match(/^\s*[\d.]+s {2}records: served \d+ {2}in view ~?\d+\/20000/m);
    expect(result.stderr).to.match(/^interrupted: \d+ of 20000 in view .* not lost/m);
    expect(result.stderr).to.not.match(/^error: /m);
    expect(result.stdout).to.not.match(/lost/);
    expect(workers).to.have.length.greaterThan(0);
    expect(workers.filter((pid) => isProcessAlive(pid))).to.deep.equal([]);
  });
});
