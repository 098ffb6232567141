import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../../local/broker/server.js';
import type { BrokerHandle } from '../../../local/broker/server.js';
import { WorkerProcess } from '../../../local/runner/worker-process.js';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { expectDenials, testStack } from '../../helpers/local-env.js';
import type { TestStack } from '../../helpers/local-env.js';

describe('Workers and AccessDenied', function () {
  this.timeout(90_000);
  let own: TestStack;
  let broker: BrokerHandle | undefined;
  let worker: WorkerProcess | undefined;
  const logDir = mkdtempSync(join(tmpdir(), 'denied-worker-'));

  before(async () => {
    own = await testStack();
    // Every call below is refused on purpose: they must not fail the run.
    expectDenials(own.stack);
  });

  after(async () => {
    await worker?.stop(5_000);
    await broker?.close();
    await own?.cleanup();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('reports an AccessDenied answer to the client owner before the caller sees it', async () => {
    // Prepare
    const reported: string[] = [];
    const api = createAwsClients({ region: 'us-east-1', env: own.env.awsEnvFor('api'), credentials: own.env.credentialsFor('api'), onAccessDenied: (error) => reported.push(error.name) });

    // Act
    const failed = await api.dynamodb.send(new GetItemCommand({ TableName: own.names.tables.crawlerState, Key: { name: { S: 'x' } } })).catch((error: Error) => error);
    api.destroy();

    // Assess
    expect((failed as Error).name).to.equal('AccessDeniedException');
    expect(reported).to.deep.equal(['AccessDeniedException']);
  });

  it('stops a worker whose role may not make its calls, with the denial in its log, instead of retrying for ever', async () => {
    // Prepare: the crawler's process signs as the api role, which may touch none of the crawler's resources.
    broker = await startBroker({ records: 20 });
    worker = new WorkerProcess({
      role: 'crawler',
      instance: 1,
      values: { ...own.env.workerValues, BROKER_URL: broker.url, BROKER_API_KEY: broker.apiKey },
      awsEnv: own.env.awsEnvFor('api'),
      logDir,
    });

    // Act
    await worker.start();
    const deadline = Date.now() + 30_000;
    while (worker.alive && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    // Assess
    expect(worker.alive, 'the crawler is still running after its calls were denied').to.equal(false);
    const log = readFileSync(worker.logFile, 'utf8');
    expect(log).to.include('AWS denied a call this role needs; stopping');
    expect(log).to.match(new RegExp(`assumed-role/realtime-insights-${own.stack}-api/api is not authorized to perform: (dynamodb|kinesis):`));
  });
});
