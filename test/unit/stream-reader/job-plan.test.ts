import { expect } from 'chai';
import { planScoringJobs } from '../../../workers/stream-reader/job-plan.js';
import { decodeRawRecord } from '../../../workers/stream-reader/record-decoder.js';
import { HISTORY_JOB_PRIORITY, scoringJobId, scoringJobOptions } from '../../../shared/scoring-job.js';
import { Lane } from '../../../shared/schemas/transaction-change.js';
import type { LaneName } from '../../../shared/schemas/transaction-change.js';
import { kinesisRecord, rawRecord, sequenceNumber } from './raw-records.js';

const options = { streamName: 'raw', shardId: 'shardId-000000000001', maxRecordsPerJob: 4 } as const;

function batchOf(count: number, malformed: ReadonlySet<number> = new Set()) {
  return Array.from({ length: count }, (_, i) => kinesisRecord(malformed.has(i) ? 'not json' : JSON.stringify(rawRecord({ transactionId: `tx-${i}` }, i)), sequenceNumber(i)));
}

describe('Function: planScoringJobs', () => {
  it('cuts a batch into jobs of at most maxRecordsPerJob, with ids from shard and sequence range', () => {
    // Prepare
    const batch = batchOf(10);

    // Act
    const jobs = planScoringJobs(batch, batch.map(decodeRawRecord), options);

    // Assess
    expect(jobs.map((j) => j.data.records.length)).to.deep.equal([4, 4, 2]);
    expect(jobs.map((j) => j.id)).to.deep.equal([
      scoringJobId(options.streamName, options.shardId, sequenceNumber(0), sequenceNumber(3)),
      scoringJobId(options.streamName, options.shardId, sequenceNumber(4), sequenceNumber(7)),
      scoringJobId(options.streamName, options.shardId, sequenceNumber(8), sequenceNumber(9)),
    ]);
    expect(jobs.every((j) => !j.id.includes(':'))).to.equal(true);
    expect(jobs[2]?.data).to.include({ stream: 'raw', shardId: options.shardId, firstSequenceNumber: sequenceNumber(8), lastSequenceNumber: sequenceNumber(9) });
  });

  it('gives the same ids for the same batch handed over again', () => {
    // Prepare
    const batch = batchOf(9);

    // Act
    const first = planScoringJobs(batch, batch.map(decodeRawRecord), options);
    const again = planScoringJobs([...batch], batch.map(decodeRawRecord), options);

    // Assess
    expect(again.map((j) => j.id)).to.deep.equal(first.map((j) => j.id));
  });

  it('leaves malformed records out of their chunk without moving the chunk boundaries, and skips an all-malformed chunk', () => {
    // Prepare
    const batch = batchOf(12, new Set([1, 4, 5, 6, 7]));

    // Act
    const jobs = planScoringJobs(batch, batch.map(decodeRawRecord), options);

    // Assess
    expect(jobs.map((j) => j.data.records.map((r) => r.record.transaction.transactionId))).to.deep.equal([
      ['tx-0', 'tx-2', 'tx-3'],
      ['tx-8', 'tx-9', 'tx-10', 'tx-11'],
    ]);
    expect(jobs[0]?.id).to.equal(scoringJobId(options.streamName, options.shardId, sequenceNumber(0), sequenceNumber(3)));
  });

  it("gives every job the lane of the stream it was read from, whatever the records' envelopes say, and the history lane's jobs a priority", () => {
    // Prepare: envelopes of both lanes (a live sync may bring history pages; a replay brings live records) on the history stream
    const lanes: (LaneName | undefined)[] = [undefined, Lane.Live, Lane.History, Lane.History, Lane.History, Lane.Live];
    const batch = lanes.map((lane, i) => {
      const record = rawRecord({ transactionId: `tx-${i}` }, i);
      const withLane = lane === undefined ? record : { ...record, change: { kind: 'added', revision: 0, connectionId: 'conn-1', lane } };
      return kinesisRecord(JSON.stringify(withLane), sequenceNumber(i));
    });

    // Act
    const history = planScoringJobs(batch, batch.map(decodeRawRecord), { ...options, streamName: 'raw-history', lane: Lane.History });
    const live = planScoringJobs(batch, batch.map(decodeRawRecord), options);

    // Assess
    expect(history.map((j) => [j.lane, j.data.lane, j.data.records.length])).to.deep.equal([
      [Lane.History, Lane.History, 4],
      [Lane.History, Lane.History, 2],
    ]);
    expect(live.map((j) => j.data.lane)).to.deep.equal([Lane.Live, Lane.Live]);
    expect(history[0]?.id).to.not.equal(live[0]?.id);
    expect(scoringJobOptions({}, history[0]!.lane).priority).to.equal(HISTORY_JOB_PRIORITY);
    expect(scoringJobOptions({}, live[0]!.lane)).to.not.have.property('priority');
  });
});
