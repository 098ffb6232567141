import { expect } from 'chai';
import { LocalArchiver } from '../../local/archiver/index.js';
import { deliveryStreamName } from '../../shared/archive/archive-key.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { scanView } from '../../shared/view/scan-view.js';
import { Replayer } from '../../workers/replay/replayer.js';
import { runScenario, syntheticLines } from './harness/scenario.js';

/** Versions the projectors have written (a replayed version is written again, unchanged). */
const versionsWritten = async (workers: readonly { health(): Promise<Record<string, unknown> | undefined> }[]): Promise<number> => {
  const bodies = await Promise.all(workers.map((w) => w.health()));
  return bodies.reduce((sum, b) => {
    const writer = (b?.['details'] as { projector?: { writer?: { written?: number; repeated?: number } } } | undefined)?.projector?.writer;
    return sum + (writer?.written ?? 0) + (writer?.repeated ?? 0);
  }, 0);
};

/** What the read model shows of every transaction, but for when it was last scored and written (a replay scores and writes it again). */
const shown = async (dynamodb: DynamoDBClient, tableName: string): Promise<Map<string, string>> =>
  new Map((await scanView(dynamodb, tableName)).transactions.map(({ viewedAt: _viewedAt, scoredAt: _scoredAt, ...rest }) => [rest.transactionId, JSON.stringify(rest)]));

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: the same transactions sent twice, then a replay of processed data', function () {
    it('changes nothing the second and third time', async function () {
      // Prepare
      const first = syntheticLines(500, 9009);
      // Every transaction sent again later in the feed, exactly as before.
      const lines = [...first.slice(0, 250), ...first.slice(0, 100), ...first.slice(250), ...first.slice(100)];
      let archiver: LocalArchiver | undefined;
      let replayed = 0;
      const windowStart = new Date(Date.now() - 3_600_000);

      // Act
      const { row, expected } = await runScenario({
        name: 'sent twice + replay of processed data',
        lines,
        perSecond: 80,
        inject: async ({ env, clients }) => {
          // The local stand-in for Firehose archives the raw stream while the run goes, as in AWS.
          archiver = new LocalArchiver({
            kinesis: clients.kinesis,
            dynamodb: clients.dynamodb,
            s3: clients.s3,
            streamName: env.names.streams.raw,
            leaseTableName: env.names.tables.leases,
            bucket: env.names.buckets.rawArchive,
            deliveryStreamName: deliveryStreamName(env.stack),
            bufferIntervalMs: 1_000,
            consumer: { failoverTimeMs: 3_000, idleTimeBetweenReadsMs: 100 },
          });
          await archiver.start();
        },
        afterDrain: async ({ env, clients, pipeline, details, log }) => {
          // Everything is in the view; the archiver reads to the tip of the raw stream and writes what it read.
          await archiver!.drain(60_000);
          await archiver!.close();
          const before = await versionsWritten(pipeline.workers('projector'));
          const shownBefore = await shown(clients.dynamodb, env.names.tables.view);
          const replayer = new Replayer({ s3: clients.s3, kinesis: clients.kinesis, rawArchiveBucket: env.names.buckets.rawArchive, streamName: env.names.streams.rawHistory });
          const summary = await replayer.run({ from: windowStart, to: new Date(Date.now() + 3_600_000) });
          replayed = summary.put;
          log(`replayed ${summary.put} records from ${summary.objects} archive objects`);
          // The replayed records go through the whole pipeline; the projector writes each version again, unchanged.
          const deadline = Date.now() + 120_000;
          while ((await versionsWritten(pipeline.workers('projector'))) - before < replayed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
          details['sentTwice'] = lines.length - first.length;
          details['replayed'] = replayed;
          details['replayRewrittenInView'] = (await versionsWritten(pipeline.workers('projector'))) - before;
          const shownAfter = await shown(clients.dynamodb, env.names.tables.view);
          details['changedByReplay'] = [...new Set([...shownBefore.keys(), ...shownAfter.keys()])].filter((id) => shownBefore.get(id) !== shownAfter.get(id)).length;
        },
      });

      // Assess
      expect(expected.deduplicated).to.equal(first.length);
      expect(replayed, 'records replayed from the archive').to.be.at.least(expected.accepted.size);
      expect(row.details['replayRewrittenInView']).to.be.at.least(replayed);
      expect(row.details['changedByReplay'], 'transactions the replay changed in the view').to.equal(0);
      expect(row.rejected).to.equal(0);
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
