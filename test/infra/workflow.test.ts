import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';

// js-yaml comes with @pulumi/pulumi and ships no types (as in infra/planner/stack-file.ts).
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly environment?: string;
  readonly concurrency?: { group: string; 'cancel-in-progress': boolean };
  readonly steps: Step[];
}

const workflow = yaml.load(readFileSync(new URL('../../.github/workflows/infra.yml', import.meta.url), 'utf8')) as { jobs: Record<string, Job> };
const jobs = Object.entries(workflow.jobs);
/** The pulumi/actions step of a job, if it runs Pulumi. */
const pulumiStep = (job: Job) => job.steps.find((s) => s.uses?.startsWith('pulumi/actions@'));
const stackOf = (job: Job) => String(pulumiStep(job)?.with?.['stack-name'] ?? '').split('/').at(-1);

describe('Workflow: .github/workflows/infra.yml', () => {
  it('pins every action by a full commit id', () => {
    // Act
    const unpinned = jobs.flatMap(([name, job]) => job.steps.filter((s) => s.uses !== undefined && !/@[0-9a-f]{40}$/.test(s.uses.split(' ')[0] ?? '')).map((s) => `${name}: ${s.uses}`));

    // Assess
    expect(jobs.flatMap(([, job]) => job.steps.filter((s) => s.uses !== undefined))).to.not.be.empty;
    expect(unpinned).to.deep.equal([]);
  });

  it('installs the Pulumi CLI of the version the SDK in the lockfile has', () => {
    // Prepare
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, { version: string }> };

    // Act
    const pinned = readFileSync(new URL('../../.pulumi-version', import.meta.url), 'utf8').trim();

    // Assess
    expect(pinned).to.equal(lock.packages['node_modules/@pulumi/pulumi']?.version);
    for (const [name, job] of jobs) {
      const step = pulumiStep(job);
      if (step !== undefined) expect(step.with?.['pulumi-version-file'], name).to.equal('.pulumi-version');
    }
  });

  it('runs previews and deploys of one stack in one concurrency group that never cancels', () => {
    for (const [name, job] of jobs.filter(([, j]) => pulumiStep(j) !== undefined)) {
      expect(job.concurrency, name).to.deep.equal({ group: `pulumi-${stackOf(job)}`, 'cancel-in-progress': false });
    }
  });

  it('previews prod with a refresh and the policy pack before the approval gate, and checks the deploy after', () => {
    // Prepare
    const pulumiJobs = jobs.filter(([, j]) => pulumiStep(j) !== undefined);
    const [previewName, preview] = pulumiJobs.find(([, j]) => stackOf(j) === 'prod' && pulumiStep(j)?.with?.['command'] === 'preview') ?? [];
    const [, deploy] = pulumiJobs.find(([, j]) => stackOf(j) === 'prod' && pulumiStep(j)?.with?.['command'] === 'up') ?? [];

    // Assess
    expect(preview, 'a prod preview job').to.not.equal(undefined);
    expect(preview?.environment, 'the preview runs before, not behind, the approval').to.equal(undefined);
    expect(pulumiStep(preview as Job)?.with).to.include({ refresh: true, policyPacks: 'infra/policy/dist' });
    expect(deploy?.environment).to.equal('prod');
    expect([deploy?.needs].flat()).to.include(previewName);
    expect(pulumiStep(deploy as Job)?.with).to.include({ policyPacks: 'infra/policy/dist' });
    expect(deploy?.steps.at(-1)?.run).to.include('describe-task-definition');
  });
});
