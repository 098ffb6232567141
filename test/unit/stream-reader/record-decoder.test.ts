import { expect } from 'chai';
import { decodeRawRecord } from '../../../workers/stream-reader/record-decoder.js';
import { kinesisRecord, rawRecord, sequenceNumber } from './raw-records.js';

describe('Function: decodeRawRecord', () => {
  it('returns the envelope of a well-formed raw-stream record', () => {
    // Prepare
    const raw = rawRecord({ transactionId: 'tx-ok' });

    // Act
    const decoded = decodeRawRecord(kinesisRecord(JSON.stringify(raw), sequenceNumber(1)));

    // Assess
    expect(decoded).to.deep.equal({ ok: true, sequenceNumber: sequenceNumber(1), record: raw });
  });

  it('explains bytes that are not UTF-8, keeping them as base64', () => {
    // Prepare
    const bytes = new Uint8Array([0xff, 0xfe, 0x41]);

    // Act
    const decoded = decodeRawRecord(kinesisRecord(bytes, sequenceNumber(2)));

    // Assess
    expect(decoded.ok).to.equal(false);
    if (decoded.ok) return;
    expect(decoded.message).to.contain('not UTF-8');
    expect(decoded.raw).to.equal(Buffer.from(bytes).toString('base64'));
  });

  it('explains data that is not JSON', () => {
    // Act
    const decoded = decodeRawRecord(kinesisRecord('{"v":1,', sequenceNumber(3)));

    // Assess
    expect(decoded.ok).to.equal(false);
    if (decoded.ok) return;
    expect(decoded.message).to.match(/^record data is not JSON/);
    expect(decoded.raw).to.equal('{"v":1,');
  });

  it('names the first field of an envelope that breaks the schema, and keeps its transaction id', () => {
    // Prepare
    const broken = { ...rawRecord({ transactionId: 'tx-broken' }), contentHash: 42 };

    // Act
    const decoded = decodeRawRecord(kinesisRecord(JSON.stringify(broken), sequenceNumber(4)));

    // Assess
    expect(decoded.ok).to.equal(false);
    if (decoded.ok) return;
    expect(decoded.message).to.contain('contentHash');
    expect(decoded.transactionId).to.equal('tx-broken');
  });
});
