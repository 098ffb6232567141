import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { InsightsError } from '../errors.js';
import { ExitCode } from './exit-code.js';
import type { ExitCodeValue } from './exit-code.js';
import { InterruptedError, UsageError } from './errors.js';
import { guardClosedPipes } from './pipes.js';
import { useOwnTempFolder } from './temp-folder.js';

const SIGNAL_EXIT_CODES = { SIGINT: ExitCode.Interrupted, SIGTERM: ExitCode.Terminated, SIGHUP: 129 } as const;

/**
 * A command that does not watch for signals itself still exits through process.exit on one, so
 * the exit hooks run (child process groups killed, this invocation's temporary folder removed);
 * Node's default would end the process without them.
 */
function exitCleanlyOnSignals(): void {
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    const handler = (): void => {
      if (process.listenerCount(signal) === 1) process.exit(code);
    };
    process.on(signal, handler);
  }
}

export interface RunProgramOptions {
  /** How people start it, for the usage line (`npm run plan --`). @default the program's name */
  readonly invokedAs?: string;
  /** @default process.argv */
  readonly argv?: readonly string[];
  /** What `--version` prints. @default the version in package.json */
  readonly version?: string;
}

const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);

/** The project's version, from package.json (one source for every entry point). */
export function projectVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
}

function commandPath(command: Command, invokedAs: string): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.parent === null ? invokedAs : c.name());
  return names.join(' ');
}

function usageLine(command: Command, invokedAs: string): string {
  return `usage: ${commandPath(command, invokedAs)} ${command.usage()}\n(${commandPath(command, invokedAs)} --help for every option)`;
}

/** Every command of the tree: parse errors throw (no exit inside commander) and show the usage line. */
function configure(command: Command, invokedAs: string): void {
  command.exitOverride();
  command.showHelpAfterError(usageLine(command, invokedAs));
  for (const sub of command.commands) configure(sub, invokedAs);
}

/** Prints what went wrong, once, with the project's one prefix; returns the exit code. */
export function reportError(error: unknown, command: Command | undefined, invokedAs: string): ExitCodeValue {
  if (error instanceof CommanderError) {
    // Commander printed its message and the usage line already (help and --version exit 0).
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  if (error instanceof InterruptedError) {
    process.stderr.write(`interrupted: ${error.message}\n`);
    return error.signal === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (error instanceof UsageError) {
    if (command !== undefined) process.stderr.write(`${usageLine(command, invokedAs)}\n`);
    return ExitCode.Usage;
  }
  if (process.env['DEBUG']) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  else if (error instanceof Error && !(error instanceof InsightsError) && PROGRAMMING_ERRORS.has(error.name)) {
    process.stderr.write('(a bug, not your input: DEBUG=1 prints where it happened)\n');
  }
  return ExitCode.Failure;
}

/**
 * Runs a commander program with the conventions every entry point shares: `--version`; usage
 * errors exit 2 with the usage line; interrupts exit 130; other failures exit 1 with one
 * `error: ` line and no stack trace (DEBUG=1 adds it); a reader that closes the pipe early
 * (`| head`) ends output quietly; nothing the process puts in the temporary folder outlives it
 * (`useOwnTempFolder`). Resolves when the command finished successfully; on failure the
 * process exits with the code.
 *
 * @example
 * await runProgram(new Command('plan').requiredOption('--stack <name>').action(plan), { invokedAs: 'npm run plan --' });
 */
export async function runProgram(program: Command, options: RunProgramOptions = {}): Promise<void> {
  guardClosedPipes();
  useOwnTempFolder();
  exitCleanlyOnSignals();
  const invokedAs = options.invokedAs ?? program.name();
  program.version(options.version ?? projectVersion(), '-V, --version', 'print the version and exit');
  configure(program, invokedAs);
  let current: Command | undefined;
  program.hook('preAction', (_root, action) => {
    current = action;
  });
  try {
    await program.parseAsync([...(options.argv ?? process.argv)]);
  } catch (error) {
    const code = reportError(error, current, invokedAs);
    if (code !== ExitCode.Ok) process.exit(code);
  }
}
