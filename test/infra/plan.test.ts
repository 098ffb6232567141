import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ConfigError } from '../../shared/errors.js';
import { StackFileError } from '../../infra/errors.js';
import { redactSecrets, SECRET_MARKER, urnToRef } from '../../infra/planner/mock-stack.js';
import { plan } from '../../infra/planner/plan.js';
import { renderTree, summarize } from '../../infra/planner/plan-summary.js';
import { parseStackFile } from '../../infra/planner/stack-file.js';
import * as pulumi from '@pulumi/pulumi';
import { planned } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

describe('Function: plan', function () {
  this.timeout(120_000);

  it('lists every resource with its type, name, parent and inputs', async () => {
    // Act
    const result = await planned('dev');

    // Assess
    expect(result.resources.length).to.be.greaterThan(0);
    const refs = new Set(result.resources.map((r) => `${r.type}::${r.name}`));
    for (const r of result.resources) {
      expect(r.type).to.match(/^[a-z-]+:[A-Za-z0-9/:-]+$/);
      expect(r.inputs).to.be.an('object');
      if (r.parent !== undefined) expect(refs.has(r.parent), `${r.name}'s parent ${r.parent}`).to.equal(true);
    }
    expect(result.standIns).to.include('realtime-insights:redisAuthToken');
  });

  it('prints the tree with every resource once, children indented under their component', async () => {
    // Prepare
    const result = await planned('dev');

    // Act
    const lines = renderTree(result.resources).split('\n');

    // Assess
    expect(lines).to.have.length(result.resources.length);
    expect(lines[0]).to.equal('pulumi:pulumi:Stack realtime-insights-dev');
    const stream = lines.find((l) => l.includes('aws:kinesis/stream:Stream streams-raw'));
    expect(stream).to.match(/^ {4}aws:kinesis\/stream:Stream streams-raw {2}name=realtime-insights-dev-raw mode=PROVISIONED shards=1 /);
    expect(lines.find((l) => l.includes('queue-redis'))).to.include(`authToken=${SECRET_MARKER}`);
  });

  it('stops with the config key when a stack file holds a bad value', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'plan-'));
    await writeFile(
      path.join(dir, 'Pulumi.broken.yaml'),
      ['config:', '  aws:region: eu-west-1', '  realtime-insights:dataPlaneOnly: true', '  realtime-insights:rawShards: lots', '  realtime-insights:logRetentionDays: 8'].join('\n'),
    );

    try {
      // Act
      const failure = await plan({ stack: 'broken', root: dir }).then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(failure).to.be.instanceOf(ConfigError);
      expect((failure as ConfigError).issues.map((i) => i.key)).to.deep.equal(['realtime-insights:rawShards', 'realtime-insights:logRetentionDays']);
      expect((failure as Error).message).to.include("realtime-insights:rawShards must be a whole number between 1 and 500, got 'lots'");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints JSON from the command line and fails with a message for a stack without a file', async () => {
    // Act
    const [{ stdout }, missing] = await Promise.all([
      run(process.execPath, ['--import=tsx', 'infra/planner/plan.ts', '--stack', 'local', '--json'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }),
      run(process.execPath, ['--import=tsx', 'infra/planner/plan.ts', '--stack', 'nope'], { cwd: ROOT }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      ),
    ]);

    // Assess
    const resources = JSON.parse(stdout) as { type: string; name: string; parent: string | null; inputs: object }[];
    expect(resources.map((r) => Object.keys(r))).to.deep.equal(resources.map(() => ['type', 'name', 'parent', 'inputs']));
    // Both lanes' raw and results streams.
    expect(resources.filter((r) => r.type === 'aws:kinesis/stream:Stream')).to.have.length(4);
    expect(missing?.code).to.equal(1);
    expect(missing?.stderr).to.match(/Pulumi\.nope\.yaml: no such stack file; the stacks are dev, local, prod/);
  });
});

describe('Function: parseStackFile', () => {
  it('flattens config to the strings Pulumi passes, objects as JSON, and lists encrypted values apart', () => {
    // Prepare
    const text = ['config:', '  aws:region: eu-west-1', '  p:count: 3', '  p:map: { a: 1 }', '  p:token:', '    secure: v1:abc'].join('\n');

    // Act
    const file = parseStackFile(text);

    // Assess
    expect(file.config).to.deep.equal({ 'aws:region': 'eu-west-1', 'p:count': '3', 'p:map': '{"a":1}' });
    expect(file.encryptedKeys).to.deep.equal(['p:token']);
  });

  it('refuses keys without a namespace and files that are not YAML mappings', () => {
    expect(() => parseStackFile('config:\n  rawShards: 1')).to.throw(StackFileError, /must be namespaced/);
    expect(() => parseStackFile('- a\n- b')).to.throw(StackFileError, /mapping/);
  });
});

describe('Function: summarize and the mock helpers', () => {
  it('summarises a resource type it has no rule for by its name', () => {
    expect(summarize({ type: 'aws:x/y:Z', name: 'n', parent: undefined, custom: true, inputs: { name: 'thing' }, options: { protect: false, ignoreChanges: [], dependencies: [] } })).to.equal('name=thing');
  });

  it('turns URNs into type::name references and hides secret values', () => {
    expect(urnToRef('urn:pulumi:dev::realtime-insights::realtime-insights:streams:Streams$aws:kinesis/stream:Stream::streams-raw')).to.equal('aws:kinesis/stream:Stream::streams-raw');
    expect(urnToRef('')).to.equal(undefined);
    const secret = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: 'hunter2' };
    expect(redactSecrets({ a: [secret], b: 1 })).to.deep.equal({ a: [SECRET_MARKER], b: 1 });
  });
});
