// The analysis knows no match or target by name: what a match means for packets
// is its extension's (core/extensions/match-*.ts, MatchAnalysis), what a target
// does to them too (target-*.ts, TargetAnalysis), so a new match or target that
// the tracer and the lint understand is one file. This test fails when code in
// core/analysis, core/lint or the tracer switches on an extension's name again
// (`switch (m.name) { case 'tcp': … }`), as packet-match.ts and rule-space.ts
// once did with 23 such cases and analysis/targets.ts with 15.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { MATCHES } from './extensions/index.js';
import { knownMatches, knownTargets, registeredTargets } from './extensions/registry.js';

const core = dirname(fileURLToPath(import.meta.url));
const MATCH_NAMES = new Set([
  ...[...MATCHES, ...registeredTargets()].flatMap((e) => [e.name, ...(e.aliases ?? [])]),
  ...knownMatches('ipv4'), ...knownMatches('ipv6'), ...knownTargets('ipv4'), ...knownTargets('ipv6'),
]);

/** Every `switch` on something's name with a case that is a match's or target's name: `file:line switch (X) case 'NAME'`. */
export function nameSwitches(file: string, text: string): string[] {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isSwitchStatement(n) && /\bname\b|\bext\b|\bmodule\b/i.test(n.expression.getText(src))) {
      for (const c of n.caseBlock.clauses) {
        if (ts.isCaseClause(c) && ts.isStringLiteralLike(c.expression) && MATCH_NAMES.has(c.expression.text)) {
          const line = src.getLineAndCharacterOfPosition(c.getStart(src)).line + 1;
          out.push(`${file}:${line} switch (${n.expression.getText(src)}) case '${c.expression.text}'`);
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

function sources(dir: string, ext = /\.ts$/): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name), ext) : ext.test(e.name) && !/\.test\.ts$/.test(e.name) ? [join(dir, e.name)] : []);
}

/** A file's TypeScript: a .svelte component's <script> blocks (blank lines elsewhere keep the line numbers). */
function scriptOf(file: string): string {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('.svelte')) return text;
  let out = '';
  let at = 0;
  for (const m of text.matchAll(/(<script[^>]*>)([\s\S]*?)<\/script>/g)) {
    out += text.slice(at, m.index + m[1].length).replace(/[^\n]/g, '') + m[2];
    at = m.index + m[1].length + m[2].length;
  }
  return out;
}

// Switches whose cases are spelled like a module but are not about one: `iptables --policy` is -P, not -m policy.
const NOT_MODULES = new Set(["core/import-scan.ts switch (name) case 'policy'"]);

describe('the analysis reaches matches only through their extensions', () => {
  it('the detector finds a switch on a match name (and leaves other switches alone)', () => {
    const bad = "function f(m: { name: string }) { switch (m.name) { case 'tcp': return 1; case 'other': return 2; } }";
    expect(nameSwitches('probe.ts', bad)).toEqual(["probe.ts:1 switch (m.name) case 'tcp'"]);
    const target = "function f(t: { name: string }) { switch (t.name) { case 'ACCEPT': return 1; case 'MASQUERADE': return 2; } }";
    expect(nameSwitches('probe.ts', target)).toEqual(["probe.ts:1 switch (t.name) case 'ACCEPT'", "probe.ts:1 switch (t.name) case 'MASQUERADE'"]);
    // a target action kind that happens to be spelled like a match (`mark`) is not a match name switch
    expect(nameSwitches('probe.ts', "function g(a: { kind: string }) { switch (a.kind) { case 'mark': return 1; } }")).toEqual([]);
  });

  it('no file in core/analysis, core/lint or the tracer switches on a match or target name', () => {
    const files = [...sources(join(core, 'analysis')), ...sources(join(core, 'lint')), ...readdirSync(core).filter((f) => /^trace.*\.ts$/.test(f) && !f.endsWith('.test.ts')).map((f) => join(core, f))];
    expect(files.length).toBeGreaterThan(15);
    const found = files.flatMap((f) => nameSwitches(relative(core, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('nothing outside core/extensions switches on a match or target name: not the app, not the renderer', () => {
    const src = join(core, '..');
    const files = [...sources(src), ...sources(join(src, '..', 'src-renderer'), /\.(ts|svelte)$/)].filter((f) => !f.startsWith(join(core, 'extensions')));
    expect(files.length).toBeGreaterThan(200);
    const found = files.flatMap((f) => nameSwitches(relative(src, f), scriptOf(f)));
    expect(found.filter((x) => !NOT_MODULES.has(x.replace(/:\d+ /, ' ')))).toEqual([]);
    // the exception still exists (else it goes from the list)
    expect(found.map((x) => x.replace(/:\d+ /, ' '))).toEqual([...NOT_MODULES]);
  });

  it('every match the analysis modelled by name before has analysis members now', () => {
    // the 17 modules packet-match.ts and rule-space.ts switched on, plus the history matches they knew by name
    const modelled = ['tcp', 'udp', 'multiport', 'icmp', 'icmp6', 'hl', 'state', 'conntrack', 'iprange', 'mark', 'connmark', 'addrtype', 'pkttype', 'length', 'comment'];
    const chance = ['limit', 'hashlimit', 'recent', 'connlimit', 'statistic', 'quota', 'connbytes', 'time'];
    const byName = new Map(MATCHES.map((e) => [e.name, e]));
    for (const n of modelled) expect(byName.get(n)?.analysis?.conditions, n).toBeTypeOf('function');
    for (const n of chance) expect(byName.get(n)?.analysis?.chance, n).toBeTypeOf('function');
  });

  it('every target analysis/targets.ts once classified by name has an analysis member now', () => {
    // the 15 cases of its two switches (ACCEPT … CT) less NETMAP, which decides and says so with `terminal`
    const modelled = ['ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'REJECT', 'NFQUEUE', 'DNAT', 'REDIRECT', 'SNAT', 'MASQUERADE', 'MARK', 'CONNMARK', 'NOTRACK', 'CT', 'LOG', 'NFLOG'];
    const byName = new Map(registeredTargets().map((e) => [e.name, e]));
    for (const n of modelled) expect(byName.get(n)?.analysis?.action, n).toBeTypeOf('function');
    expect(byName.get('NETMAP')?.terminal).toBe(true);
  });
});
