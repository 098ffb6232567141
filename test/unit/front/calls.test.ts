import { expect } from 'chai';
import type { IncomingHttpHeaders } from 'node:http';
import { DynamoDbCalls } from '../../../local/env/front/calls/dynamodb.js';
import { KinesisCalls } from '../../../local/env/front/calls/kinesis.js';
import { S3Calls } from '../../../local/env/front/calls/s3.js';
import { LOCAL_ROLES, localStackArns, principalOf, roleCredentials, OPERATOR_ACCESS_KEY_ID } from '../../../local/env/front/identities.js';
import { renderRoleStatements, roleGrants } from '../../../shared/iam/render.js';
import { sigV4Credential } from '../../../local/env/front/sigv4.js';
import type { FrontHttpRequest } from '../../../local/env/front/types.js';

const ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table';
const STREAM = 'arn:aws:kinesis:us-east-1:000000000000:stream';

function http(method: string, url: string, headers: IncomingHttpHeaders = {}): FrontHttpRequest {
  const at = url.indexOf('?');
  return { method, url, path: at === -1 ? url : url.slice(0, at), query: new URLSearchParams(at === -1 ? '' : url.slice(at + 1)), headers };
}

const json = (target: string, body: unknown) => ({ request: http('POST', '/', { 'x-amz-target': target }), body: Buffer.from(JSON.stringify(body)) });

describe('Class: DynamoDbCalls', () => {
  const calls = new DynamoDbCalls();

  it('authorises a single-table call on its table and a Query of an index on the index', () => {
    // Act
    const put = json('DynamoDB_20120810.PutItem', { TableName: 'view', Item: {} });
    const query = json('DynamoDB_20120810.Query', { TableName: 'view', IndexName: 'byMonth' });

    // Assess
    expect(calls.parse(put.request, put.body)).to.deep.include({ operation: 'PutItem', action: 'dynamodb:PutItem', access: [{ action: 'dynamodb:PutItem', resource: `${ARN}/view` }] });
    expect(calls.parse(query.request, query.body).access).to.deep.equal([{ action: 'dynamodb:Query', resource: `${ARN}/view/index/byMonth` }]);
  });

  it('checks each transaction entry by its own item action, and a batch call on every table it names', () => {
    // Prepare
    const transaction = json('DynamoDB_20120810.TransactWriteItems', {
      TransactItems: [{ Put: { TableName: 'view' } }, { Update: { TableName: 'view' } }, { ConditionCheck: { TableName: 'other' } }, { Delete: { TableName: `${ARN}/third` } }],
    });
    const batch = json('DynamoDB_20120810.BatchWriteItem', { RequestItems: { a: [], b: [] } });

    // Act
    const transact = calls.parse(transaction.request, transaction.body);

    // Assess
    expect(transact.access).to.deep.equal([
      { action: 'dynamodb:PutItem', resource: `${ARN}/view` },
      { action: 'dynamodb:UpdateItem', resource: `${ARN}/view` },
      { action: 'dynamodb:ConditionCheckItem', resource: `${ARN}/other` },
      { action: 'dynamodb:DeleteItem', resource: `${ARN}/third` },
    ]);
    expect(calls.parse(batch.request, batch.body).access.map((a) => a.resource)).to.deep.equal([`${ARN}/a`, `${ARN}/b`]);
  });

  it('authorises account-wide calls on "*"', () => {
    const list = json('DynamoDB_20120810.ListTables', {});
    expect(calls.parse(list.request, list.body).access).to.deep.equal([{ action: 'dynamodb:ListTables', resource: '*' }]);
  });
});

describe('Class: KinesisCalls', () => {
  it('finds the stream by name, by ARN, and in a large PutRecords body without parsing it', () => {
    // Prepare
    const calls = new KinesisCalls();
    const records = Array.from({ length: 500 }, (_, i) => ({ Data: Buffer.alloc(200, i).toString('base64'), PartitionKey: `"StreamName":"decoy-${i}"` }));
    const big = json('Kinesis_20131202.PutRecords', { Records: records, StreamName: 's1' });
    const byArn = json('Kinesis_20131202.DescribeStreamSummary', { StreamARN: `${STREAM}/s2` });

    // Act
    const put = calls.parse(big.request, big.body);

    // Assess
    expect(big.body.length).to.be.greaterThan(64 * 1024);
    expect(put.access).to.deep.equal([{ action: 'kinesis:PutRecords', resource: `${STREAM}/s1` }]);
    expect(calls.parse(byArn.request, byArn.body).access).to.deep.equal([{ action: 'kinesis:DescribeStreamSummary', resource: `${STREAM}/s2` }]);
  });

  it('learns which stream and shard an iterator belongs to from the answer that handed it out', () => {
    // Prepare
    const calls = new KinesisCalls();
    const get = json('Kinesis_20131202.GetShardIterator', { StreamName: 's1', ShardId: 'shardId-000000000001', ShardIteratorType: 'LATEST' });
    const parsed = calls.parse(get.request, get.body);
    calls.learn('GetShardIterator', parsed.kinesis, { status: 200, headers: {}, body: Buffer.from('{"ShardIterator":"AAAA=="}') });
    const records = json('Kinesis_20131202.GetRecords', { ShardIterator: 'AAAA==' });

    // Act
    const read = calls.parse(records.request, records.body);

    // Assess
    expect(read.kinesis).to.deep.equal({ streamName: 's1', shardId: 'shardId-000000000001' });
    expect(read.access).to.deep.equal([{ action: 'kinesis:GetRecords', resource: `${STREAM}/s1` }]);
  });
});

describe('Class: S3Calls', () => {
  const calls = new S3Calls();
  const parse = (method: string, url: string, headers: IncomingHttpHeaders = {}, body = '') => calls.parse(http(method, url, headers), Buffer.from(body));

  it('maps methods, paths and subresources to operations and IAM actions on bucket or object ARNs', () => {
    expect(parse('GET', '/b/raw/a%20b.gz')).to.deep.include({ operation: 'GetObject', access: [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/raw/a b.gz' }] });
    expect(parse('HEAD', '/b/k').access).to.deep.equal([{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }]);
    expect(parse('PUT', '/b/k')).to.deep.include({ operation: 'PutObject', action: 's3:PutObject' });
    expect(parse('DELETE', '/b/k?uploadId=1')).to.deep.include({ operation: 'AbortMultipartUpload', action: 's3:AbortMultipartUpload' });
    expect(parse('PUT', '/b')).to.deep.include({ operation: 'CreateBucket', access: [{ action: 's3:CreateBucket', resource: 'arn:aws:s3:::b' }] });
    expect(parse('HEAD', '/b').access).to.deep.equal([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }]);
    expect(parse('GET', '/').access).to.deep.equal([{ action: 's3:ListAllMyBuckets', resource: '*' }]);
  });

  it('gives a listing its prefix as the s3:prefix condition key', () => {
    expect(parse('GET', '/b?list-type=2&prefix=raw%2Fyear%3D2026%2F')).to.deep.include({
      operation: 'ListObjectsV2',
      access: [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'raw/year=2026/' } }],
    });
  });

  it('needs GetObject on the source of a copy and DeleteObject on every key of a DeleteObjects', () => {
    expect(parse('PUT', '/b/dest', { 'x-amz-copy-source': '/src/a%2Fb?versionId=1' }).access).to.deep.equal([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/dest' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::src/a/b' },
    ]);
    expect(parse('POST', '/b?delete', {}, '<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object></Delete>').access.map((a) => a.resource)).to.deep.equal([
      'arn:aws:s3:::b/a&b',
      'arn:aws:s3:::b/c',
    ]);
  });
});

describe('Function: principalOf', () => {
  it('resolves a role key to its stack and role, the operator key, and anything else as unknown', () => {
    // Prepare
    const reader = roleCredentials('t1234abcd', 'stream-reader');

    // Act
    const principal = principalOf(reader.accessKeyId);

    // Assess
    expect(principal).to.deep.include({ kind: 'role', stack: 't1234abcd', role: 'stream-reader', arn: 'arn:aws:sts::000000000000:assumed-role/realtime-insights-t1234abcd-stream-reader/stream-reader' });
    expect(principalOf(OPERATOR_ACCESS_KEY_ID).kind).to.equal('operator');
    expect(principalOf('S3RVER').kind).to.equal('unknown');
    expect(principalOf('LOCAL_t1_nosuchrole').kind).to.equal('unknown');
    expect(principalOf(undefined).kind).to.equal('anonymous');
  });

  it('reads the key id from the Authorization header and from a presigned URL', () => {
    expect(sigV4Credential({ authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc' }, new URLSearchParams())).to.deep.equal({
      accessKeyId: 'AKID',
      date: '20260101',
      region: 'us-east-1',
      service: 's3',
    });
    expect(sigV4Credential({}, new URLSearchParams('X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request'))?.accessKeyId).to.equal('AKID');
    expect(sigV4Credential({}, new URLSearchParams())).to.equal(undefined);
  });
});

describe('Function: localStackArns', () => {
  it("renders every local role's policy, the Firehose stand-in's included, with a local stack's ARNs", () => {
    for (const role of LOCAL_ROLES) {
      const statements = renderRoleStatements(role, localStackArns('t1234abcd'), { localStandIn: true });
      // One statement per grant; a role granted nothing (the webhook receiver calls no AWS API) renders none.
      expect(statements, role).to.have.length(roleGrants(role, { localStandIn: true }).length);
      expect(JSON.stringify(statements), role).to.not.include('undefined');
    }
  });
});
