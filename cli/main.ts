import { Command } from 'commander';
import { runProgram } from '../shared/command-line/run-program.js';
import { batchCommand } from './commands/batch.js';
import { brokerCommand } from './commands/broker.js';
import { iamCommand } from './commands/iam.js';
import { localEnvCommand } from './commands/local-env.js';
import { queryCommand } from './commands/query.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { tokenCommand } from './commands/token.js';
import { viewCommand } from './commands/view.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const program = new Command('insights').description('realtime-insights: run the pipeline locally, read the view, run batch jobs, queries and replays');

program.addCommand(runCommand());
program.addCommand(localEnvCommand());
program.addCommand(brokerCommand());
program.addCommand(viewCommand());
program.addCommand(batchCommand());
program.addCommand(queryCommand());
program.addCommand(replayCommand());
program.addCommand(tokenCommand());
program.addCommand(iamCommand());

// Exit codes: 0 done, 1 failed, 2 usage, 130 interrupted (shared/command-line/exit-code.ts).
await runProgram(program);
