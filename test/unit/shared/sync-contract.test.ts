import { expect } from 'chai';
import { streamPartitionKey } from '../../../shared/schemas/stream-partition-key.js';
import { LANE_PRIORITY, SYNC_JOB_VERSION, syncJobFor, syncJobOptions } from '../../../shared/sync/sync-job.js';
import { WebhookCode, webhookBodySchema } from '../../../shared/sync/webhook.js';

describe('Module: stream partition key', () => {
  it('keys a record by user and the local month of its booking, so a history spreads over shards', () => {
    // Prepare
    const january = { userId: 'user-1', bookedAt: '2026-01-31T23:30:00-05:00' };
    const february = { userId: 'user-1', bookedAt: '2026-02-01T04:30:00Z' };

    // Act
    const keys = [streamPartitionKey(january), streamPartitionKey(february)];

    // Assess: the same instant, but the user's local month decides (the view totals by it)
    expect(keys).to.deep.equal(['user-1#2026-01', 'user-1#2026-02']);
  });
});

describe('Module: sync job', () => {
  const body = (code: string, extra: Record<string, unknown> = {}) => webhookBodySchema.parse({ webhook_type: 'TRANSACTIONS', webhook_code: code, item_id: 'conn-1', ...extra });

  it('puts history webhooks in the history lane and new data in the live lane', () => {
    // Prepare
    const at = new Date('2026-11-25T10:00:00Z');

    // Act
    const historical = syncJobFor(body(WebhookCode.HistoricalUpdate, { new_transactions: 2400 }), at);
    const initial = syncJobFor(body(WebhookCode.InitialUpdate), at);
    const live = syncJobFor(body(WebhookCode.SyncUpdatesAvailable, { initial_update_complete: true, historical_update_complete: true }), at);
    const early = syncJobFor(body(WebhookCode.SyncUpdatesAvailable, { initial_update_complete: true, historical_update_complete: false }), at);

    // Assess
    expect(historical).to.deep.equal({ v: SYNC_JOB_VERSION, connectionId: 'conn-1', lane: 'history', reason: 'HISTORICAL_UPDATE', historyComplete: true, receivedAt: at.toISOString() });
    expect([initial.lane, initial.historyComplete]).to.deep.equal(['history', false]);
    expect([live.lane, live.historyComplete]).to.deep.equal(['live', true]);
    expect([early.lane, early.historyComplete]).to.deep.equal(['history', false]);
  });

  it('coalesces per connection, keeping one job behind a running one, and runs live before history', () => {
    // Act
    const live = syncJobOptions({ connectionId: 'conn-1', lane: 'live' });
    const history = syncJobOptions({ connectionId: 'conn-1', lane: 'history' });

    // Assess
    expect(live.deduplication).to.deep.equal({ id: 'conn-1', keepLastIfActive: true });
    expect(live.priority).to.be.below(history.priority as number);
    expect(LANE_PRIORITY.live).to.equal(live.priority);
    expect(live.removeOnComplete).to.equal(true);
  });

  it('refuses a webhook body that names no connection', () => {
    expect(webhookBodySchema.safeParse({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: '../etc' }).success).to.equal(false);
  });
});
