import { capacityMarkdown } from '../capacity.js';
import type { BenchResult } from '../result.js';
import { figuresMarkdown } from './table.js';

/** The run's report: machine, figures against targets, and the two pictures beside it. */
export function benchReportMarkdown(result: BenchResult): string {
  const m = result.machine;
  const s = result.settings;
  return `# Benchmark ${result.startedAt} (${result.mode})

Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; load average ${m.loadAverage} at the start.
Run took ${Math.round(result.durationMs / 1000)} s. Embedded environment (kinesalite, DynamoDB Local, Redis), every worker
its own process; ${s.shards} shard(s) per stream, jobs of ${s.jobRecords} records, scorer concurrency ${s.scorerConcurrency},
${s.inferenceThreads} inference thread(s), projector batches of ${s.projectorBatch}.

${figuresMarkdown(result.figures)}

Ceilings are each stage's raw rate measured in the same run with nothing else running; the end-to-end
rate is judged against the lowest of them, so the ratio holds on a noisier machine where absolute
figures do not. Latency is from the crawler's ingest to the projector's write (\`viewedAt - ingestedAt\`).

![Latency from ingest to view](${result.files.latencySvg})

![Records per second into the view](${result.files.throughputSvg})

## Capacity (${result.capacity.stack} task sizes)

${capacityMarkdown(result.capacity.rows, result.capacity.inputs, result.capacity.stack)}
`;
}
