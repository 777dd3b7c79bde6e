// Finding codes are a vocabulary scripts and the UI key on: one list in
// findings.ts (the FindingCode union), every code DESIGN.md promises in it, and
// no code in it that nothing emits.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FINDING_CODES, formatFinding, type FindingCode } from './findings.js';
import { parseRuleset } from './parse.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

function coreSources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...coreSources(p));
    else if (e.endsWith('.ts') && !e.endsWith('.test.ts') && !e.endsWith('.d.ts') && e !== 'findings.ts') out.push(p);
  }
  return out;
}

describe('finding codes', () => {
  it("every code DESIGN.md lists under 'Finding codes used so far' is a FindingCode", () => {
    const design = readFileSync(resolve(repo, '..', 'shared', 'DESIGN.md'), 'utf8');
    const start = design.indexOf('Finding codes used so far');
    expect(start).toBeGreaterThan(-1);
    const para = design.slice(start, design.indexOf('\n\n', start));
    const listed = [...para.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]);
    expect(listed.length).toBeGreaterThanOrEqual(22);
    expect(listed.filter((c) => !(FINDING_CODES as readonly string[]).includes(c))).toEqual([]);
  });

  it('every FindingCode is emitted somewhere in core (no dead codes), and none twice in the list', () => {
    const text = coreSources(here).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(FINDING_CODES.filter((c) => !text.includes(`'${c}'`))).toEqual([]);
    expect(new Set(FINDING_CODES).size).toBe(FINDING_CODES.length);
  });

  it('the codes a real parse emits are FindingCodes', () => {
    const r = parseRuleset('*filter\r\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n-A INPUT -j NOWHERE\n');
    const codes: FindingCode[] = r.findings.map((f) => f.code);
    expect(codes.length).toBeGreaterThan(0);
    for (const c of codes) expect(FINDING_CODES).toContain(c);
    expect(formatFinding('t.rules', r.findings[0])).toMatch(/^t\.rules:\d+/);
  });
});
