// Everything the package exports (its two entry points) carries a doc comment: a newcomer reading the
// typings in an editor sees what each thing is for. Public members of exported classes included.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = join(__dirname, '../../..');
const ENTRIES = ['src/index.ts', 'src/client/index.ts'];

/** Names of exported symbols (and public class members) with no doc comment, as `entry: name`. */
function undocumented(): string[] {
  const files = ENTRIES.map((f) => join(ROOT, f));
  const program = ts.createProgram(files, {
    strict: true,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  const hasDoc = (s: ts.Symbol) => s.getDocumentationComment(checker).length > 0 || s.getJsDocTags(checker).length > 0;
  for (const file of files) {
    const source = program.getSourceFile(file);
    assert.ok(source, file);
    const module = checker.getSymbolAtLocation(source);
    assert.ok(module, `${file} is a module`);
    for (const exported of checker.getExportsOfModule(module)) {
      const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const where = `${file.slice(ROOT.length + 1)}: ${exported.name}`;
      if (!hasDoc(s)) missing.push(where);
      if (s.flags & ts.SymbolFlags.Class) {
        for (const [name, member] of s.members ?? new Map<ts.__String, ts.Symbol>()) {
          const decl = member.valueDeclaration ?? member.declarations?.[0];
          if (!decl || name === '__constructor' || name.toString().startsWith('#')) continue;
          const mods = ts.canHaveModifiers(decl) ? (ts.getModifiers(decl) ?? []) : [];
          if (mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
          if (!hasDoc(member)) missing.push(`${where}.${name.toString()}`);
        }
      }
    }
  }
  return [...new Set(missing)].sort();
}

describe('public API documentation', () => {
  it('every export of src/index.ts and src/client/index.ts, and every public class member, has a doc comment', () => {
    assert.deepEqual(undocumented(), []);
  });
});
