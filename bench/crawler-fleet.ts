import { startLocalEnv } from '../local/env/start.js';
import { crawlerFleet, fleetReportLines } from '../local/signups/crawler-fleet.js';

/**
 * `npm run bench:fleet [-- --quick]`: the crawler fleet's scaling (local/signups/crawler-fleet.ts,
 * which bench:signup and the tests run too) on its own, in an environment of its own.
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const env = await startLocalEnv({ provision: false });
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  try {
    const scaling = await crawlerFleet({ env, onStep: log, ...(quick ? { connections: 8, historySize: 1_200 } : {}) });
    process.stdout.write(`${fleetReportLines(scaling).join('\n')}\n`);
    process.stdout.write(`${JSON.stringify({ crawlerFleet: scaling })}\n`);
  } finally {
    await env.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
