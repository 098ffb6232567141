import { Command } from 'commander';
import { localEnvCommand } from './commands/local-env.js';
import { runCommand } from './commands/run.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const program = new Command('insights')
  .description('realtime-insights: run the pipeline locally, inspect the view, run batch jobs and replays')
  .showHelpAfterError();

program.addCommand(localEnvCommand());
program.addCommand(runCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  // One clear line for people; the stack only when asked for.
  console.error(`insights: ${(error as Error).message}`);
  if (process.env['DEBUG']) console.error(error);
  process.exit(1);
});
