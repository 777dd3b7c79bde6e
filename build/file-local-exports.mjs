#!/usr/bin/env node
// Exports nobody imports (issue 12 §5): an `export` on something used only in
// its own file (or not at all) promises a surface that does not exist, and a
// reader cannot tell what a module is for. This lists them, with the
// TypeScript compiler's own name resolution (aliases, re-exports through
// barrels and `import * as ns` followed to the declaration).
//
//   node build/file-local-exports.mjs [--json] [--under src-main/core,src-main/cli]
//
// What counts as a use: any reference from another file — .ts files in
// src-main, src-renderer, e2e and build, and the <script> blocks of .svelte
// components. Tests DO count: a test that imports a function tests it as a
// unit, which is a deliberate seam (and the only one a pure core has); the
// report says which exports only tests use (`testOnly`) so a reader can judge.
// A re-export (`export { x } from`, `export *`) is not a use by itself: only
// a reference to the re-exported name is.
//
// Each finding says whether the name is still used in its own file
// (`local`: drop the `export`) or not at all (`dead`: drop the code).
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { join, relative, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './source-walk.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const walk = (dir, pick) => walkFiles(dir, pick, (e) => e === 'node_modules' || e === 'dist');

const isTest = (file) => /\.test\.ts$/.test(file) || file.includes(`${sep}testing${sep}`) || file.includes(`${sep}e2e${sep}`);

/** the <script> blocks of a component, as a .ts file whose positions match the component's lines */
function svelteScript(text) {
  let out = '';
  const re = /<script\b[^>]*>([\s\S]*?)<\/script>/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const start = m.index + m[0].indexOf('>') + 1;
    out += text.slice(last, start).replace(/[^\n]/g, ' ') + m[1];
    last = start + m[1].length;
  }
  return out + text.slice(last).replace(/[^\n]/g, ' ');
}

/**
 * Every export of the scanned source files with no reference from another file.
 * @param {{ under?: string[], root?: string }} [opts] `under`: only report files whose path (from the repo root)
 *   starts with one of these; `root`: the repository (this one by default)
 * @returns {{ file: string, line: number, name: string, local: boolean, testOnly?: string[] }[]}
 */
export function fileLocalExports(opts = {}) {
  const root = opts.root ?? repoRoot;
  const rel = (file) => relative(root, file).split(sep).join('/');
  const ts_files = [
    ...walk(join(root, 'src-main'), (e) => e.endsWith('.ts') && !e.endsWith('.d.ts')),
    ...walk(join(root, 'src-renderer'), (e) => e.endsWith('.ts') && !e.endsWith('.d.ts')),
    ...walk(join(root, 'e2e'), (e) => e.endsWith('.ts')),
    ...walk(join(root, 'build'), (e) => e.endsWith('.ts')),
  ].filter((f) => !f.includes(`${sep}core${sep}ambient${sep}`));
  const svelte = walk(join(root, 'src-renderer'), (e) => e.endsWith('.svelte'));
  const virtual = new Map(svelte.map((f) => [f + '.__script.ts', svelteScript(readFileSync(f, 'utf8'))]));

  const options = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowJs: false, noEmit: true, skipLibCheck: true, noResolve: false, types: [], lib: ['lib.es2023.d.ts'],
    resolveJsonModule: true,
  };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (virtual.has(name) ? ts.createSourceFile(name, virtual.get(name), lang, true) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(name) ?? readFile(name);
  // Svelte's own resolution (`./X.svelte` → its script) is not needed: a component's exports are its props, not this check's business.
  const program = ts.createProgram([...ts_files, ...virtual.keys()], options, host);
  const checker = program.getTypeChecker();

  const ours = new Set([...ts_files, ...virtual.keys()].map((f) => f.split(sep).join('/')));
  const sourceFiles = program.getSourceFiles().filter((sf) => ours.has(sf.fileName));

  /** original symbol → the files (other than its own) that reference it */
  const users = new Map();
  /** original symbol → references in its own file besides its declaration */
  const localUses = new Map();
  const original = (s) => {
    let sym = s;
    for (let guard = 0; guard < 10 && sym && sym.flags & ts.SymbolFlags.Alias; guard++) {
      try {
        sym = checker.getAliasedSymbol(sym);
      } catch {
        return sym;
      }
    }
    return sym;
  };
  const reexport = (id) => {
    const p = id.parent;
    return p && ts.isExportSpecifier(p) && p.parent?.parent && ts.isExportDeclaration(p.parent.parent) && p.parent.parent.moduleSpecifier !== undefined;
  };
  for (const sf of sourceFiles) {
    const visit = (node) => {
      if (ts.isIdentifier(node) && !reexport(node)) {
        const s = node.parent && ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node
          ? checker.getShorthandAssignmentValueSymbol(node.parent) : checker.getSymbolAtLocation(node);
        const o = s && original(s);
        const decl = o?.declarations?.[0];
        if (decl) {
          const home = decl.getSourceFile().fileName;
          if (home !== sf.fileName) {
            let set = users.get(o);
            if (!set) users.set(o, (set = new Set()));
            set.add(sf.fileName);
          } else if (!o.declarations.some((d) => d.name === node || (ts.isIdentifier(d) && d === node))) {
            localUses.set(o, (localUses.get(o) ?? 0) + 1);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  const found = [];
  for (const sf of sourceFiles) {
    const file = sf.fileName;
    if (isTest(file) || virtual.has(file) || !/^src-/.test(rel(file))) continue;
    const r = rel(file);
    if (opts.under && !opts.under.some((u) => r.startsWith(u))) continue;
    const modSym = checker.getSymbolAtLocation(sf);
    if (!modSym) continue;
    for (const exp of checker.getExportsOfModule(modSym)) {
      const o = original(exp);
      const decl = o?.declarations?.[0];
      if (!decl || decl.getSourceFile() !== sf) continue; // re-exported from elsewhere: judged in its own file
      const by = [...(users.get(o) ?? [])];
      if (by.some((f) => !isTest(f))) continue;
      const line = sf.getLineAndCharacterOfPosition(decl.getStart(sf)).line + 1;
      const entry = { file: r, line, name: exp.name, local: (localUses.get(o) ?? 0) > 0 };
      if (by.length) found.push({ ...entry, testOnly: by.map(rel).sort() });
      else found.push(entry);
    }
  }
  return found.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const u = args.indexOf('--under');
  const under = u >= 0 ? args[u + 1].split(',') : undefined;
  const found = fileLocalExports({ under });
  if (args.includes('--json')) console.log(JSON.stringify(found, null, 2));
  else {
    const unused = found.filter((f) => !f.testOnly);
    for (const f of unused) console.log(`${f.file}:${f.line}  ${f.name}  ${f.local ? 'used only in its file' : 'DEAD (used nowhere)'}`);
    console.log(`${unused.length} exports used by no other file (${unused.filter((f) => !f.local).length} of them dead); ${found.length - unused.length} more used only by tests`);
  }
}
