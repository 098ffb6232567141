import { expect } from 'chai';
import * as pulumi from '@pulumi/pulumi';
import { ConfigError } from '../../shared/errors.js';
import { SCORER_DEFAULT_TASK_MEMORY_MIB } from '../../shared/worker-node-options.js';
import { LOG_RETENTION_DAYS, NAMESPACE, SECRET_KEYS, TASK_ROLES, parseStackConfig } from '../../infra/config.js';
import { FARGATE_MEMORY, fargateSizeProblem } from '../../infra/lib/fargate.js';
import { STACKS, stackConfig } from './helpers.js';

const k = (name: string) => `${NAMESPACE}:${name}`;
const TOKEN = 'a-valid-auth-token-0123456789';

/** A complete, valid config for a compute stack; tests override one key at a time. */
function base(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    'aws:region': 'eu-west-1',
    [k('brokerUrl')]: 'https://broker.example.com',
    [k('brokerCidrs')]: '["10.0.0.0/24"]',
    [k('brokerApiKey')]: 'broker-key',
    [k('redisAuthToken')]: TOKEN,
    ...overrides,
  };
}

function parse(values: Record<string, string | undefined>, stack = 'dev') {
  return parseStackConfig(stack, (key) => values[key]);
}

function issuesOf(values: Record<string, string | undefined>): { key: string; problem: string }[] {
  try {
    parse(values);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected the config to be rejected');
}

describe('Function: parseStackConfig', () => {
  describe('Method: the stack files', () => {
    for (const stack of STACKS) {
      it(`accepts Pulumi.${stack}.yaml`, () => {
        // Act
        const config = stackConfig(stack);

        // Assess
        expect(config.stack).to.equal(stack);
        expect(config.compute === undefined).to.equal(stack === 'local');
      });
    }

    it('keeps dev cheap and prod protected', () => {
      // Act
      const dev = stackConfig('dev');
      const prod = stackConfig('prod');

      // Assess
      expect(dev.compute?.network.natGateways).to.equal('none');
      expect(dev.streams.rawShards).to.equal(1);
      expect(dev.forceDestroy).to.equal(true);
      expect(prod.deletionProtection).to.equal(true);
      expect(prod.compute?.redis.multiAz).to.equal(true);
      expect(prod.compute?.network.natGateways).to.equal('one-per-az');
      expect(prod.streams.retentionHours).to.be.greaterThan(dev.streams.retentionHours);
      expect(prod.logRetentionDays).to.be.greaterThan(dev.logRetentionDays);
    });
  });

  describe('Method: defaults', () => {
    it('needs only the region and the per-deployment settings, and hands secrets on as Pulumi secrets', async () => {
      // Act
      const config = parse(base());

      // Assess
      expect(config.streams.mode).to.equal('provisioned');
      const token = config.compute?.secrets.redisAuthToken;
      expect(token !== undefined && (await pulumi.isSecret(token))).to.equal(true);
      expect(await new Promise((resolve) => token?.apply(resolve))).to.equal(TOKEN);
      expect(Object.keys(config.compute?.tasks ?? {})).to.have.members([...TASK_ROLES]);
    });

    it('gives the scorer the task memory a local scorer stands for when no task size is set', () => {
      // Act
      const config = parse(base());

      // Assess
      expect(config.compute?.tasks.scorer.memory).to.equal(SCORER_DEFAULT_TASK_MEMORY_MIB);
    });

    it('needs no broker or Redis settings on a data-plane-only stack', () => {
      // Act
      const config = parse({ 'aws:region': 'us-east-1', [k('dataPlaneOnly')]: 'true' });

      // Assess
      expect(config.compute).to.equal(undefined);
    });

    it('drops shard counts for on-demand streams', () => {
      // Act
      const config = parse(base({ [k('streamMode')]: 'on-demand' }));

      // Assess
      expect(config.streams.rawShards).to.equal(undefined);
      expect(config.streams.resultsShards).to.equal(undefined);
    });
  });

  describe('Method: rejection', () => {
    const cases: { what: string; values: Record<string, string | undefined>; key: string; says: RegExp }[] = [
      { what: 'a missing region', values: base({ 'aws:region': undefined }), key: 'aws:region', says: /is required/ },
      { what: 'a malformed region', values: base({ 'aws:region': 'Europe' }), key: 'aws:region', says: /AWS region/ },
      { what: 'a shard count that is not a number', values: base({ [k('rawShards')]: 'many' }), key: k('rawShards'), says: /whole number between 1 and 500/ },
      { what: 'a shard count out of range', values: base({ [k('resultsShards')]: '0' }), key: k('resultsShards'), says: /between 1 and 500/ },
      { what: 'an unknown stream mode', values: base({ [k('streamMode')]: 'fast' }), key: k('streamMode'), says: /provisioned, on-demand/ },
      {
        what: 'a shard count on an on-demand stream',
        values: base({ [k('streamMode')]: 'on-demand', [k('rawShards')]: '2' }),
        key: k('rawShards'),
        says: /remove rawShards, or set streamMode to provisioned/,
      },
      { what: 'a retention CloudWatch does not offer', values: base({ [k('logRetentionDays')]: '8' }), key: k('logRetentionDays'), says: new RegExp(LOG_RETENTION_DAYS.join(', ')) },
      { what: 'an unknown NAT strategy', values: base({ [k('natGateways')]: 'two' }), key: k('natGateways'), says: /none, single, one-per-az/ },
      { what: 'a boolean that is not one', values: base({ [k('forceDestroy')]: 'yes' }), key: k('forceDestroy'), says: /true or false/ },
      { what: 'a broker URL that is not https', values: base({ [k('brokerUrl')]: 'http://broker.example.com' }), key: k('brokerUrl'), says: /must use https:/ },
      { what: 'a broker URL that is no URL', values: base({ [k('brokerUrl')]: 'broker' }), key: k('brokerUrl'), says: /must be an https URL/ },
      { what: 'no broker ranges', values: base({ [k('brokerCidrs')]: undefined }), key: k('brokerCidrs'), says: /is required .*the crawler's only egress outside AWS/ },
      { what: 'the whole internet as the broker', values: base({ [k('natGateways')]: 'single', [k('brokerCidrs')]: '["0.0.0.0/0"]' }), key: `${k('brokerCidrs')}.0`, says: /wider than \/8/ },
      { what: 'a broker range no route reaches', values: base({ [k('brokerCidrs')]: '["203.0.113.0/24"]' }), key: k('brokerCidrs'), says: /outside the VPC .*natGateways is none/ },
      { what: 'a missing broker key', values: base({ [k('brokerApiKey')]: undefined }), key: k('brokerApiKey'), says: /pulumi config set --secret brokerApiKey/ },
      { what: 'a glacier move too soon after IA', values: base({ [k('archiveInfrequentAccessDays')]: '40', [k('archiveGlacierDays')]: '60' }), key: k('archiveGlacierDays'), says: /at least archiveInfrequentAccessDays \+ 30/ },
      { what: 'a schedule EventBridge cannot read', values: base({ [k('batchSchedule')]: 'hourly' }), key: k('batchSchedule'), says: /rate\(1 hour\)/ },
      { what: 'a rate of 1 with a plural unit', values: base({ [k('batchSchedule')]: 'rate(1 hours)' }), key: k('batchSchedule'), says: /singular: rate\(1 hour\)/ },
      { what: 'a cron with both day fields set', values: base({ [k('batchSchedule')]: 'cron(0 * * * * *)' }), key: k('batchSchedule'), says: /exactly one of day-of-month and day-of-week/ },
      { what: 'an auth token with a character ElastiCache refuses', values: base({ [k('redisAuthToken')]: 'abcdefghijklmnop%' }), key: k('redisAuthToken'), says: /letters, digits and ! & # \$ \^ < > - only/ },
      {
        what: 'multi-AZ Redis without a replica',
        values: base({ [k('redisMultiAz')]: 'true', [k('redisReplicas')]: '0' }),
        key: k('redisMultiAz'),
        says: /at least one replica/,
      },
      {
        what: 'deletion protection with force-destroy',
        values: base({ [k('deletionProtection')]: 'true', [k('forceDestroy')]: 'true' }),
        key: k('forceDestroy'),
        says: /contradicts/,
      },
      {
        what: 'a task size Fargate does not run',
        values: base({ [k('taskSize')]: JSON.stringify({ scorer: { cpu: 1024, memory: 512 } }) }),
        key: `${k('taskSize')}.scorer`,
        says: /does not fit cpu 1024/,
      },
      { what: 'a task size for an unknown role', values: base({ [k('taskSize')]: JSON.stringify({ api: { cpu: 256, memory: 512 } }) }), key: `${k('taskSize')}.api`, says: /not a known setting/ },
      {
        what: 'a scaling minimum above its maximum',
        values: base({ [k('scaling')]: JSON.stringify({ scorer: { min: 5, max: 2 } }) }),
        key: `${k('scaling')}.scorer.min`,
        says: /must not exceed/,
      },
      { what: 'a scaling setting that is not a mapping', values: base({ [k('scaling')]: '[1,2]' }), key: k('scaling'), says: /must be an object/ },
    ];
    for (const { what, values, key, says } of cases) {
      it(`rejects ${what}, naming ${key}`, () => {
        // Act
        const issues = issuesOf(values);

        // Assess
        const issue = issues.find((i) => i.key === key);
        expect(issue, JSON.stringify(issues)).to.not.equal(undefined);
        expect(issue?.problem).to.match(says);
      });
    }

    it('names every bad key in one error', () => {
      // Prepare
      const values = base({ [k('rawShards')]: 'x', [k('natGateways')]: 'y', [k('stopTimeoutSeconds')]: '500' });

      // Act
      const issues = issuesOf(values);

      // Assess
      expect(issues.map((i) => i.key)).to.include.members([k('rawShards'), k('natGateways'), k('stopTimeoutSeconds')]);
    });

    it('never echoes a secret it rejects', () => {
      // Prepare
      const secret = 'short/@"';

      // Act
      const issues = issuesOf(base({ [k('redisAuthToken')]: secret }));

      // Assess
      expect(issues.map((i) => i.key)).to.deep.equal([k('redisAuthToken')]);
      expect(JSON.stringify(issues)).to.not.include(secret);
      expect(SECRET_KEYS).to.include(k('redisAuthToken'));
    });
  });
});

describe('Function: fargateSizeProblem', () => {
  it('accepts every size Fargate lists and nothing between them', () => {
    for (const [cpu, memories] of Object.entries(FARGATE_MEMORY)) {
      for (const memory of memories) expect(fargateSizeProblem(Number(cpu), memory), `${cpu}/${memory}`).to.equal(undefined);
      expect(fargateSizeProblem(Number(cpu), (memories[0] ?? 0) - 1)).to.match(/does not fit/);
    }
  });

  it('names the CPU sizes when the CPU is not one', () => {
    expect(fargateSizeProblem(300, 1024)).to.match(/cpu must be one of 256, 512/);
  });
});
