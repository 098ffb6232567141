import { expect } from 'chai';
import { ChangeKind } from '../../../shared/schemas/transaction-change.js';
import { CorruptViewItemError } from '../../../shared/view/errors.js';
import { WRU_ITEM_BYTES, itemSizeBytes } from '../../../shared/view/item-size.js';
import { parseUserMonthPk, parseVersionSk, userMonthPk, versionSk } from '../../../shared/view/keys.js';
import { fromItem, headOf, monthExpiry, toItem, versionOf } from '../../../shared/view/version.js';
import { scoredResult, withChange } from '../../integration/projector/scored-results.js';

describe('Module: shared/view/version', () => {
  describe('Function: versionOf, toItem and fromItem', () => {
    it('stores a scored version and reads back what the read model shows', () => {
      // Prepare
      const result = withChange(scoredResult({ transactionId: 'tx-1', isAnomaly: true, anomalyScore: 0.97 }), ChangeKind.Modified, 12, 'tx-0');

      // Act
      const version = versionOf(result, '2026-11-20T09:15:02.000Z', 1_800_000_000);
      const item = toItem(version);
      const back = fromItem(item);

      // Assess
      expect(back).to.deep.equal(version);
      expect(item['pk']).to.deep.equal({ S: userMonthPk('user-1', '2026-11') });
      expect(item['sk']).to.deep.equal({ S: versionSk(result.bookedAt, 'tx-1', 12) });
      expect(version).to.include({ revision: 12, change: 'modified', pendingTransactionId: 'tx-0', categoryScore: 0.89, month: '2026-11', expiresAt: 1_800_000_000 });
      expect(itemSizeBytes(item)).to.be.at.most(WRU_ITEM_BYTES);
    });

    it('reads a record without a change envelope as added at revision 0, and keeps a removal small', () => {
      // Prepare
      const result = scoredResult({ transactionId: 'tx-2' });

      // Act
      const added = versionOf(result, '2026-11-20T09:15:02.000Z');
      const removed = toItem(versionOf(withChange(result, ChangeKind.Removed, 3), '2026-11-20T09:15:02.000Z'));

      // Assess
      expect(added).to.include({ change: 'added', revision: 0 });
      expect(fromItem(removed)).to.deep.equal({ userId: 'user-1', month: '2026-11', transactionId: 'tx-2', revision: 3, change: 'removed', bookedAt: result.bookedAt, ingestedAt: result.ingestedAt, viewedAt: '2026-11-20T09:15:02.000Z' });
      expect(Object.keys(removed)).to.not.include.members(['amountMinor', 'category', 'merchant']);
    });

    it('skips items the view did not write and names what is wrong with a damaged one', () => {
      // Prepare
      const good = toItem(versionOf(scoredResult(), '2026-11-20T09:15:02.000Z'));
      const { category: _category, ...damaged } = good;

      // Act
      const foreign = fromItem({ pk: { S: 'LEASE#x' }, sk: { S: 'shard-1' } });
      const act = () => fromItem(damaged);

      // Assess
      expect(foreign).to.equal(undefined);
      expect(act).to.throw(CorruptViewItemError, /category is missing/);
      expect(headOf(damaged)).to.include({ transactionId: 'tx-0001', revision: 0, change: 'added' });
    });
  });

  describe('Function: parseUserMonthPk and parseVersionSk', () => {
    it('take the keys apart again, and refuse keys of another shape', () => {
      // Prepare
      const pk = userMonthPk('user_A-1', '2026-11');
      const sk = versionSk('2026-11-20T10:15:00+01:00', 'tx_9-z', 42);

      // Act
      const [partition, sort] = [parseUserMonthPk(pk), parseVersionSk(sk)];

      // Assess
      expect(partition).to.deep.equal({ userId: 'user_A-1', month: '2026-11' });
      expect(sort).to.deep.equal({ bookedAtUtc: '2026-11-20T09:15:00.000Z', transactionId: 'tx_9-z', revision: 42 });
      expect(parseVersionSk('TXN#2026-11-20T09:15:00.000Z#tx#x')).to.equal(undefined);
      expect(parseUserMonthPk('TXID#tx-1')).to.equal(undefined);
    });
  });

  describe('Function: monthExpiry', () => {
    it('keeps versions for ever at 0 days and otherwise expires a month exactly retentionDays after it ended at every offset', () => {
      // Prepare
      const days = 30;
      const lastLocalMidnight = Date.parse('2026-12-01T00:00:00-14:00') / 1000;

      // Act
      const never = monthExpiry('2026-11', 0);
      const expiresAt = monthExpiry('2026-11', days);

      // Assess
      expect(never).to.equal(undefined);
      expect(expiresAt).to.equal(lastLocalMidnight + days * 86_400);
      // Bounds: never before the month ended for its last user, and not a day later than that.
      expect(expiresAt).to.be.at.least(Date.parse('2026-11-30T23:59:59-14:00') / 1000 + days * 86_400);
      expect(expiresAt).to.be.below(Date.parse('2026-12-01T00:00:00Z') / 1000 + (days + 1) * 86_400);
    });
  });
});
