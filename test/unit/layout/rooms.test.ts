import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The rooms of the house (README, Layout) and what each may import. Every relative import of every
 * source file is resolved and checked, type-only imports and dynamic imports included, so a
 * contract that two rooms share has to live in `shared/` (or the worker runtime and library), not
 * in one of them.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SOURCE_FOLDERS = ['shared', 'models', 'workers', 'infra', 'local', 'cli', 'bench', 'test', 'bin'] as const;
const SKIPPED = new Set(['node_modules', 'results', '.local']);

/** Worker folders that are not a role: code every role may use. */
const WORKER_COMMON = new Set(['lib', 'runtime']);

/** The room of a project path: `workers/<role>`, `workers/lib`, `workers/runtime`, `workers` (its root files) or a top folder. */
function roomOf(path: string): string {
  const [top, second, third] = path.split('/');
  if (top === 'workers' && third !== undefined) return `workers/${second}`;
  return top ?? path;
}

/** Whether a file in room `from` may import a file in room `to`; the rules of README's layout table. */
function mayImport(from: string, to: string): boolean {
  if (from === to) return true;
  const target = to.startsWith('workers/') || to === 'workers' ? 'workers' : to;
  if (from.startsWith('workers/')) {
    // Every worker folder imports shared/, models/ and the worker root's errors; the library imports
    // nothing else, the runtime also the library, a role also both, never another role.
    if (target === 'shared' || target === 'models' || to === 'workers') return true;
    if (from === 'workers/lib') return false;
    if (from === 'workers/runtime') return to === 'workers/lib';
    return WORKER_COMMON.has(to.slice('workers/'.length));
  }
  switch (from) {
    case 'shared':
      return false;
    case 'models':
      return target === 'shared';
    case 'workers':
      return target === 'shared' || target === 'models' || target === 'workers';
    case 'infra':
      return target === 'shared';
    case 'local':
      return target === 'shared' || target === 'models' || target === 'workers';
    case 'cli':
      return target !== 'infra';
    case 'bench':
      return target !== 'test';
    case 'test':
      return target !== 'bench';
    case 'bin':
      return target === 'cli';
    default:
      return false;
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface ImportEdge {
  readonly file: string;
  readonly target: string;
}

/** Every relative import (static, type-only, re-export, dynamic with a literal) of every source file, resolved to a project path. */
function importEdges(): ImportEdge[] {
  return SOURCE_FOLDERS.flatMap((folder) => sourceFiles(folder)).flatMap((file) => {
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    return info.importedFiles
      .filter((imported) => imported.fileName.startsWith('.'))
      .map((imported) => ({ file, target: normalize(join(dirname(file), imported.fileName)).replace(/\.js$/, '.ts') }));
  });
}

describe('Layout: rooms', function () {
  let edges: ImportEdge[];

  before(function () {
    edges = importEdges();
  });

  describe('Function: mayImport', function () {
    it('keeps roles apart and lets them use shared/, models/ and the common worker code', function () {
      // Prepare / Act / Assess
      expect(mayImport('workers/stream-reader', 'workers/scorer')).to.equal(false);
      expect(mayImport('workers/replay', 'workers/batch')).to.equal(false);
      expect(mayImport('workers/lib', 'workers/scorer')).to.equal(false);
      expect(mayImport('workers/lib', 'workers/runtime')).to.equal(false);
      expect(mayImport('workers/runtime', 'workers/lib')).to.equal(true);
      expect(mayImport('workers/runtime', 'workers/scorer')).to.equal(false);
      expect(mayImport('workers/scorer', 'workers/lib')).to.equal(true);
      expect(mayImport('workers/scorer', 'workers/runtime')).to.equal(true);
      expect(mayImport('workers/scorer', 'workers')).to.equal(true);
      expect(mayImport('workers/scorer', 'models')).to.equal(true);
      expect(mayImport('workers/scorer', 'local')).to.equal(false);
    });

    it('keeps bench/ and test/ apart, infra/ on shared/ only and shared/ on itself', function () {
      // Prepare / Act / Assess
      expect(mayImport('bench', 'test')).to.equal(false);
      expect(mayImport('test', 'bench')).to.equal(false);
      expect(mayImport('test', 'local')).to.equal(true);
      expect(mayImport('infra', 'shared')).to.equal(true);
      expect(mayImport('infra', 'workers/lib')).to.equal(false);
      expect(mayImport('infra', 'local')).to.equal(false);
      expect(mayImport('shared', 'workers/lib')).to.equal(false);
      expect(mayImport('local', 'workers/scorer')).to.equal(true);
      expect(mayImport('local', 'bench')).to.equal(false);
    });
  });

  describe('Source tree', function () {
    it('finds the imports it checks (the scan itself works)', function () {
      // Prepare / Act: before()

      // Assess: a known cross-room import is seen, so an empty result below means no violation, not no scan
      expect(edges.length).to.be.greaterThan(500);
      expect(edges).to.deep.include({ file: 'workers/main.ts', target: 'workers/runtime/worker-runtime.ts' });
    });

    it('has no import that crosses into a room it may not enter', function () {
      // Prepare / Act
      const broken = edges.filter((e) => !mayImport(roomOf(e.file), roomOf(e.target)));

      // Assess
      expect(broken.map((e) => `${e.file} imports ${e.target}`)).to.deep.equal([]);
    });
  });
});
