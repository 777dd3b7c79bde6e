// The dependency rules of DESIGN.md, checked on every run rather than by memory:
// core/ imports nothing outside itself (no node:*, no electron, no DOM); only
// ipc/, app/ and preload/ import electron; host/apply/services never import
// electron or svelte; the renderer reaches main only through window.fw.
import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs build script, without type declarations
import { walkFiles } from '../build/source-walk.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** the non-test sources below dir (.ts and .svelte; testing/ folders are tests' helpers) */
function sources(dir: string): string[] {
  return walkFiles(dir, (e: string) => /\.(ts|svelte)$/.test(e) && !/\.test\.ts$/.test(e), (e: string) => e === 'testing') as string[];
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

/** the source file a relative specifier names ('./x.js' is ./x.ts, a folder is its index.ts), or undefined for a package */
function resolveSpec(spec: string, file: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const p = resolve(dirname(file), spec);
  const base = p.replace(/\.js$/, '');
  for (const c of [base + '.ts', join(base, 'index.ts'), p]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** every import edge between the given source files (type-only imports included: they tie files together just as well) */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) graph.set(f, importsOf(f).map((s) => resolveSpec(s, f)).filter((t): t is string => t !== undefined && known.has(t)));
  return graph;
}

/** strongly connected components of more than one file (Tarjan), i.e. the file-level import cycles */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.map((x) => relative(repo, x)).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

// DESIGN.md's layers, lowest first: a file may import its own layer or any lower one,
// never a higher one nor a sibling of the same rank (preload beside ipc). app wires
// everything, so it is on top. cli sits beside services: services never import cli,
// and cli, a front end like ipc, may use a service (it writes the local history).
const LAYER_RANK: Record<string, number> = { core: 0, contract: 1, host: 2, apply: 3, services: 4, cli: 4, ipc: 5, preload: 5, app: 6 };
const SIDEWAYS = new Set(['cli>services']);

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

  it('layers only look down: core < contract < host < apply < services (cli beside it) < ipc/preload < app', () => {
    const all = sources(join(repo, 'src-main')).filter((f) => area(f) in LAYER_RANK);
    expect(new Set(all.map(area))).toEqual(new Set(Object.keys(LAYER_RANK)));
    const bad: string[] = [];
    for (const [file, deps] of importGraph(all)) {
      const from = area(file);
      for (const dep of deps) {
        const to = area(dep);
        if (to === from) continue;
        if (!(LAYER_RANK[to] < LAYER_RANK[from]) && !SIDEWAYS.has(`${from}>${to}`)) bad.push(`${relative(repo, file)} (${from}) imports ${relative(repo, dep)} (${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the layer check sees real edges (a file importing upward would be caught)', () => {
    // The graph is built from the real sources: services imports apply and host, apply imports core.
    const all = sources(join(repo, 'src-main')).filter((f) => area(f) in LAYER_RANK);
    const seen = new Set<string>();
    for (const [file, deps] of importGraph(all)) for (const d of deps) seen.add(`${area(file)}>${area(d)}`);
    for (const e of ['services>apply', 'services>host', 'apply>host', 'apply>core', 'host>contract', 'ipc>services', 'app>ipc', 'cli>apply']) expect(seen).toContain(e);
  });

  it('no file-level import cycle anywhere in src-main (type-only imports included)', () => {
    const graph = importGraph(sources(join(repo, 'src-main')));
    expect(graph.size).toBeGreaterThan(100);
    // the detector itself: a two-file loop is found
    expect(cycles(new Map([['/a', ['/b']], ['/b', ['/a']], ['/c', ['/a']]]))).toHaveLength(1);
    expect(cycles(graph)).toEqual([]);
  });

  it('typecheck runs each layer with its own compiler settings', () => {
    const script: string = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).scripts.typecheck;
    for (const p of ['tsconfig.json', 'src-main/core/tsconfig.json', 'src-main/contract/tsconfig.json', 'src-main/tsconfig.json', 'src-renderer/tsconfig.json']) expect(script).toContain(`-p ${p}`);
    // the renderer: the DOM, and no Node (a sandboxed page reaches main through window.fw only)
    const renderer = JSON.parse(readFileSync(join(repo, 'src-renderer/tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')).compilerOptions;
    expect(renderer.types).toEqual([]);
    expect(renderer.lib.some((l: string) => /dom/i.test(l))).toBe(true);
    for (const p of ['src-main/core/tsconfig.json', 'src-main/contract/tsconfig.json']) {
      const text = readFileSync(join(repo, p), 'utf8').replace(/^\s*\/\/.*$/gm, '');
      const opts = JSON.parse(text).compilerOptions;
      expect(opts.types).toEqual([]);
      expect(opts.lib.some((l: string) => /dom/i.test(l))).toBe(false);
    }
  });

  /**
   * One real tsc run over a layer (its own tsconfig) plus a probe file outside it:
   * the layer must compile cleanly; returns the probe's lines that are errors.
   */
  function probeErrorLines(layer: string, excluded: string[], probe: string[]): string[] {
    const dir = mkdtempSync(join(tmpdir(), 'pc-layer-tsc-'));
    try {
      writeFileSync(join(dir, 'probe.ts'), [...probe, ''].join('\n'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        extends: join(repo, layer, 'tsconfig.json'),
        include: [join(repo, layer), join(dir, 'probe.ts')],
        exclude: excluded.map((e) => join(repo, layer, e)),
      }));
      const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
      const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      const errors = run.stdout.split('\n').filter((l) => /error TS/.test(l));
      expect(errors.filter((l) => !l.includes('probe.ts'))).toEqual([]);
      return errors.map((l) => /probe\.ts\((\d+),/.exec(l)?.[1] ?? l);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("core's compiler settings reject DOM and Node globals, and core compiles under them", () => {
    // each platform global in the probe is an error; TextEncoder (in both) is not
    const probe = ['export const a = document.title;', "export const b = Buffer.from('x');", 'export const c = process.pid;', 'export const d = new TextEncoder().encode("ok");'];
    expect(probeErrorLines(join('src-main', 'core'), [join('**', '*.test.ts'), join('**', 'testing', '**')], probe)).toEqual(['1', '2', '3']);
  }, 120_000);

  it("the renderer's compiler settings reject Node, and the renderer compiles under them", () => {
    const probe = ['export const a = process.pid;', "export const b = Buffer.from('x');", "import { readFileSync } from 'node:fs';", 'export const c = readFileSync;', 'export const d = document.title;'];
    expect(probeErrorLines('src-renderer', [join('**', '*.test.ts')], probe)).toEqual(['1', '2', '3']);
  }, 120_000);
});
