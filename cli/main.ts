import { Command } from 'commander';
import { batchCommand } from './commands/batch.js';
import { brokerCommand } from './commands/broker.js';
import { localEnvCommand } from './commands/local-env.js';
import { queryCommand } from './commands/query.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { tokenCommand } from './commands/token.js';
import { viewCommand } from './commands/view.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const program = new Command('insights')
  .description('realtime-insights: run the pipeline locally, read the view, run batch jobs, queries and replays')
  .showHelpAfterError();

program.addCommand(runCommand());
program.addCommand(localEnvCommand());
program.addCommand(brokerCommand());
program.addCommand(viewCommand());
program.addCommand(batchCommand());
program.addCommand(queryCommand());
program.addCommand(replayCommand());
program.addCommand(tokenCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  // One clear line for people; the stack only when asked for.
  console.error(`insights: ${(error as Error).message}`);
  if (process.env['DEBUG']) console.error(error);
  process.exit(1);
});
