import { expect } from 'chai';
import { UnknownResourceError } from '../../../shared/errors.js';
import { TABLES, bucketName, queuePrefix, resourceNames, streamName, tableName } from '../../../shared/catalog.js';
import type { StreamName } from '../../../shared/catalog.js';

describe('Module: catalog', () => {
  it('derives physical names per stack so two stacks never collide', () => {
    const dev = resourceNames('dev');
    const prod = resourceNames('prod');
    expect(dev.streams.raw).to.equal('realtime-insights-dev-raw');
    expect(dev.tables.ingestLedger).to.equal('realtime-insights-dev-ingest-ledger');
    const all = (n: typeof dev) => [...Object.values(n.streams), ...Object.values(n.tables), ...Object.values(n.buckets), ...Object.values(n.queues)];
    expect(all(dev).filter((name) => all(prod).includes(name))).to.deep.equal([]);
  });

  it('suffixes bucket names, which are global, and keeps them within 63 characters', () => {
    expect(bucketName('prod', 'rawArchive', '123456789012')).to.equal('realtime-insights-prod-raw-archive-123456789012');
    expect(() => bucketName('averyveryverylongstk', 'rawArchive', '123456789012x')).to.throw(/63 characters/);
  });

  it('puts a hash tag in the queue prefix for Redis cluster mode', () => {
    expect(queuePrefix('dev')).to.equal('{realtime-insights-dev}');
  });

  it('refuses stack names that cannot be part of every AWS name', () => {
    expect(() => streamName('Dev', 'raw')).to.throw(/stack name 'Dev'/);
    expect(() => tableName('dev_1', 'view')).to.throw(/must match/);
  });

  it('refuses logical names it does not know', () => {
    expect(() => streamName('dev', 'nope' as StreamName)).to.throw(UnknownResourceError, "unknown stream 'nope'");
  });

  it('gives every table a partition key and the view a TTL attribute', () => {
    for (const spec of Object.values(TABLES)) expect(spec.partitionKey.name).to.be.a('string').and.not.equal('');
    expect(TABLES.view.ttlAttribute).to.equal('expiresAt');
  });
});
