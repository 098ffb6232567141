import { expect } from 'chai';
import { RESULTS_RECORD_MAX_BYTES, SCORED_RESULTS_RECORD_VERSION, packScoredResults, unpackScoredResults } from '../../../shared/schemas/scored-results-record.js';
import { streamPartitionKey } from '../../../shared/schemas/stream-partition-key.js';
import { scoredResult } from '../../integration/projector/scored-results.js';

describe('Module: shared/schemas/scored-results-record', () => {
  const results = Array.from({ length: 120 }, (_, i) => scoredResult({ transactionId: `tx-${i}`, userId: `user-${i % 7}`, merchant: { name: `Merchant ${'é'.repeat(i % 5)} ${i}` } }));

  it('packs every result once, in order, into records no larger than one PUT payload unit', () => {
    // Act
    const records = packScoredResults(results);

    // Assess
    expect(records.length).to.be.greaterThan(1).and.lessThan(results.length / 10);
    for (const record of records) expect(Buffer.byteLength(record.data, 'utf8')).to.be.at.most(RESULTS_RECORD_MAX_BYTES);
    const unpacked = records.flatMap((r) => unpackScoredResults(Buffer.from(r.data)).values);
    expect(unpacked).to.deep.equal(results);
    expect(records.map((r) => [r.first, r.count])).to.deep.equal(records.map((_, i) => [records.slice(0, i).reduce((n, r) => n + r.count, 0), records[i]?.count]));
  });

  it('fills each record before starting the next, and keys it by its first result', () => {
    // Prepare: results of one size, so three and the envelope fit and four do not.
    const same = Array.from({ length: 10 }, (_, i) => scoredResult({ transactionId: `tx-${1000 + i}`, userId: `user-${i}` }));
    const one = Buffer.byteLength(JSON.stringify(same[0]), 'utf8');

    // Act
    const records = packScoredResults(same, 3 * one + 40);

    // Assess
    expect(records.map((r) => r.count)).to.deep.equal([3, 3, 3, 1]);
    for (const record of records) expect(record.partitionKey).to.equal(streamPartitionKey(same[record.first] as (typeof same)[number]));
    const envelope = JSON.parse(records[0]?.data ?? '') as { v: number; results: unknown[] };
    expect(envelope.v).to.equal(SCORED_RESULTS_RECORD_VERSION);
    expect(envelope.results).to.have.length(3);
  });

  it('puts a result larger than the limit in a record of its own', () => {
    // Prepare
    const big = scoredResult({ transactionId: 'tx-big', merchant: { name: 'x'.repeat(2_000) } });

    // Act
    const records = packScoredResults([results[0], big, results[1]] as never, 1_500);

    // Assess
    expect(records.map((r) => r.count)).to.deep.equal([1, 1, 1]);
    expect(unpackScoredResults(Buffer.from(records[1]?.data ?? '')).values).to.deep.equal([big]);
  });

  it('reads a single-result record (version 1) as one result, and refuses bytes that are not JSON', () => {
    // Prepare
    const single = Buffer.from(JSON.stringify(results[0]));

    // Act
    const unpacked = unpackScoredResults(single);

    // Assess
    expect(unpacked).to.deep.equal({ packed: false, values: [results[0]] });
    expect(() => unpackScoredResults(Buffer.from('{"v":2,'))).to.throw(SyntaxError);
  });
});
