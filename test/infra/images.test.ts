import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { IMAGES_KEPT, imageLifecyclePolicy } from '../../infra/components/workers.js';
import { ComponentArgsError } from '../../infra/errors.js';
import { currentImageTag, imageTag } from '../../infra/lib/image-tag.js';
import { named, ofType, planned } from './helpers.js';

const REPOSITORY = 'aws:ecr/repository:Repository';

describe('Function: imageTag', () => {
  it('names the image by its commit, and a dirty tree never by the clean commit alone', () => {
    // Prepare
    const commit = 'a'.repeat(40);

    // Act
    const clean = imageTag(commit.toUpperCase());
    const dirty = imageTag(commit, 1_700_000_000_123);

    // Assess
    expect(clean).to.equal(commit);
    expect(dirty).to.equal(`${commit}-dirty-1700000000`);
  });

  it('refuses what is not a commit id, naming it', () => {
    expect(() => imageTag('latest')).to.throw(ComponentArgsError, "got 'latest'");
  });
});

describe('Function: currentImageTag', () => {
  let repo: string;
  let head: string;
  before(() => {
    // Prepare: a repository of its own, so the test knows its head and whether it is dirty.
    repo = mkdtempSync(path.join(tmpdir(), 'image-tag-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q');
    writeFileSync(path.join(repo, 'a.txt'), 'a');
    git('add', '.');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'a');
    head = git('rev-parse', 'HEAD');
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  it("takes the workflow's GITHUB_SHA, else the clean checkout's HEAD, else HEAD marked dirty", () => {
    // Act
    const fromCi = currentImageTag(repo, { GITHUB_SHA: 'b'.repeat(40) });
    const clean = currentImageTag(repo, {});
    writeFileSync(path.join(repo, 'a.txt'), 'changed');
    const dirty = currentImageTag(repo, {}, () => 5000);

    // Assess
    expect(fromCi).to.equal('b'.repeat(40));
    expect(clean).to.equal(head);
    expect(dirty).to.equal(`${head}-dirty-5`);
  });
});

describe('Function: imageLifecyclePolicy', () => {
  it('expires untagged images first and keeps the newest N of the rest, the any-tag rule last', () => {
    // Act
    const { rules } = imageLifecyclePolicy(IMAGES_KEPT);

    // Assess
    expect(rules.map((r) => r.rulePriority)).to.deep.equal([1, 2]);
    expect(rules[0]?.selection).to.include({ tagStatus: 'untagged' });
    expect(rules.at(-1)?.selection).to.deep.equal({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: IMAGES_KEPT });
  });
});

describe('Component: Workers image repository (dev and prod under mocks)', function () {
  this.timeout(120_000);
  for (const stack of ['dev', 'prod'] as const) {
    it(`${stack}: pushes to one repository with immutable tags, scan on push and the lifecycle, tagged by the commit`, async () => {
      // Act
      const plan = await planned(stack);
      const repositories = ofType(plan.resources, REPOSITORY);
      const lifecycle = named(plan.resources, 'aws:ecr/lifecyclePolicy:LifecyclePolicy', 'workers-repository');
      const image = named(plan.resources, 'awsx:ecr:Image', 'workers-image');

      // Assess
      expect(repositories).to.have.length(1);
      expect(repositories[0]?.inputs).to.deep.include({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
      expect(JSON.parse(String(lifecycle.inputs['policy']))).to.deep.equal(imageLifecyclePolicy(IMAGES_KEPT));
      expect(String(image.inputs['imageTag'])).to.match(/^[0-9a-f]{7,40}(-dirty-\d+)?$/);
      expect(image.inputs['repositoryUrl']).to.match(new RegExp(`/${String(repositories[0]?.inputs['name'])}$`));
    });
  }
});
