import { Command, Option } from 'commander';
import { InterruptedError, UsageError, integer, nonNegativeNumber, untilInterrupted, watchInterrupts, wholeNumber } from '../../shared/command-line/index.js';
import { startBroker } from '../../local/broker/index.js';
import type { BrokerOptions } from '../../local/broker/index.js';

interface BrokerFlags {
  records?: number;
  input?: string;
  port: number;
  host?: string;
  apiKey?: string;
  rateLimit?: number;
  errorRate?: number;
  resetRate?: number;
  maxPageSize?: number;
  seed?: number;
  users?: number;
  startAt?: string;
  publishPerSecond?: number;
  json?: boolean;
}

async function run(flags: BrokerFlags): Promise<void> {
  if (flags.records === undefined && flags.input === undefined) throw new UsageError('give --records N or --input FILE');
  const interrupts = watchInterrupts();
  const options: BrokerOptions = {
    ...(flags.records === undefined ? {} : { records: flags.records }),
    ...(flags.input === undefined ? {} : { input: flags.input }),
    port: flags.port,
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(flags.apiKey === undefined ? {} : { apiKey: flags.apiKey }),
    ...(flags.rateLimit === undefined ? {} : { rateLimit: flags.rateLimit }),
    ...(flags.errorRate === undefined ? {} : { errorRate: flags.errorRate }),
    ...(flags.resetRate === undefined ? {} : { resetRate: flags.resetRate }),
    ...(flags.maxPageSize === undefined ? {} : { maxPageSize: flags.maxPageSize }),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.users === undefined ? {} : { users: flags.users }),
    ...(flags.startAt === undefined ? {} : { startAt: flags.startAt }),
    ...(flags.publishPerSecond === undefined ? {} : { publishPerSecond: flags.publishPerSecond }),
  };
  const broker = await startBroker(options);
  const lines = broker.lines().length;
  if (flags.json) {
    // One line a parent process can read to learn where the broker is and how to call it.
    process.stdout.write(`${JSON.stringify({ url: broker.url, apiKey: broker.apiKey, lines })}\n`);
  } else {
    console.log(`mock broker serving ${lines} lines at ${broker.url}/v1/transactions`);
    console.log(`export BROKER_URL=${JSON.stringify(broker.url)}`);
    console.log(`export BROKER_API_KEY=${JSON.stringify(broker.apiKey)}`);
    console.log('Ctrl-C stops it.');
  }
  const signal = await untilInterrupted(interrupts.signal);
  interrupts.dispose();
  await broker.close();
  if (!flags.json) console.log(`stopped on ${signal}: ${JSON.stringify(broker.stats())}`);
  // SIGTERM is a server's normal stop; Ctrl-C is an interrupt and says so in the exit code.
  if (signal === 'SIGINT') throw new InterruptedError(`stopped the mock broker after serving ${broker.stats().linesServed} lines`, signal);
}

/** `insights broker`: the mock data broker on loopback, until Ctrl-C or SIGTERM. */
export function brokerCommand(): Command {
  return new Command('broker')
    .description('serve the broker API (GET /v1/transactions) on loopback from synthetic transactions or a file')
    .addOption(new Option('--records <n>', 'serve this many seeded synthetic transactions').argParser(wholeNumber()).conflicts('input'))
    .addOption(new Option('--input <file>', 'serve this NDJSON file exactly as written (broken lines stay broken)').conflicts('records'))
    .addOption(new Option('--port <port>', 'port to listen on (0 picks a free one)').argParser(wholeNumber()).default(0))
    .addOption(new Option('--host <host>', 'address to listen on').default(undefined, '127.0.0.1'))
    .addOption(new Option('--api-key <key>', 'bearer token clients must send (default: a random one, printed)').env('BROKER_API_KEY'))
    .addOption(new Option('--rate-limit <perSecond>', 'requests per second before 429 with Retry-After (0: none)').argParser(nonNegativeNumber))
    .addOption(new Option('--error-rate <share>', 'share of page requests answered 500/502/503, 0 to 1').argParser(nonNegativeNumber))
    .addOption(new Option('--reset-rate <share>', 'share of page requests whose connection drops mid-body, 0 to 1').argParser(nonNegativeNumber))
    .addOption(new Option('--max-page-size <n>', 'most lines per page whatever limit asks').argParser(wholeNumber()))
    .addOption(new Option('--seed <n>', 'seed of the generator and the injected faults').argParser(integer))
    .addOption(new Option('--users <n>', 'synthetic account holders').argParser(wholeNumber()))
    .addOption(new Option('--start-at <date>', 'first day of synthetic data (ISO date); default keeps every line in the past'))
    .addOption(new Option('--publish-per-second <n>', 'make lines visible at this rate, like a live feed (0: all at once)').argParser(nonNegativeNumber))
    .option('--json', 'print one JSON line {url, apiKey, lines} when ready, for a parent process')
    .action(run);
}
