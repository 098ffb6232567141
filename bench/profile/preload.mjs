// Loaded into each worker (and the fronts and kinesalite) with `--import` when the bench runs with --cpu-prof (node refuses
// --cpu-prof itself in NODE_OPTIONS): profiles the whole process through the inspector and
// writes `<role>-<pid>.cpuprofile` into $BENCH_CPU_PROF_DIR as the process exits. The in-process
// inspector session answers synchronously, so the 'exit' handler can still write the file.
import { Session } from 'node:inspector';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
// The workers, and the environment's own Node processes, which share the cores with them.
const isWorker = process.argv.some((arg) => arg.endsWith('workers/main.ts'));
const environmentProcess = process.argv.some((arg) => arg.endsWith('front/main.ts')) ? 'fronts' : process.argv.some((arg) => arg.endsWith('servers/kinesalite.mjs')) ? 'kinesalite' : undefined;
if (dir !== undefined && dir !== '' && (isWorker || environmentProcess !== undefined)) {
  const role = environmentProcess ?? process.argv[process.argv.length - 1] ?? 'worker';
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 1 ms sampling, as --cpu-prof's default interval.
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
