import { expect } from 'chai';
import { capacityDelta, describeCapacity } from '../../../local/env/front/limits/capacity-report.js';
import { queryPartitionKey } from '../../../local/env/front/limits/dynamodb-capacity.js';
import { itemSize, readUnits, writeUnits } from '../../../local/env/front/limits/item-size.js';

describe('Function: itemSize', () => {
  it('counts attribute names and values as DynamoDB does', () => {
    // Prepare: names 2 + 1 + 4 bytes; "héllo" is 6 UTF-8 bytes; 12345 is 3 digit pairs + 1; a boolean 1
    const item = { pk: { S: 'héllo' }, n: { N: '12345' }, flag: { BOOL: true } };

    // Act / Assess
    expect(itemSize(item)).to.equal(2 + 6 + 1 + 4 + 4 + 1);
  });
});

describe('Function: writeUnits / readUnits', () => {
  it('rounds writes up per KB (twice in a transaction) and reads per 4 KB (half eventually consistent)', () => {
    expect([writeUnits(1), writeUnits(1024), writeUnits(1025), writeUnits(10, true)]).to.deep.equal([1, 1, 2, 2]);
    expect([readUnits(0, 'strong'), readUnits(4097, 'strong'), readUnits(4097, 'eventual'), readUnits(1, 'transactional')]).to.deep.equal([1, 2, 1, 2]);
  });
});

describe('Function: queryPartitionKey', () => {
  it('finds the partition-key value of a key condition, by name or placeholder, on either side of an AND', () => {
    const value = { S: 'USER#u#2026-01' };
    expect(queryPartitionKey({ KeyConditionExpression: 'pk = :p AND sk > :s', ExpressionAttributeValues: { ':p': value } }, 'pk')).to.deep.equal(value);
    expect(queryPartitionKey({ KeyConditionExpression: 'begins_with(#s, :s) and :p = #k', ExpressionAttributeNames: { '#k': 'pk', '#s': 'sk' }, ExpressionAttributeValues: { ':p': value } }, 'pk')).to.deep.equal(value);
    expect(queryPartitionKey({ KeyConditionExpression: 'other = :p', ExpressionAttributeValues: { ':p': value } }, 'pk')).to.equal(undefined);
  });
});

describe('Function: describeCapacity', () => {
  it('prints each table\'s units per transaction for one phase, and who spent them', () => {
    // Prepare
    const before = { view: { wru: 10, rru: 0, roles: { projector: { wru: 10, rru: 0 } } } };
    const after = { view: { wru: 210, rru: 50, roles: { projector: { wru: 210, rru: 0 }, api: { wru: 0, rru: 50 } } }, idle: { wru: 0, rru: 0, roles: {} } };

    // Act
    const text = describeCapacity(capacityDelta(before, after), 100);

    // Assess
    expect(text).to.equal('  view: 2.00 WRU, 0.50 RRU per transaction (projector 2.00 WRU 0.00 RRU, api 0.00 WRU 0.50 RRU)');
  });
});
