import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { roundTrip, startLocalEnv } from '../../local/env/index.js';
import { Progress } from '../progress.js';
import { addEnvOptions, envOptions } from './local-env.js';
import type { EnvFlags } from './local-env.js';

async function run(flags: EnvFlags & { json?: string }): Promise<void> {
  const progress = new Progress();
  const env = await startLocalEnv(envOptions(flags, progress));
  let failed = 0;
  try {
    for (const p of env.processes) progress.step(`${p.name.padEnd(15)} pid ${p.pid} on 127.0.0.1:${p.port}`);
    const steps = await roundTrip(env);
    for (const s of steps) {
      progress.step(`${s.ok ? 'ok  ' : 'FAIL'} ${s.service.padEnd(9)} ${s.what} (${s.ms} ms): ${s.detail}`);
      if (!s.ok) failed += 1;
    }
    if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ endpoints: env.endpoints, steps }, null, 2)}\n`);
  } finally {
    await env.stop();
    progress.step(`stopped ${env.processes.map((p) => p.name).join(', ')}; no process left behind`);
  }
  if (failed > 0) throw new Error(`${failed} service round trip(s) failed`);
}

export function runCommand(): Command {
  return addEnvOptions(
    new Command('run')
      .description('bring the local environment up, push a record through every service, and shut it down')
      .option('--json <file>', 'write the result as JSON to this file'),
  ).action((flags) => run(flags));
}
