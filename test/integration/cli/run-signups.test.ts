import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { DEFAULT_SIGNUPS } from '../../../cli/commands/run.js';
import { ExitCode } from '../../../shared/command-line/exit-code.js';
import { commandWorkdir, runCommand } from '../../helpers/command.js';
import { uniqueStack } from '../../helpers/local-env.js';

interface RunJson {
  readonly inView: number;
  readonly lost: number;
  readonly signups?: { readonly count: number; readonly incomplete: number; readonly p50Ms: number; readonly p95Ms: number };
}

/** `insights run` shows both halves of the promise by default: new transactions and new users' histories. */
describe('CLI: insights run, sign-ups', function () {
  this.timeout(300_000);
  let cwd: string;

  beforeEach(() => {
    cwd = commandWorkdir('insights-signups-test-');
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('links the default number of sign-ups, prints their own progress line and reports time to insight', async () => {
    // Prepare: small histories keep the run short; the count is the default's
    const args = ['run', '--records', '200', '--history', '150', '--json', '--stack', uniqueStack()];

    // Act
    const run = await runCommand('cli/main.ts', args, { cwd });

    // Assess
    expect(run.code, run.stderr.slice(-3000)).to.equal(ExitCode.Ok);
    const summary = JSON.parse(run.stdout) as RunJson;
    expect(summary.lost).to.equal(0);
    expect(summary.signups?.count, 'sign-ups whole in the view').to.equal(DEFAULT_SIGNUPS);
    expect(summary.signups?.incomplete).to.equal(0);
    expect(summary.signups!.p50Ms).to.be.greaterThan(0);
    expect(summary.signups!.p95Ms).to.be.at.least(summary.signups!.p50Ms);
    expect(run.stderr).to.match(new RegExp(`sign-ups: ${DEFAULT_SIGNUPS}/${DEFAULT_SIGNUPS} whole in the view \\(time to insight p50 \\d+ ms, p95 \\d+ ms\\)`));
  });

  it('has none with --signups 0', async () => {
    // Act
    const run = await runCommand('cli/main.ts', ['run', '--records', '100', '--signups', '0', '--json', '--stack', uniqueStack()], { cwd });

    // Assess
    expect(run.code, run.stderr.slice(-3000)).to.equal(ExitCode.Ok);
    expect((JSON.parse(run.stdout) as RunJson).signups).to.equal(undefined);
  });
});
