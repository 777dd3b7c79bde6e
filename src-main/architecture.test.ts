// The dependency rules of DESIGN.md, checked on every run rather than by memory:
// core/ imports nothing outside itself (no node:*, no electron, no DOM); only
// ipc/, app/ and preload/ import electron; host/apply/services never import
// electron or svelte; the renderer reaches main only through window.fw.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|svelte)$/.test(e) && !/\.test\.ts$/.test(e) && !p.includes(`${sep}testing${sep}`)) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return out;
}

function area(file: string): string {
  const rel = relative(repo, file).split(sep);
  if (rel[0] === 'src-main') return rel[1];
  return rel[0];
}

function violations(files: string[], allowed: (spec: string, file: string) => boolean): string[] {
  const bad: string[] = [];
  for (const f of files) for (const spec of importsOf(f)) if (!allowed(spec, f)) bad.push(`${relative(repo, f)} imports ${spec}`);
  return bad;
}

const inside = (spec: string, file: string, areas: string[]) => {
  if (!spec.startsWith('.')) return false;
  const target = resolve(dirname(file), spec);
  return areas.some((a) => target.startsWith(join(repo, 'src-main', a) + sep) || target === join(repo, 'src-main', a));
};

describe('architecture', () => {
  const core = sources(join(repo, 'src-main', 'core'));
  it('finds the core sources', () => {
    expect(core.length).toBeGreaterThan(10);
  });

  it('core imports nothing outside core', () => {
    expect(violations(core, (s, f) => inside(s, f, ['core']))).toEqual([]);
  });

  it('core uses no Node, Electron or DOM globals', () => {
    const bad: string[] = [];
    const globals = /\b(Buffer|process|require|__dirname|window|document|navigator|localStorage|setImmediate)\s*[.(\[]/;
    for (const f of core) {
      const text = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      const m = globals.exec(text);
      if (m) bad.push(`${relative(repo, f)} uses ${m[1]}`);
    }
    expect(bad).toEqual([]);
  });

  it('contract imports only core and contract', () => {
    expect(violations(sources(join(repo, 'src-main', 'contract')), (s, f) => inside(s, f, ['core', 'contract']))).toEqual([]);
  });

  it('only ipc, app and preload import electron', () => {
    const all = sources(join(repo, 'src-main'));
    expect(violations(all, (s, f) => !(s === 'electron' || s.startsWith('electron/')) || ['ipc', 'app', 'preload'].includes(area(f)))).toEqual([]);
  });

  it('host, apply and services never import electron or svelte', () => {
    const files = ['host', 'apply', 'services'].flatMap((a) => sources(join(repo, 'src-main', a)));
    expect(violations(files, (s) => !/^(electron|svelte)(\/|$)/.test(s))).toEqual([]);
  });

  it('the renderer reaches main only through window.fw (imports only core, contract and itself)', () => {
    const files = sources(join(repo, 'src-renderer'));
    const ok = (s: string, f: string) => {
      // packages: svelte, and the text editor (CodeMirror, DOM-only libraries; never node or electron)
      if (!s.startsWith('.')) return s === 'svelte' || s.startsWith('svelte/') || /^@(codemirror|lezer)\//.test(s);
      const target = resolve(dirname(f), s);
      return target.startsWith(join(repo, 'src-renderer')) || inside(s, f, ['core', 'contract']);
    };
    expect(violations(files, ok)).toEqual([]);
  });
});
