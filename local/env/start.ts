import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createAwsClients } from '../../shared/aws/clients.js';
import { ownTempFolder } from '../../shared/command-line/temp-folder.js';
import type { AwsClients } from '../../shared/aws/clients.js';
import { resourceNames } from '../../shared/catalog.js';
import type { StackResourceNames, StreamConsumerName, StreamName } from '../../shared/catalog.js';
import { consumerVariables, resourceVariables } from '../../shared/worker-env.js';
import { DevIssuer, devAudience } from '../dev-issuer/index.js';
import type { WorkerVariable } from '../../shared/worker-env.js';
import { DynamoDbEngine, KinesisEngine, START_TIMEOUT_MS, dynamoDbProcess, kinesisProcess, redisProcess, s3Process } from './emulators.js';
import type { DynamoDbEngineName, KinesisEngineName } from './emulators.js';
import { LocalEnvError, MissingProgramError, PortInUseError, ServiceStartError } from './errors.js';
import { ManagedProcess } from './managed-process.js';
import { ensureRedis } from './redis-bootstrap.js';
import { LOOPBACK, freePort, isPortInUse, waitForPort } from './ports.js';
import { ensureStreamConsumers, provisionCatalog } from './provision.js';
import { frontsHandle, frontsProcess } from './front/front-process.js';
import type { FrontsHandle } from './front/front-process.js';
import { LOCAL_REGION, operatorCredentials, roleCredentials } from './front/identities.js';
import type { LocalCredentials } from './front/identities.js';
import type { EnforceOptions } from './front/types.js';
import type { ContractRoleName } from '../../shared/iam/grants.js';

export { LOCAL_REGION };

/** The operator's key pair: provisioning, tests that inspect state, the CLI's `query`. */
export const LOCAL_CREDENTIALS: LocalCredentials = operatorCredentials();

/** Where the fronts record denials and exercised grants when the caller names no folder (the test and fault suites set it). */
export const RECORD_DIR_VARIABLE = 'INSIGHTS_FRONT_RECORD_DIR';

export interface LocalEnvOptions {
  /** @default 'kinesalite' */
  readonly kinesis?: KinesisEngineName;
  /** @default 'dynamodb-local' (AWS's own engine; needs Java 17) */
  readonly dynamodb?: DynamoDbEngineName;
  /**
   * An AWS-compatible endpoint already running (LocalStack: http://localhost:4566). When set, no
   * emulator is started and every AWS service is reached there.
   */
  readonly endpoint?: string;
  /** A Redis already running; when unset an embedded `redis-server` is started. */
  readonly redisUrl?: string;
  /** Fixed ports instead of free ones. */
  readonly ports?: Partial<Record<'kinesis' | 'dynamodb' | 's3' | 'redis', number>>;
  /** Stack whose catalog resources are provisioned. @default 'local' */
  readonly stack?: string;
  /** Create every catalog resource. @default true */
  readonly provision?: boolean;
  /** Shards per stream when provisioning. @default 2 for each lane's raw and results stream (so local runs exercise several shards) */
  readonly shards?: Partial<Record<StreamName, number>>;
  /** Where s3rver and Redis keep data. @default a new temporary folder (in the command's own, see `useOwnTempFolder`), removed on stop */
  readonly dataDir?: string;
  /** Reports each step (for progress on a terminal). */
  readonly onProgress?: (message: string) => void;
  /** Folder of the development issuer's signing keys (created when empty). @default `<dataDir>/dev-issuer` */
  readonly devIssuerKeysDir?: string;
  /**
   * What the fronts before the emulators enforce: IAM (each role's grants from the contract) and
   * the limits. Ignored with `endpoint`. @default { iam: true, limits: true }
   */
  readonly enforce?: EnforceOptions;
  /** Folder where the fronts record denials and exercised grants. @default $INSIGHTS_FRONT_RECORD_DIR, else nothing is recorded */
  readonly recordDir?: string;
  /** As root with apt, install a missing redis-server once (what `insights` does; tests never install). @default false */
  readonly installMissing?: boolean;
  /** Stops start-up at once when it aborts (Ctrl-C): what was started is stopped, and the abort's reason is thrown. */
  readonly signal?: AbortSignal;
}

export interface LocalEnvEndpoints {
  readonly kinesis: string;
  readonly dynamodb: string;
  readonly s3: string;
}

export interface LocalEnvProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number | undefined;
}

/** What users of an environment need of its development issuer (a kept environment's is served by its supervisor). */
export type LocalIssuer = Pick<DevIssuer, 'issuer' | 'audience' | 'jwksUrl' | 'workerValues' | 'mint'>;

export interface LocalEnv {
  readonly stack: string;
  readonly engines: { readonly kinesis: string; readonly dynamodb: string };
  /** Where clients reach each service: the fronts (IAM, limits) before the emulators. */
  readonly endpoints: LocalEnvEndpoints;
  readonly redisUrl: string;
  readonly names: StackResourceNames;
  /** AWS_* variables that point an SDK at this environment as its operator (allowed everything). */
  readonly env: Readonly<Record<string, string>>;
  /** What the fronts enforce; both false with an external endpoint. */
  readonly enforce: Readonly<Required<EnforceOptions>>;
  /** The fronts' counters and denials; undefined with an external endpoint (no fronts run). */
  readonly front: FrontsHandle | undefined;
  /** Worker-contract values for this environment (names, Redis), for `buildWorkerEnv`. */
  readonly workerValues: Partial<Record<WorkerVariable, string>>;
  readonly processes: readonly LocalEnvProcess[];
  readonly dataDir: string;
  /** The development identity provider: its JWKS on loopback, and tokens for the api role. */
  readonly issuer: LocalIssuer;
  /** New clients pointed at this environment, as its operator; the caller closes them. */
  clients(): AwsClients & { destroy(): void };
  /** The key pair of `role` in `stack` (each stack's roles are identities of their own). @default stack: this environment's */
  credentialsFor(role: ContractRoleName, stack?: string): LocalCredentials;
  /**
   * AWS_* variables for a process acting as `role` in `stack` (a worker process, a CLI command):
   * this environment's variables (endpoints) with the role's key pair. Called as a method, so an
   * environment seen through another stack (`isolatedStack`) answers with its own stack and endpoints.
   * @default stack: this environment's
   */
  awsEnvFor(role: ContractRoleName, stack?: string): Readonly<Record<string, string>>;
  /** New clients acting as `role` in `stack`, for role code run in-process; the caller closes them. @default stack: this environment's */
  clientsFor(role: ContractRoleName, stack?: string): AwsClients & { destroy(): void };
  /** Stops everything started; safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_SHARDS = { raw: 2, results: 2, rawHistory: 2, resultsHistory: 2 } as const;

function findOnPath(program: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function awsEnv(endpoints: LocalEnvEndpoints, credentials: LocalCredentials, single?: string): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(single === undefined
      ? { AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis, AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb, AWS_ENDPOINT_URL_S3: endpoints.s3 }
      : { AWS_ENDPOINT_URL: single }),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Worker-contract values that follow from a stack's names, its stream consumers and a Redis URL. */
export function localWorkerValues(stack: string, names: StackResourceNames, consumerArns: Readonly<Record<StreamConsumerName, string>> | undefined, redisUrl: string): Partial<Record<WorkerVariable, string>> {
  return { INSIGHTS_STACK: stack, ...resourceVariables(names), ...(consumerArns === undefined ? {} : consumerVariables(consumerArns)), REDIS_URL: redisUrl };
}

async function probe(service: string, call: () => Promise<unknown>, timeoutMs: number, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (proc && !proc.alive) throw new ServiceStartError(service, `it exited (${proc.exitDescription})`, proc.output);
    try {
      await call();
      return;
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new ServiceStartError(service, `no answer within ${timeoutMs} ms (${(last as Error)?.message ?? 'unknown'})`, proc?.output ?? '', { cause: last });
}

async function pickPort(service: string, fixed: number | undefined): Promise<number> {
  if (fixed === undefined) return freePort();
  if (await isPortInUse(fixed)) throw new PortInUseError(service, fixed);
  return fixed;
}

/**
 * Starts the local AWS environment on loopback: Kinesis, DynamoDB and S3 emulators that speak the
 * real wire protocols, and Redis; waits until each answers a real API call; provisions every
 * catalog resource. If anything fails half way, everything already started is stopped before the
 * error is thrown, so no process or port is left behind.
 *
 * @example
 * const env = await startLocalEnv();
 * try { ...use env.clients(), env.redisUrl... } finally { await env.stop(); }
 */
export async function startLocalEnv(options: LocalEnvOptions = {}): Promise<LocalEnv> {
  const stack = options.stack ?? 'local';
  const report = options.onProgress ?? (() => undefined);
  const kinesisEngine = options.kinesis ?? KinesisEngine.Kinesalite;
  const dynamoEngine = options.dynamodb ?? DynamoDbEngine.DynamoDbLocal;
  const started: { proc: ManagedProcess; port: number | undefined }[] = [];
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(ownTempFolder(), 'insights-local-'));
  let stopping: Promise<void> | undefined;
  let issuer: DevIssuer | undefined;

  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.allSettled([...started.map(({ proc }) => proc.stop()), issuer?.close()]);
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  // Start-up waits race this, so an interrupt does not wait for every emulator to answer first.
  const interrupted = new Promise<never>((_, reject) => {
    if (options.signal?.aborted) reject(options.signal.reason);
    options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
  });
  interrupted.catch(() => undefined);
  const orInterrupt = <T>(work: Promise<T>): Promise<T> => Promise.race([work, interrupted]);

  const launch = (spec: ConstructorParameters<typeof ManagedProcess>[0], port: number): ManagedProcess => {
    const proc = new ManagedProcess(spec);
    started.push({ proc, port });
    return proc;
  };

  try {
    // Check everything that can be checked before starting anything.
    const redisSource = ensureRedis(options.redisUrl, report, { install: options.installMissing === true });
    const redisServer = redisSource.kind === 'server' ? redisSource.path : undefined;
    if (options.endpoint === undefined && dynamoEngine === DynamoDbEngine.DynamoDbLocal && findOnPath('java') === undefined) {
      throw new MissingProgramError('java', 'DynamoDB Local needs Java 17 (`apt-get install openjdk-17-jre-headless`), or use --dynamodb dynalite');
    }

    if (options.endpoint !== undefined) {
      // Said at once and by name, rather than as the first service that "did not start" 15 s later.
      const url = new URL(options.endpoint);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      if (!(await isPortInUse(port, url.hostname.replace(/^\[|\]$/g, '')))) {
        throw new LocalEnvError(`nothing answers at ${options.endpoint} (--endpoint or AWS_ENDPOINT_URL): start LocalStack (or another AWS-compatible endpoint) there, or leave the option out to use the embedded emulators`);
      }
    }

    let endpoints: LocalEnvEndpoints;
    let front: FrontsHandle | undefined;
    const enforce = options.endpoint === undefined ? { iam: options.enforce?.iam ?? true, limits: options.enforce?.limits ?? true } : { iam: false, limits: false };
    const waits: Promise<void>[] = [];
    if (options.endpoint === undefined) {
      const [kinesisPort, dynamoPort, s3Port] = [
        await pickPort('kinesis', options.ports?.kinesis),
        await pickPort('dynamodb', options.ports?.dynamodb),
        await pickPort('s3', options.ports?.s3),
      ];
      const tlsPort = await freePort();
      const s3Dir = join(dataDir, 's3');
      const kinesisProc = launch(kinesisProcess(kinesisEngine, kinesisPort, tlsPort), kinesisPort);
      const dynamoProc = launch(dynamoDbProcess(dynamoEngine, dynamoPort), dynamoPort);
      mkdirSync(s3Dir, { recursive: true });
      const s3Proc = launch(s3Process(s3Port, s3Dir), s3Port);
      const upstreams = {
        kinesis: `http://${LOOPBACK}:${kinesisPort}`,
        dynamodb: `http://${LOOPBACK}:${dynamoPort}`,
        s3: `http://${LOOPBACK}:${s3Port}`,
      };
      // Clients reach the emulators only through the fronts, which enforce IAM and the limits.
      const [kinesisFront, dynamoFront, s3Front, controlPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const recordDir = options.recordDir ?? process.env[RECORD_DIR_VARIABLE];
      const frontsProc = launch(
        frontsProcess({
          services: [
            { service: 'kinesis', upstream: upstreams.kinesis, port: kinesisFront },
            { service: 'dynamodb', upstream: upstreams.dynamodb, port: dynamoFront },
            { service: 's3', upstream: upstreams.s3, port: s3Front },
          ],
          controlPort,
          enforce,
          ...(recordDir === undefined || recordDir === '' ? {} : { recordDir }),
        }),
        controlPort,
      );
      front = frontsHandle(`http://${LOOPBACK}:${controlPort}`, upstreams);
      endpoints = {
        kinesis: `http://${LOOPBACK}:${kinesisFront}`,
        dynamodb: `http://${LOOPBACK}:${dynamoFront}`,
        s3: `http://${LOOPBACK}:${s3Front}`,
      };
      for (const [proc, port, key] of [
        [kinesisProc, kinesisPort, kinesisEngine],
        [dynamoProc, dynamoPort, dynamoEngine],
        [s3Proc, s3Port, 's3rver'],
        [frontsProc, controlPort, 'fronts'],
      ] as const) {
        waits.push(
          waitForPort(port, START_TIMEOUT_MS[key], () => proc.alive).catch((error: Error) => {
            throw new ServiceStartError(proc.name, error.message, proc.output, { cause: error });
          }),
        );
      }
    } else {
      endpoints = { kinesis: options.endpoint, dynamodb: options.endpoint, s3: options.endpoint };
    }

    let redisUrl = options.redisUrl;
    let redisProc: ManagedProcess | undefined;
    if (redisUrl === undefined) {
      const redisPort = await pickPort('redis', options.ports?.redis);
      const redisDir = join(dataDir, 'redis');
      mkdirSync(redisDir, { recursive: true });
      redisProc = launch(redisProcess(redisServer!, redisPort, redisDir), redisPort);
      redisUrl = `redis://${LOOPBACK}:${redisPort}`;
      const proc = redisProc;
      waits.push(
        waitForPort(redisPort, START_TIMEOUT_MS.redis, () => proc.alive).catch((error: Error) => {
          throw new ServiceStartError('redis', error.message, proc.output, { cause: error });
        }),
      );
    }
    report(`starting ${started.map((s) => s.proc.name).join(', ') || 'nothing (using existing endpoints)'}`);
    await orInterrupt(Promise.all(waits));

    const env = awsEnv(endpoints, LOCAL_CREDENTIALS, options.endpoint);
    // Credentials are explicit so a developer's own AWS profile can never be used against it.
    const makeClients = () => createAwsClients({ region: LOCAL_REGION, env, credentials: LOCAL_CREDENTIALS });

    const probeClients = makeClients();
    try {
      const find = (name: string) => started.find((s) => s.proc.name === name)?.proc;
      await orInterrupt(Promise.all([
        probe('kinesis', () => probeClients.kinesis.send(new ListStreamsCommand({})), START_TIMEOUT_MS[kinesisEngine], find(kinesisEngine)),
        probe('dynamodb', () => probeClients.dynamodb.send(new ListTablesCommand({})), START_TIMEOUT_MS[dynamoEngine], find(dynamoEngine)),
        probe('s3', () => probeClients.s3.send(new ListBucketsCommand({})), START_TIMEOUT_MS.s3rver, find('s3rver')),
        probe(
          'redis',
          async () => {
            const redis = new Redis(redisUrl!, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
            redis.on('error', () => undefined);
            try {
              await redis.connect();
              await redis.ping();
            } finally {
              redis.disconnect();
            }
          },
          START_TIMEOUT_MS.redis,
          redisProc,
        ),
      ]));
      report('every service answers');

      const provisioned =
        options.provision === false
          ? undefined
          : await orInterrupt(provisionCatalog(probeClients, { stack, shards: { ...DEFAULT_SHARDS, ...options.shards } }));
      if (options.provision !== false) report(`provisioned the catalog for stack '${stack}'`);
      const names = provisioned ?? resourceNames(stack);
      // Stream consumers live in the Kinesis front (or LocalStack), not in the emulator's data: a
      // kept stack registers them again when its front is new. Unprovisioned and never created
      // (the test suite's and the bench's base environment, whose stacks are their own), none.
      const consumerArns = provisioned?.consumerArns ?? (await orInterrupt(ensureStreamConsumers(probeClients.kinesis, names).catch((error: unknown) => {
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
        throw error;
      })));
      issuer = await DevIssuer.start({ keysDir: options.devIssuerKeysDir ?? join(dataDir, 'dev-issuer'), audience: devAudience(stack) });

      return {
        stack,
        engines: options.endpoint === undefined ? { kinesis: kinesisEngine, dynamodb: dynamoEngine } : { kinesis: 'external', dynamodb: 'external' },
        endpoints,
        redisUrl,
        names,
        env,
        workerValues: { ...localWorkerValues(stack, names, consumerArns, redisUrl), ...issuer.workerValues },
        processes: started.map(({ proc, port }) => ({ name: proc.name, pid: proc.pid ?? -1, port })),
        dataDir,
        issuer,
        enforce,
        front,
        clients: makeClients,
        credentialsFor(this: LocalEnv, role: ContractRoleName, stackName = this.stack) {
          return roleCredentials(stackName, role);
        },
        awsEnvFor(this: LocalEnv, role: ContractRoleName, stackName = this.stack) {
          const credentials = roleCredentials(stackName, role);
          return { ...this.env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
        },
        clientsFor(this: LocalEnv, role: ContractRoleName, stackName = this.stack) {
          return createAwsClients({ region: LOCAL_REGION, env: this.awsEnvFor(role, stackName), credentials: roleCredentials(stackName, role) });
        },
        stop: stopAll,
      };
    } finally {
      probeClients.destroy();
    }
  } catch (error) {
    await stopAll();
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof LocalEnvError) throw error;
    throw new LocalEnvError(`local environment failed to start: ${(error as Error).message}`, { cause: error });
  }
}
