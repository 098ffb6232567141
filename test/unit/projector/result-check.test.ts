import { expect } from 'chai';
import { scoredResultSchema } from '../../../shared/schemas/scored-result.js';
import { ChangeKind } from '../../../shared/schemas/transaction-change.js';
import { itemOf, monthExpiry, toItem, versionOf } from '../../../shared/view/version.js';
import { MalformedResultError } from '../../../workers/projector/errors.js';
import { isScoredResult } from '../../../workers/projector/result-check.js';
import { readResultsRecord } from '../../../workers/projector/result-parser.js';
import { packScoredResults } from '../../../shared/schemas/scored-results-record.js';
import { scoredResult, withChange } from '../../integration/projector/scored-results.js';

type Json = Record<string, unknown>;

/** One field of a valid result broken per case: every rule of the schema, and values beside each. */
function variants(): { name: string; value: unknown }[] {
  const good = JSON.parse(JSON.stringify(withChange(scoredResult(), ChangeKind.Modified, 3, 'tx-0'))) as Json;
  const set = (path: string[], to: unknown): Json => {
    const copy = JSON.parse(JSON.stringify(good)) as Json;
    let at = copy;
    for (const part of path.slice(0, -1)) at = at[part] as Json;
    const last = path[path.length - 1] as string;
    if (to === undefined) delete at[last];
    else at[last] = to;
    return copy;
  };
  const out: { name: string; value: unknown }[] = [{ name: 'valid', value: good }, { name: 'no change', value: set(['change'], undefined) }, { name: 'array', value: [good] }, { name: 'null', value: null }, { name: 'string', value: 'x' }];
  const fields: [string[], unknown[]][] = [
    [['v'], [2, '1', undefined]],
    [['transactionId'], [1, undefined, '']],
    [['userId'], [null, undefined]],
    [['accountId'], [5]],
    [['bookedAt'], [false]],
    [['amount'], [null, [], 'x']],
    [['amount', 'minor'], [1.5, '1', 2 ** 60, undefined, -3]],
    [['amount', 'currency'], ['EU', 'EURO', 3, undefined]],
    [['merchant'], [null]],
    [['merchant', 'name'], [undefined, 1]],
    [['merchant', 'mcc'], [undefined, 5411, null]],
    [['category'], ['food', undefined, 'other']],
    [['categoryScores'], [[], [0.5], 'x', Array.from({ length: 12 }, () => 'a'), Array.from({ length: 13 }, () => 0.1)]],
    [['anomalyScore'], [-0.1, 1.1, 0, 1, '0.5']],
    [['isAnomaly'], ['true', 0, undefined]],
    [['models'], [null, []]],
    [['models', 'categoriser'], [1]],
    [['models', 'anomaly'], [undefined]],
    [['contentHash'], [undefined]],
    [['ingestedAt'], [1]],
    [['scoredAt'], [undefined]],
    [['change'], [null, 'added', []]],
    [['change', 'kind'], ['moved', undefined]],
    [['change', 'revision'], [-1, 1.5, '3', 2 ** 60, 0]],
    [['change', 'connectionId'], ['', 'a b', 'x'.repeat(65), undefined]],
    [['change', 'lane'], ['other', undefined, 'history']],
    [['change', 'pendingTransactionId'], [undefined, '', 'bad id', 7]],
  ];
  for (const [path, values] of fields) for (const to of values) out.push({ name: `${path.join('.')} = ${JSON.stringify(to) ?? 'absent'}`, value: set(path, to) });
  return out;
}

describe('Module: workers/projector/result-check', () => {
  describe('Function: isScoredResult', () => {
    it('never accepts what the schema refuses, and accepts the valid records it is there for', () => {
      // Prepare
      const cases = variants();

      // Act
      const looser = cases.filter((c) => isScoredResult(c.value) && !scoredResultSchema.safeParse(c.value).success).map((c) => c.name);
      const valid = cases.filter((c) => scoredResultSchema.safeParse(c.value).success);
      const stricter = valid.filter((c) => !isScoredResult(c.value)).map((c) => c.name);

      // Assess
      expect(looser).to.deep.equal([]);
      expect(valid.length).to.be.greaterThan(8);
      expect(stricter).to.deep.equal([]);
    });
  });

  describe('Function: readResultsRecord', () => {
    it('says what is wrong with a malformed single-result record, as the schema words it', () => {
      // Prepare
      const bad = Buffer.from(JSON.stringify({ ...scoredResult({ transactionId: 'tx-9' }), anomalyScore: 2 }));

      // Act
      const [entry, ...rest] = readResultsRecord(bad);

      // Assess
      expect(rest).to.deep.equal([]);
      expect(entry).to.not.have.property('subSequenceNumber');
      expect(entry).to.have.property('error').that.is.instanceOf(MalformedResultError).and.has.property('transactionId', 'tx-9');
      expect((entry as { error: Error }).error.message).to.match(/anomalyScore/);
    });

    it('checks each result of a packed record alone: a malformed one is named by its place and keeps its own JSON', () => {
      // Prepare
      const good = [scoredResult({ transactionId: 'tx-1' }), scoredResult({ transactionId: 'tx-3' })];
      const bad = { ...scoredResult({ transactionId: 'tx-2' }), amount: { minor: 5, currency: 'XXY' } };
      const [packed] = packScoredResults([good[0], bad, good[1]] as never);

      // Act
      const entries = readResultsRecord(Buffer.from(packed?.data ?? ''));

      // Assess
      expect(entries.map((e) => ('result' in e ? e.result.transactionId : 'malformed'))).to.deep.equal(['tx-1', 'malformed', 'tx-3']);
      expect(entries.map((e) => e.subSequenceNumber)).to.deep.equal([0, 1, 2]);
      const malformed = entries[1] as { error: MalformedResultError; raw: string };
      expect(malformed.error.message).to.contain("amount.currency 'XXY'");
      expect(JSON.parse(malformed.raw)).to.deep.equal(bad);
    });

    it('reads bytes that are not JSON, or a packed record of nothing, as one malformed entry', () => {
      // Act
      const notJson = readResultsRecord(Buffer.from('{"v":2,"results":['));
      const empty = readResultsRecord(Buffer.from('{"v":2,"results":[]}'));

      // Assess
      expect(notJson).to.have.length(1);
      expect((notJson[0] as { error: Error }).error.message).to.equal('malformed scored result: not JSON');
      expect(empty).to.have.length(1);
      expect((empty[0] as { error: Error }).error.message).to.equal('malformed scored result: packed record with no results');
    });
  });

  describe('Function: itemOf', () => {
    it('builds the same item as toItem(versionOf(...)) for every kind of change', () => {
      // Prepare
      const viewedAt = '2026-11-20T09:15:02.000Z';
      const results = [
        scoredResult({ transactionId: 'tx-1' }),
        scoredResult({ transactionId: 'tx-2', merchant: { name: 'NO MCC' }, isAnomaly: true, anomalyScore: 0.97, category: 'travel' }),
        withChange(scoredResult({ transactionId: 'tx-3' }), ChangeKind.Modified, 4),
        withChange(scoredResult({ transactionId: 'tx-4' }), ChangeKind.Added, 1, 'tx-0'),
        withChange(scoredResult({ transactionId: 'tx-5', bookedAt: '2026-11-30T23:30:00-05:00' }), ChangeKind.Removed, 2),
      ];
      const expiresAt = monthExpiry('2026-11', 30);

      // Act
      const pairs = results.flatMap((r) => [
        [itemOf(r, viewedAt), toItem(versionOf(r, viewedAt))],
        [itemOf(r, viewedAt, expiresAt), toItem(versionOf(r, viewedAt, expiresAt))],
      ]);

      // Assess
      for (const [fast, reference] of pairs) expect(fast).to.deep.equal(reference);
    });
  });
});
