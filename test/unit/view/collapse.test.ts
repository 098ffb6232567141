import { expect } from 'chai';
import { ChangeKind } from '../../../shared/schemas/transaction-change.js';
import { currentTransactions, monthTotals, outranks } from '../../../shared/view/collapse.js';
import { versionOf } from '../../../shared/view/version.js';
import type { ViewVersion } from '../../../shared/view/version.js';
import { scoredResult, withChange } from '../../integration/projector/scored-results.js';

const at = '2026-11-20T09:15:02.000Z';

function version(id: string, kind: (typeof ChangeKind)[keyof typeof ChangeKind], revision: number, minor: number, extra: { pending?: string; ingestedAt?: string; hash?: string } = {}): ViewVersion {
  const result = scoredResult({ transactionId: id, amount: { minor, currency: 'EUR' }, ...(extra.ingestedAt === undefined ? {} : { ingestedAt: extra.ingestedAt }), ...(extra.hash === undefined ? {} : { contentHash: extra.hash }) });
  return versionOf(withChange(result, kind, revision, extra.pending), at);
}

describe('Module: shared/view/collapse', () => {
  describe('Function: outranks', () => {
    it('puts the higher revision first, then a live version over a removal, then the copy ingested first', () => {
      // Prepare
      const v1 = version('t', ChangeKind.Added, 1, -100);
      const v2 = version('t', ChangeKind.Modified, 2, -200);
      const gone2 = version('t', ChangeKind.Removed, 2, -200);
      const early = version('t', ChangeKind.Added, 1, -100, { ingestedAt: '2026-11-20T09:00:00.000Z', hash: 'b' });
      const late = version('t', ChangeKind.Added, 1, -100, { ingestedAt: '2026-11-20T10:00:00.000Z', hash: 'a' });

      // Act / Assess
      expect([outranks(v2, v1), outranks(v1, v2)]).to.deep.equal([true, false]);
      expect([outranks(v2, gone2), outranks(gone2, v2)]).to.deep.equal([true, false]);
      expect([outranks(early, late), outranks(late, early)]).to.deep.equal([true, false]);
    });
  });

  describe('Function: currentTransactions', () => {
    it('shows each transaction at its highest revision, drops removals and the pending ones a posted one replaces, in any order', () => {
      // Prepare
      const versions = [
        version('mod', ChangeKind.Added, 1, -100),
        version('mod', ChangeKind.Modified, 3, -150),
        version('gone', ChangeKind.Added, 2, -70),
        version('gone', ChangeKind.Removed, 4, -70),
        version('pending', ChangeKind.Added, 5, -2000),
        version('posted', ChangeKind.Added, 6, -2300, { pending: 'pending' }),
        version('old-rev-late', ChangeKind.Modified, 9, -10),
        version('old-rev-late', ChangeKind.Added, 8, -5),
      ];

      // Act
      const shownForward = currentTransactions(versions);
      const shownBackward = currentTransactions([...versions].reverse());
      const shownTwice = currentTransactions([...versions, ...versions]);

      // Assess
      const view = (list: readonly ViewVersion[]) => list.map((v) => `${v.transactionId}@${v.revision}`).sort();
      expect(view(shownForward)).to.deep.equal(['mod@3', 'old-rev-late@9', 'posted@6']);
      expect(view(shownBackward)).to.deep.equal(view(shownForward));
      expect(view(shownTwice)).to.deep.equal(view(shownForward));
    });

    it('brings a pending transaction back if its posted one is removed and the pending one never was', () => {
      // Prepare
      const versions = [version('pending', ChangeKind.Added, 1, -2000), version('posted', ChangeKind.Added, 2, -2300, { pending: 'pending' }), version('posted', ChangeKind.Removed, 3, -2300)];

      // Act
      const shown = currentTransactions(versions);

      // Assess
      expect(shown.map((v) => v.transactionId)).to.deep.equal(['pending']);
    });
  });

  describe('Function: monthTotals', () => {
    it('sums what is shown per user, month, category and currency', () => {
      // Prepare
      const shown = currentTransactions([version('a', ChangeKind.Added, 0, -100), version('b', ChangeKind.Added, 0, -250), version('b', ChangeKind.Modified, 1, -300)]);

      // Act
      const totals = monthTotals(shown);

      // Assess
      expect(totals).to.deep.equal([{ userId: 'user-1', month: '2026-11', category: 'groceries', currency: 'EUR', sumMinor: -400, count: 2 }]);
    });
  });
});
