import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEnv } from '../../../local/env/index.js';
import { LOOPBACK, freePort } from '../../../local/env/ports.js';
import { WorkerProcess } from '../../../local/runner/worker-process.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { getLocalEnv } from '../../helpers/local-env.js';
import { scoredResults } from '../projector/scored-results.js';
import { createStackView } from './stack-view.js';
import type { StackView } from './stack-view.js';

/**
 * The api role as a deployed task runs it: its own process (`workers/main.ts api`), its own IAM
 * identity in the local front, its environment from the contract, the development issuer's JWKS.
 */
describe('Role: api (as a process)', function () {
  this.timeout(90_000);
  let env: LocalEnv;
  let view: StackView;
  let worker: WorkerProcess;
  let logDir: string;
  let base: string;
  const [alice, bob] = ['user-1', 'user-2'];

  before(async () => {
    env = await getLocalEnv();
    view = await createStackView(env);
    await new ViewWriter({ dynamodb: view.projector, tableName: view.tableName }).write(scoredResults(60, { seed: 5, users: 2 }));
    logDir = mkdtempSync(join(tmpdir(), 'api-role-'));
    const port = await freePort();
    worker = new WorkerProcess({
      role: 'api',
      instance: 1,
      values: { ...env.workerValues, INSIGHTS_STACK: view.stack, VIEW_TABLE_NAME: view.tableName, API_PORT: port, API_HOST: LOOPBACK },
      awsEnv: env.awsEnvFor('api', view.stack),
      logDir,
    });
    await worker.start();
    await worker.waitHealthy(60_000);
    base = `http://${LOOPBACK}:${port}`;
  });

  after(async () => {
    await worker?.stop();
    await view?.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  const status = async (path: string, token?: string) => (await fetch(`${base}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })).status;

  it("answers A's insights 200 and B's 403 for a token of A, 401 without a token and 401 for an expired one", async () => {
    // Prepare
    const token = await env.issuer.mint(alice);
    const expired = await env.issuer.mint(alice, { issuedAt: new Date(Date.now() - 2 * 3600_000), ttlSeconds: 3600 });

    // Act
    const answers = [await status(`/users/${alice}/insights`, token), await status(`/users/${bob}/insights`, token), await status(`/users/${alice}/insights`), await status(`/users/${alice}/insights`, expired)];
    const health = await worker.health();

    // Assess
    expect(answers).to.deep.equal([200, 403, 401, 401]);
    expect(health?.['details']).to.have.nested.property('api.forbidden', 1);
    expect(health?.['details']).to.have.nested.property('api.unauthenticated', 2);
  });

  it('serves the insights page', async () => {
    // Act
    const response = await fetch(`${base}/`);

    // Assess
    expect(response.status).to.equal(200);
    expect(await response.text()).to.contain('<title>Spending insights</title>');
  });
});
