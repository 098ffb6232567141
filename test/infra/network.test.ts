import { expect } from 'chai';
import { brokerPort, roleEgress } from '../../infra/lib/egress.js';
import { subnetLayout } from '../../infra/lib/subnets.js';

const BROKER = { port: 8443, cidrs: ['203.0.113.0/24'] };

describe('Function: subnetLayout', () => {
  it('gives each zone a task subnet in its own quarter of the VPC and a small public subnet beside it', () => {
    // Act
    const layout = subnetLayout('10.41.0.0/16', 3, true);

    // Assess
    expect(layout).to.deep.equal([
      { tasks: '10.41.0.0/19', public: '10.41.32.0/22' },
      { tasks: '10.41.64.0/19', public: '10.41.96.0/22' },
      { tasks: '10.41.128.0/19', public: '10.41.160.0/22' },
    ]);
  });

  it('leaves out public subnets without NAT and keeps the smallest VPC above AWS /28 subnets', () => {
    expect(subnetLayout('10.40.0.0/16', 2, false)).to.deep.equal([
      { tasks: '10.40.0.0/19', public: undefined },
      { tasks: '10.40.64.0/19', public: undefined },
    ]);
    expect(subnetLayout('192.168.4.0/22', 2, true)).to.deep.equal([
      { tasks: '192.168.4.0/25', public: '192.168.4.128/28' },
      { tasks: '192.168.5.0/25', public: '192.168.5.128/28' },
    ]);
  });
});

describe('Function: roleEgress', () => {
  it('sends the crawler alone to the broker, on the port of its URL', () => {
    // Act
    const crawler = roleEgress('crawler', BROKER);
    const others = (['stream-reader', 'scorer', 'projector', 'api', 'batch', 'replay'] as const).flatMap((role) => roleEgress(role, BROKER));

    // Assess
    expect(crawler).to.deep.include({ kind: 'cidrs', name: 'broker', port: 8443, cidrs: ['203.0.113.0/24'] });
    expect(others.filter((d) => d.kind === 'cidrs')).to.deep.equal([]);
    expect(brokerPort('https://broker.example.com')).to.equal(443);
    expect(brokerPort('https://broker.example.com:8443/v1')).to.equal(8443);
  });

  it('reaches Redis from the roles that read REDIS_URL and DynamoDB from the roles granted DynamoDB actions', () => {
    // Act
    const has = (role: Parameters<typeof roleEgress>[0]) => roleEgress(role, BROKER).map((d) => (d.kind === 'gateway' ? d.service : d.kind));

    // Assess
    expect(has('stream-reader')).to.have.members(['interface-endpoints', 's3', 'dynamodb', 'redis']);
    expect(has('scorer')).to.have.members(['interface-endpoints', 's3', 'dynamodb', 'redis']);
    expect(has('projector')).to.have.members(['interface-endpoints', 's3', 'dynamodb']);
    // The replay writes the stream from the archive: S3 and the Kinesis endpoint, no table.
    expect(has('replay')).to.have.members(['interface-endpoints', 's3']);
  });
});
