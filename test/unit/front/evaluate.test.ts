import { expect } from 'chai';
import type { Statement } from '../../../shared/iam/policy.js';
import { actionMatches, conditionHolds, evaluate, resourceMatches } from '../../../local/env/front/iam/evaluate.js';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/t';

describe('Function: evaluate', () => {
  const allowPut: Statement = { Sid: 'Put', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: TABLE };

  it('allows what a statement grants and names the statement and resource that allowed it', () => {
    // Act
    const decision = evaluate([allowPut], { action: 'dynamodb:PutItem', resource: TABLE, context: {} });

    // Assess
    expect(decision).to.deep.include({ effect: 'allow', resourceIndex: 0 });
    expect(decision.effect === 'allow' && decision.statement.Sid).to.equal('Put');
  });

  it('denies implicitly what no statement grants: another action, another resource', () => {
    expect(evaluate([allowPut], { action: 'dynamodb:DeleteItem', resource: TABLE, context: {} }).effect).to.equal('implicit-deny');
    expect(evaluate([allowPut], { action: 'dynamodb:PutItem', resource: `${TABLE}2`, context: {} }).effect).to.equal('implicit-deny');
  });

  it('lets an explicit deny win over any allow, whatever the order', () => {
    // Prepare
    const deny: Statement = { Sid: 'NoWrites', Effect: 'Deny', Action: ['dynamodb:*Item'], Resource: '*' };

    // Act
    const decisions = [evaluate([allowPut, deny], { action: 'dynamodb:PutItem', resource: TABLE, context: {} }), evaluate([deny, allowPut], { action: 'dynamodb:PutItem', resource: TABLE, context: {} })];

    // Assess
    expect(decisions.map((d) => d.effect)).to.deep.equal(['explicit-deny', 'explicit-deny']);
  });

  it('applies the conditions of the statement: an allow whose condition fails does not allow', () => {
    // Prepare
    const list: Statement = { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: 'arn:aws:s3:::b', Condition: { StringLike: { 's3:prefix': 'raw/*' } } };

    // Act
    const under = evaluate([list], { action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'raw/year=2026/' } });
    const elsewhere = evaluate([list], { action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'enriched/' } });
    const whole = evaluate([list], { action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: {} });

    // Assess
    expect([under.effect, elsewhere.effect, whole.effect]).to.deep.equal(['allow', 'implicit-deny', 'implicit-deny']);
  });
});

describe('Function: actionMatches', () => {
  it('matches service and operation case-insensitively, with * and ? wildcards', () => {
    expect(actionMatches('dynamodb:putitem', 'dynamodb:PutItem')).to.equal(true);
    expect(actionMatches('DynamoDB:*', 'dynamodb:PutItem')).to.equal(true);
    expect(actionMatches('s3:Get*', 's3:GetObject')).to.equal(true);
    expect(actionMatches('s3:Get?bject', 's3:GetObject')).to.equal(true);
    expect(actionMatches('s3:Get*', 's3:PutObject')).to.equal(false);
    expect(actionMatches('*', 'kinesis:GetRecords')).to.equal(true);
  });
});

describe('Function: resourceMatches', () => {
  it('matches ARNs part by part, case-sensitively, wildcards within a part', () => {
    expect(resourceMatches('arn:aws:s3:::bucket/raw/*', 'arn:aws:s3:::bucket/raw/year=2026/a.gz')).to.equal(true);
    expect(resourceMatches('arn:aws:s3:::bucket/raw/*', 'arn:aws:s3:::bucket/enriched/a')).to.equal(false);
    expect(resourceMatches(`${TABLE}/index/*`, `${TABLE}/index/byUser`)).to.equal(true);
    expect(resourceMatches(TABLE, `${TABLE}/index/byUser`)).to.equal(false);
    expect(resourceMatches('arn:aws:dynamodb:*:000000000000:table/t', TABLE)).to.equal(true);
    expect(resourceMatches('arn:aws:dynamodb:us-*', TABLE)).to.equal(false);
    expect(resourceMatches('arn:aws:dynamodb:us-east-1:000000000000:table/T', TABLE)).to.equal(false);
  });
});

describe('Function: conditionHolds', () => {
  it('fails a positive operator on a missing key, satisfies a negated one and any IfExists', () => {
    expect(conditionHolds('StringEquals', { 'cloudwatch:namespace': 'N' }, {})).to.equal(false);
    expect(conditionHolds('StringNotEquals', { 'cloudwatch:namespace': 'N' }, {})).to.equal(true);
    expect(conditionHolds('StringEqualsIfExists', { 'cloudwatch:namespace': 'N' }, {})).to.equal(true);
    expect(conditionHolds('Null', { 's3:prefix': 'true' }, {})).to.equal(true);
  });

  it('needs every key and any one value of a key', () => {
    // Prepare
    const entries = { 'kms:ViaService': ['kinesis.us-east-1.amazonaws.com', 's3.us-east-1.amazonaws.com'], 'kms:CallerAccount': '000000000000' };

    // Assess
    expect(conditionHolds('StringEquals', entries, { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:CallerAccount': '000000000000' })).to.equal(true);
    expect(conditionHolds('StringEquals', entries, { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:CallerAccount': '1' })).to.equal(false);
    expect(conditionHolds('StringNotLike', { 's3:prefix': 'raw/*' }, { 's3:prefix': 'raw/x' })).to.equal(false);
    expect(conditionHolds('Bool', { 'aws:SecureTransport': true }, { 'aws:SecureTransport': 'true' })).to.equal(true);
  });
});
