import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ExitCode } from '../../../shared/command-line/exit-code.js';
import { ROOT, STACK_TRACE, mapLimit, runCommand } from '../../helpers/command.js';

/**
 * The conventions every entry point shares (shared/command-line): usage errors exit 2 with the
 * usage line, other failures 1 with one `error:` line, `--help` and `--version` exit 0, and none
 * prints a stack trace for a user's mistake.
 */
describe('Entry points: command-line conventions', function () {
  this.timeout(300_000);

  const usageErrors = [
    { name: 'plan with a misspelt option', file: 'infra/planner/plan.ts', args: ['--stak', 'dev'], usage: 'usage: npm run plan --' },
    { name: 'bench with --shards 0', file: 'bench/index.ts', args: ['--shards', '0'], usage: 'usage: npm run bench --' },
    { name: 'faults with an unknown option', file: 'bench/faults/index.ts', args: ['--nope'], usage: 'usage: npm run faults --' },
    { name: 'models:build with --count abc', file: 'models/build.ts', args: ['--count', 'abc'], usage: 'usage: npm run models:build --' },
    { name: 'insights run --scorers 0', file: 'cli/main.ts', args: ['run', '--scorers', '0'], usage: 'usage: insights run' },
    { name: 'insights replay --rate abc', file: 'cli/main.ts', args: ['replay', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z', '--rate', 'abc'], usage: 'usage: insights replay' },
    { name: 'insights broker without a source', file: 'cli/main.ts', args: ['broker'], usage: 'usage: insights broker' },
    { name: 'insights local env check --endpoint not-a-url', file: 'cli/main.ts', args: ['local', 'env', 'check', '--endpoint', 'not-a-url'], usage: 'usage: insights local env check' },
    { name: 'insights with an unknown command', file: 'cli/main.ts', args: ['nosuch'], usage: 'usage: insights' },
  ] as const;

  it('exits 2 with one error line and the usage line, no stack trace, for each usage error', async () => {
    // Act
    const results = await mapLimit(usageErrors, 2, (c) => runCommand(c.file, c.args));

    // Assess
    results.forEach((result, i) => {
      const c = usageErrors[i]!;
      expect(result.code, `${c.name}: ${result.stderr}`).to.equal(ExitCode.Usage);
      expect(result.stderr, c.name).to.match(/^error: /m).and.contain(c.usage);
      expect(result.stderr, c.name).to.not.match(STACK_TRACE);
      expect(result.stdout, c.name).to.equal('');
    });
  });

  it('answers --help and --version with exit 0', async () => {
    // Prepare
    const calls = [
      { file: 'bench/index.ts', args: ['--help'] },
      { file: 'bench/faults/index.ts', args: ['--help'] },
      { file: 'models/build.ts', args: ['--help'] },
      { file: 'infra/planner/plan.ts', args: ['--version'] },
      { file: 'cli/main.ts', args: ['--version'] },
    ];

    // Act
    const results = await mapLimit(calls, 2, (c) => runCommand(c.file, c.args));

    // Assess
    results.forEach((result, i) => {
      const call = calls[i]!;
      expect(result.code, call.file).to.equal(ExitCode.Ok);
      expect(result.stdout, call.file).to.match(call.args[0] === '--help' ? /^Usage: / : /^realtime-insights \d+\.\d+\.\d+\n$/);
      expect(result.stderr, call.file).to.equal('');
    });
  });

  it('names the stacks that exist when the plan is asked for one that does not, and exits 1', async () => {
    // Act
    const result = await runCommand('infra/planner/plan.ts', ['--stack', 'nosuch']);

    // Assess
    expect(result.code).to.equal(ExitCode.Failure);
    expect(result.stderr).to.contain(`${join(ROOT, 'Pulumi.nosuch.yaml')}: no such stack file; the stacks are dev, local, prod`);
    expect(result.stderr).to.not.contain('//');
    expect(result.stderr).to.not.match(STACK_TRACE);
  });

  it('names an unreachable --endpoint at once instead of a service that did not start', async () => {
    // Prepare: a port nothing listens on (the discard port, closed here).
    const endpoint = 'http://127.0.0.1:9';

    // Act
    const started = Date.now();
    const result = await runCommand('cli/main.ts', ['local', 'env', 'check', '--endpoint', endpoint]);

    // Assess: named before any service wait (each waits 15 s).
    expect(result.code).to.equal(ExitCode.Failure);
    expect(result.stderr).to.contain(`error: nothing answers at ${endpoint}`);
    expect(result.stderr).to.not.match(/did not start/);
    expect(Date.now() - started).to.be.lessThan(15_000);
  });

  it('ends quietly when the reader of its output goes away (plan | head -1)', async () => {
    // Prepare: a shell pipe, exactly as people type it.
    const child = spawn('sh', ['-c', `"${process.execPath}" --import=tsx infra/planner/plan.ts --stack dev | head -1`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));

    // Act
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));

    // Assess
    expect(code).to.equal(0);
    expect(stdout.trim()).to.equal('pulumi:pulumi:Stack realtime-insights-dev');
    expect(stderr).to.not.contain('EPIPE');
    expect(stderr).to.not.match(STACK_TRACE);
  });
});
