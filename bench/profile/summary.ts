/**
 * `node --import=tsx bench/profile/summary.ts FILE.cpuprofile [--top N]`: where one process's
 * CPU went, from a `node --cpu-prof` profile. Prints self time by package (or project folder) and
 * the functions with the most self time, idle and program time left out, so a role's three
 * largest costs can be named from a profile of the bench's load (see bench/README.md).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface CostLine {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time. */
  readonly share: number;
}

export interface ProfileSummary {
  /** Busy time after start-up: what the shares are of. */
  readonly busyMs: number;
  /** Module loading and compiling, left out of the shares. */
  readonly startUpMs: number;
  readonly idleMs: number;
  readonly byCategory: readonly CostLine[];
  readonly byPackage: readonly CostLine[];
  readonly byFunction: readonly CostLine[];
}

// Not work: the process waiting on its event loop, or the profiler's own bookkeeping.
const IDLE = new Set(['(idle)', '(program)']);

/** Loading and compiling modules (tsx, Node's loaders): start-up, paid once per process, not per record. */
export function isStartUp(owner: string): boolean {
  return owner === 'tsx' || owner === 'esbuild' || owner.startsWith('node:internal/modules') || owner.startsWith('node:internal/deps/cjs-module-lexer');
}

/** Where a frame's code lives: an npm package, a project folder, Node's own library or V8. */
export function frameOwner(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const project = /\/(shared|workers|models|local|bench)\/(.+?)\/?[^/]*$/.exec(url);
  if (project !== null) return `${project[1]}/${project[2]?.split('/')[0] ?? ''}`;
  return url;
}

/**
 * What a cost is, coarser than its package: the AWS SDK's serialising, signing and middleware; the
 * sockets under it; the garbage collector; validation; the queue client; the project's own code.
 * Native frames are named by their callers where that is clear (`writev` is a socket write).
 */
export function costCategory(owner: string, functionName: string): string {
  if (owner.startsWith('@smithy/') || owner.startsWith('@aws-sdk/')) return 'AWS SDK (serialise, sign, middleware, parse)';
  if (owner === '(garbage collector)') return 'garbage collector';
  if (owner === 'zod') return 'zod validation';
  if (owner === 'bullmq' || owner === 'ioredis' || owner === 'denque' || owner === 'msgpackr') return 'BullMQ / ioredis';
  if (owner === 'pino' || owner === 'sonic-boom' || owner === 'fast-redact' || owner === 'pino-std-serializers') return 'logging';
  if (owner.startsWith('node:_http') || owner === 'node:net' || owner.startsWith('node:internal/stream') || owner.startsWith('node:internal/streams') || ['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String'].includes(functionName)) return 'sockets and HTTP (Node)';
  if (owner.startsWith('node:internal/crypto') || functionName === 'digest' || functionName === 'update') return 'hashing (SigV4, content hashes)';
  if (functionName === 'parse' || functionName === 'stringify') return 'JSON';
  if (/^(shared|workers|models)\//.test(owner)) return `project: ${owner}`;
  return owner;
}

function lines(costs: Map<string, number>, busyMs: number, top: number): CostLine[] {
  return [...costs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: busyMs > 0 ? Math.round((us / 1000 / busyMs) * 1000) / 1000 : 0 }));
}

/** Self time per package and per function, busy time only. */
export function summariseProfile(profile: CpuProfile, top = 10): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  const categories = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  let startUpUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    if (IDLE.has(frame.functionName)) {
      idleUs += us;
      continue;
    }
    const owner = frameOwner(frame);
    if (isStartUp(owner)) {
      startUpUs += us;
      continue;
    }
    busyUs += us;
    packages.set(owner, (packages.get(owner) ?? 0) + us);
    const category = costCategory(owner, frame.functionName);
    categories.set(category, (categories.get(category) ?? 0) + us);
    const fn = `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${owner}:${frame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const busyMs = busyUs / 1000;
  return { busyMs: Math.round(busyMs), startUpMs: Math.round(startUpUs / 1000), idleMs: Math.round(idleUs / 1000), byCategory: lines(categories, busyMs, top), byPackage: lines(packages, busyMs, top), byFunction: lines(functions, busyMs, top) };
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/bench\//, '/bench/'));
if (isMain) {
  const [file, ...rest] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node --import=tsx bench/profile/summary.ts FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  const topAt = rest.indexOf('--top');
  const top = topAt >= 0 ? Number(rest[topAt + 1]) : 12;
  const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
  const pct = (share: number): string => `${(share * 100).toFixed(1).padStart(5)} %`;
  console.log(`${file}: busy ${summary.busyMs} ms (start-up ${summary.startUpMs} ms more, left out), idle ${summary.idleMs} ms`);
  console.log('\nself time by kind of cost');
  for (const line of summary.byCategory) console.log(`${pct(line.share)}  ${String(line.ms).padStart(8)} ms  ${line.name}`);
  console.log('\nself time by package / folder');
  for (const line of summary.byPackage) console.log(`${pct(line.share)}  ${String(line.ms).padStart(8)} ms  ${line.name}`);
  console.log('\nself time by function');
  for (const line of summary.byFunction) console.log(`${pct(line.share)}  ${String(line.ms).padStart(8)} ms  ${line.name}`);
}
