// Which part of src/ may import which: the pipeline's stages stay pure, EXECUTE sees the running
// pipeline only through execute/pipeline.ts, and no two directories need each other, not even for a
// type. Imports are read with the TypeScript parser; a type-only import (`import type`, or every name
// marked `type`) counts like any other.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const SRC = resolve(__dirname, '../../../src');

/** The pipeline's pure stages, and what runs them: a stage knows nothing of who runs it. */
const STAGES = ['detect', 'analyze', 'recommend', 'verify'];
const RUNNERS = ['execute', 'serve', 'engine', 'console', 'ops', 'metrics'];
/** Every directory of src/ (for the rooms below the pipeline, which import none of them). */
const DIRS = readdirSync(SRC).filter((d) => statSync(join(SRC, d)).isDirectory());
/** The guide's loop, in order: a stage may import the ones before it, never one after it. */
const PIPELINE = ['detect', 'analyze', 'recommend', 'execute', 'verify'];

/**
 * The layer rules, one row each: a module (a directory of src/, or a file as `dir/file`) and what it
 * must never import, at run time or as a type.
 */
const RULES: { from: string; never: string[]; why: string }[] = [
  ...STAGES.map((from) => ({ from, never: RUNNERS, why: 'a pipeline stage is pure: it imports no runner of the pipeline' })),
  ...PIPELINE.map((from, i) => ({
    from,
    never: PIPELINE.slice(i + 1),
    why: 'imports run down the pipeline (DETECT → ANALYZE → RECOMMEND → EXECUTE → VERIFY), never back up',
  })).filter((r) => r.never.length > 0),
  {
    from: 'execute',
    never: ['serve', 'engine/monitor', 'console'],
    why: 'EXECUTE sees the running pipeline only through execute/pipeline.ts; serve/ wires it',
  },
  { from: 'util', never: DIRS.filter((d) => d !== 'util'), why: 'general utilities sit below everything: they import nothing of src/' },
  {
    from: 'http',
    never: ['serve', 'engine', 'execute', 'console', 'ops', 'metrics'],
    why: 'HTTP plumbing (gate, TLS, auth, sending bytes) knows no service, stage or exposition',
  },
  { from: 'metrics', never: ['serve', 'console', 'ops'], why: 'the exposition renders what it is handed; the service wires it' },
];

interface Import {
  /** The importing file and the imported one, relative to src/ without `.ts` (e.g. `execute/executor`). */
  file: string;
  target: string;
  runtime: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** `./x` → x.ts or x/index.ts, relative to src/ without the extension; null for packages and node: modules. */
function resolveTarget(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  // The console's browser modules name their siblings as the browser fetches them (`./dom.js`).
  const base = resolve(dirname(file), spec.replace(/\.js$/, ''));
  const path = existsSync(`${base}.ts`) ? base : existsSync(join(base, 'index.ts')) ? join(base, 'index') : null;
  assert.ok(path, `${relative(SRC, file)}: cannot resolve '${spec}'`);
  return relative(SRC, path).split('\\').join('/');
}

/** Whether the compiler erases this import or re-export (nothing of it exists at run time). */
function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return false; // `import './x'`: for its side effects
    if (clause.isTypeOnly) return true;
    const named = clause.namedBindings;
    return (
      !clause.name &&
      named !== undefined &&
      ts.isNamedImports(named) &&
      named.elements.length > 0 &&
      named.elements.every((e) => e.isTypeOnly)
    );
  }
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const from = relative(SRC, file).replace(/\.ts$/, '').split('\\').join('/');
  const out: Import[] = [];
  for (const node of source.statements) {
    if (!ts.isImportDeclaration(node) && !ts.isExportDeclaration(node)) continue;
    if (!node.moduleSpecifier || !ts.isStringLiteral(node.moduleSpecifier)) continue;
    const target = resolveTarget(file, node.moduleSpecifier.text);
    if (target) out.push({ file: from, target, runtime: !typeOnly(node) });
  }
  return out;
}

/** A module's directory (`execute/executor` → `execute`); a file at the top of src/ is its own (`types`). */
const dirOf = (module: string) => module.split('/')[0];

/** Whether `module` is `part` or inside it (`engine/monitor` is in `engine` and in `engine/monitor`). */
const within = (module: string, part: string) => module === part || module.startsWith(`${part}/`);

/** Every cycle among the directories, as paths `a → b → … → a` (one per strongly connected group). */
function directoryCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) group.push(w);
    if (group.length > 1) cycles.push(cyclePath(group, edges));
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** One concrete cycle through a strongly connected group, for the failure message. */
function cyclePath(group: string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const inGroup = new Set(group);
  const start = [...group].sort()[0];
  const path = [start];
  const seen = new Set(path);
  for (;;) {
    const next = [...(edges.get(path[path.length - 1]) ?? [])].filter((w) => inGroup.has(w)).sort();
    const back = next.find((w) => seen.has(w));
    const fresh = next.find((w) => !seen.has(w));
    const step = fresh ?? back!;
    path.push(step);
    if (seen.has(step)) return path.slice(path.indexOf(step));
    seen.add(step);
  }
}

const IMPORTS = sourceFiles(SRC).flatMap(importsOf);

describe('import directions', () => {
  it('no two directories of src/ import each other, not even for a type (cycles through any number of them)', () => {
    const edges = new Map<string, Set<string>>();
    for (const i of IMPORTS) {
      if (dirOf(i.file) === dirOf(i.target)) continue;
      if (!edges.has(dirOf(i.file))) edges.set(dirOf(i.file), new Set());
      edges.get(dirOf(i.file))!.add(dirOf(i.target));
    }
    const cycles = directoryCycles(edges).map((c) => {
      const via = c.slice(1).map((to, k) => IMPORTS.find((i) => dirOf(i.file) === c[k] && dirOf(i.target) === to)!);
      return `${c.join(' → ')} (${via.map((i) => `${i.file} → ${i.target}`).join(', ')})`;
    });
    assert.deepEqual(cycles, []);
  });

  for (const rule of RULES) {
    it(`${rule.from}/ imports nothing from ${rule.never.join(', ')}: ${rule.why}`, () => {
      const broken = IMPORTS.filter((i) => within(i.file, rule.from) && rule.never.some((n) => within(i.target, n)));
      assert.deepEqual(
        broken.map((i) => `${i.file} → ${i.target}`),
        [],
      );
    });
  }

  it('the checker sees what it checks: imports are found and cycles reported', () => {
    assert.ok(IMPORTS.some((i) => i.file === 'serve/receiver' && i.target === 'execute/executor' && i.runtime));
    assert.ok(IMPORTS.some((i) => i.file === 'execute/local' && i.target === 'execute/pipeline' && !i.runtime));
    const g = (pairs: [string, string][]) => {
      const m = new Map<string, Set<string>>();
      for (const [a, b] of pairs) m.set(a, (m.get(a) ?? new Set()).add(b));
      return m;
    };
    assert.deepEqual(
      directoryCycles(
        g([
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'a'],
          ['c', 'd'],
        ]),
      ),
      [['a', 'b', 'c', 'a']],
    );
    assert.deepEqual(
      directoryCycles(
        g([
          ['a', 'b'],
          ['b', 'c'],
          ['a', 'c'],
        ]),
      ),
      [],
    );
  });
});
