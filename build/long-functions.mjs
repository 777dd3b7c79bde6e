#!/usr/bin/env node
// Lists the functions longer than a limit (default 80 lines) in src-main and
// src-renderer/lib .ts files (tests and testing/ helpers left out), longest
// first, with where they start. Issue 12 §4: "no function over ~80 lines
// without a reason written above it" — this finds them; the reason is for a
// reader to judge, so a function with one is still listed (marked "reason").
//
//   node build/long-functions.mjs [--limit N] [--json] [--all]
//
// A function is any function declaration, method, constructor, accessor,
// function expression or arrow function; its length counts the lines from
// its first to its last character. A nested function counts in its parent too
// (the parent is that long to read), and is listed on its own as well.
// --all also lists test files.
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { join, relative, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './source-walk.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const limit = Number(args[args.indexOf('--limit') + 1] ?? 80) || 80;
const json = args.includes('--json');
const all = args.includes('--all');

const sources = (dir) =>
  walkFiles(
    dir,
    (e) => e.endsWith('.ts') && !e.endsWith('.d.ts') && (all || !/\.test\.ts$/.test(e)),
    (e) => e === 'node_modules' || (!all && e === 'testing'),
  );

/** the name a reader would search for: `f`, `Class.method`, `const f = () =>` */
function nameOf(node, sf) {
  if (node.name && ts.isIdentifier(node.name)) {
    const cls = node.parent && (ts.isClassDeclaration(node.parent) || ts.isClassExpression(node.parent)) && node.parent.name ? node.parent.name.text + '.' : '';
    return cls + node.name.text;
  }
  if (ts.isConstructorDeclaration(node) && node.parent.name) return node.parent.name.text + '.constructor';
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) return p.name.text;
  if (p && ts.isPropertyDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return `<anonymous@${line + 1}>`;
}

/** a comment right above the function (or its statement) that says why it is long */
function hasReason(node, sf) {
  let n = node;
  while (n.parent && (ts.isVariableDeclaration(n.parent) || ts.isVariableDeclarationList(n.parent) || ts.isVariableStatement(n.parent))) n = n.parent;
  const text = sf.text;
  const ranges = ts.getLeadingCommentRanges(text, n.getFullStart()) ?? [];
  return ranges.some((r) => /\blong\b|\blines\b/i.test(text.slice(r.pos, r.end)) && /\b(because|reason|why|one piece|kept whole|in one)\b/i.test(text.slice(r.pos, r.end)));
}

export function longFunctions(files, min = limit) {
  const found = [];
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        if (lines > min) found.push({ file: relative(root, file).split(sep).join('/'), line: start + 1, name: nameOf(node, sf), lines, reason: hasReason(node, sf) });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
}

export function scannedFiles() {
  return [...sources(join(root, 'src-main')), ...sources(join(root, 'src-renderer', 'lib'))];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = scannedFiles();
  const found = longFunctions(files);
  const total = files.reduce((s, f) => s + readFileSync(f, 'utf8').split('\n').length - 1, 0);
  if (json) console.log(JSON.stringify({ limit, files: files.length, lines: total, functions: found }, null, 2));
  else {
    for (const f of found) console.log(`${String(f.lines).padStart(5)}  ${f.file}:${f.line}  ${f.name}${f.reason ? '  (reason)' : ''}`);
    console.log(`${found.length} functions over ${limit} lines in ${files.length} files (${total} lines)`);
  }
}
