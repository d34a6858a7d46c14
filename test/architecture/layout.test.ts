// The test tree mirrors src/: the tests of src/<dir>/ (or of src/<name>.ts) sit in test/<dir>/ (or
// test/<name>...), so a module's tests are found where the module is. What is not a mirror is named here.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(__dirname, '../../..');
const TEST = join(ROOT, 'test');
const SRC = join(ROOT, 'src');

/** The top-level test directories that mirror no part of src/, and why. */
const NOT_MIRRORS: Record<string, string> = {
  architecture: 'rules over the whole of src/',
  docs: 'README.md, BENCHMARKS.md and docs/: links resolve, the README stays short',
  e2e: 'end to end: real processes, Prometheus and Alertmanager',
  fixtures: 'data the tests read',
  helpers: 'code the tests share',
  grafana: 'grafana/generator and the committed dashboards',
  package: 'the published package',
};

/** Every directory under `dir`, relative to it, outside the ones named in NOT_MIRRORS. */
function mirrorDirs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (!statSync(p).isDirectory() || (dir === TEST && name in NOT_MIRRORS)) return [];
    return [relative(TEST, p), ...mirrorDirs(p)];
  });
}

describe('the test tree mirrors src/', () => {
  it('every test directory is a directory of src/, or names a src/ file', () => {
    for (const d of mirrorDirs(TEST)) {
      assert.ok(existsSync(join(SRC, d)) || existsSync(join(SRC, `${d}.ts`)), `test/${d}/ has no src/${d}/ or src/${d}.ts`);
    }
  });
  it('a test at the top of test/ tests a file at the top of src/', () => {
    for (const f of readdirSync(TEST).filter((n) => n.endsWith('.test.ts'))) {
      const name = f.replace(/\.test\.ts$/, '');
      assert.ok(existsSync(join(SRC, `${name}.ts`)), `test/${f} has no src/${name}.ts`);
    }
  });
  it('the directories that mirror nothing still exist (the list stays true)', () => {
    for (const d of Object.keys(NOT_MIRRORS)) assert.ok(existsSync(join(TEST, d)), `test/${d}/`);
  });
});
