import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { RAW_ARCHIVE_PREFIX } from '../../../shared/analytics-schema.js';
import { ARCHIVE_FILE_EXTENSION, archiveHourPrefix, archiveObjectKey, deliveryStreamName, hourPrefixesBetween, parseArchiveKey } from '../../../shared/archive/archive-key.js';

/**
 * Firehose's object key, per its documentation: `<evaluated prefix><stream name>-<stream version>-
 * <year>-<month>-<day>-<hour>-<minute>-<second>-<uuid><file extension>`, the prefix here being
 * infra's `raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`.
 */
const FIREHOSE_KEY =
  /^raw\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\/(.+)-(\d+)-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.ndjson\.gz$/;

describe('Module: archive-key', () => {
  describe('Function: archiveObjectKey', () => {
    it("follows Firehose's name pattern under infra's hour partitions, in UTC", () => {
      // Prepare
      const arrival = new Date('2026-03-04T05:06:07.890Z');
      const stream = deliveryStreamName('dev');

      // Act
      const key = archiveObjectKey({ deliveryStreamName: stream, oldestArrival: arrival, uuid: randomUUID() });

      // Assess
      const m = FIREHOSE_KEY.exec(key);
      expect(m, key).to.not.equal(null);
      const [, py, pm, pd, ph, name, version, y, mo, d, h, mi, s] = m as unknown as string[];
      expect([py, pm, pd, ph]).to.deep.equal(['2026', '03', '04', '05']);
      expect([y, mo, d, h, mi, s]).to.deep.equal(['2026', '03', '04', '05', '06', '07']);
      expect(name).to.equal(stream);
      expect(version).to.equal('1');
      expect(key.startsWith(RAW_ARCHIVE_PREFIX)).to.equal(true);
      expect(key.endsWith(ARCHIVE_FILE_EXTENSION)).to.equal(true);
    });

    it('uses the UTC hour even for an instant written with another offset', () => {
      // Act
      const prefix = archiveHourPrefix(new Date('2026-12-31T23:30:00-02:00'));

      // Assess
      expect(prefix).to.equal('raw/year=2027/month=01/day=01/hour=01/');
    });
  });

  describe('Function: parseArchiveKey', () => {
    it('reads back what archiveObjectKey wrote', () => {
      // Prepare
      const uuid = randomUUID();
      const arrival = new Date('2026-11-25T09:59:59Z');
      const key = archiveObjectKey({ deliveryStreamName: 'realtime-insights-local-raw-archive', oldestArrival: arrival, uuid, version: 3 });

      // Act
      const parsed = parseArchiveKey(key);

      // Assess
      expect(parsed).to.deep.equal({ hourPrefix: 'raw/year=2026/month=11/day=25/hour=09/', deliveryStreamName: 'realtime-insights-local-raw-archive', version: 3, timestamp: arrival, uuid });
    });

    it('accepts the default .gz extension and none, and refuses other keys', () => {
      // Prepare
      const stem = `raw/year=2026/month=11/day=25/hour=09/s-1-2026-11-25-09-10-11-${randomUUID()}`;

      // Act & Assess
      expect(parseArchiveKey(`${stem}.gz`)).to.not.equal(undefined);
      expect(parseArchiveKey(stem)).to.not.equal(undefined);
      expect(parseArchiveKey('raw/year=2026/month=11/day=25/hour=09/notes.txt')).to.equal(undefined);
      // A name whose time is not its partition's was not written by Firehose's rules.
      expect(parseArchiveKey(stem.replace('hour=09', 'hour=10'))).to.equal(undefined);
      expect(parseArchiveKey(stem.replace('-09-10-11-', '-09-61-11-'))).to.equal(undefined);
    });
  });

  describe('Function: hourPrefixesBetween', () => {
    it('lists every hour partition of a window, across a day boundary', () => {
      // Act
      const prefixes = hourPrefixesBetween(new Date('2026-11-25T22:30:00Z'), new Date('2026-11-26T01:00:00Z'));

      // Assess
      expect(prefixes).to.deep.equal([
        'raw/year=2026/month=11/day=25/hour=22/',
        'raw/year=2026/month=11/day=25/hour=23/',
        'raw/year=2026/month=11/day=26/hour=00/',
        'raw/year=2026/month=11/day=26/hour=01/',
      ]);
    });
  });
});
