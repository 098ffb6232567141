import { expect } from 'chai';
import { planScoringJobs } from '../../../workers/stream-reader/job-plan.js';
import { decodeRawRecord } from '../../../workers/stream-reader/record-decoder.js';
import { scoringJobId } from '../../../shared/scoring-job.js';
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
      scoringJobId(options.shardId, sequenceNumber(0), sequenceNumber(3)),
      scoringJobId(options.shardId, sequenceNumber(4), sequenceNumber(7)),
      scoringJobId(options.shardId, sequenceNumber(8), sequenceNumber(9)),
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
    expect(jobs[0]?.id).to.equal(scoringJobId(options.shardId, sequenceNumber(0), sequenceNumber(3)));
  });
});
