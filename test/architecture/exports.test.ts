// A name has one home: a module of src/ re-exports another's name only when someone imports it from
// there (the package's entry points, src/index.ts and src/client/index.ts, are the public surface and
// re-export by design). A re-export nobody uses is a second home to keep in step: it goes.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(__dirname, '../../..');
const ENTRY_POINTS = new Set(['src/index.ts', 'src/client/index.ts']);

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : tsFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** A relative specifier's file, relative to the repository (`./x.js` names x.ts); null for packages. */
function target(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const f of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(f)) return relative(ROOT, f).split('\\').join('/');
  return null;
}

interface Found {
  /** Names each file re-exports (names it exports that it does not declare), by file. */
  reexports: Map<string, Set<string>>;
  /** Names imported (or re-exported onwards) from each file, by file; `*` for a namespace import. */
  imported: Map<string, Set<string>>;
}

function scan(files: string[]): Found {
  const reexports = new Map<string, Set<string>>();
  const imported = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, k: string, v: string) => m.set(k, (m.get(k) ?? new Set()).add(v));
  for (const file of files) {
    const rel = relative(ROOT, file).split('\\').join('/');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
    const importedHere = new Set<string>();
    for (const s of source.statements) {
      const spec = (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier);
      const from = spec ? target(file, (s.moduleSpecifier as ts.StringLiteral).text) : null;
      if (ts.isImportDeclaration(s)) {
        const c = s.importClause;
        if (c?.name) importedHere.add(c.name.text);
        if (c?.namedBindings && ts.isNamespaceImport(c.namedBindings) && from) add(imported, from, '*');
        if (c?.namedBindings && ts.isNamedImports(c.namedBindings))
          for (const e of c.namedBindings.elements) {
            importedHere.add(e.name.text);
            if (from) add(imported, from, (e.propertyName ?? e.name).text);
          }
      } else if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) {
        for (const e of s.exportClause.elements) {
          if (from) add(imported, from, (e.propertyName ?? e.name).text);
          if (rel.startsWith('src/') && (from || importedHere.has((e.propertyName ?? e.name).text))) add(reexports, rel, e.name.text);
        }
      }
    }
  }
  return { reexports, imported };
}

describe('exports', () => {
  const files = ['src', 'test', 'bench', 'grafana/generator'].flatMap((d) => tsFiles(join(ROOT, d)));
  const { reexports, imported } = scan(files);

  it('no module of src/ re-exports a name nobody imports from it (outside the entry points)', () => {
    const dead = [...reexports].flatMap(([file, names]) =>
      ENTRY_POINTS.has(file) || imported.get(file)?.has('*')
        ? []
        : [...names].filter((n) => !imported.get(file)?.has(n)).map((n) => `${file}: ${n}`),
    );
    assert.deepEqual(dead, []);
  });

  it('the scan sees re-exports and their users', () => {
    assert.ok(reexports.get('src/policy_view.ts')?.has('Directives'), 'policy_view.ts re-exports Directives');
    assert.ok(imported.get('src/policy_view.ts')?.has('Directives'), 'and the client imports it from there');
  });
});
