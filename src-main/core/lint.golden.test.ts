// The lint's findings, pinned: every bench shape, every real-world file (IPv4
// and IPv6), the host pairs and a few hundred random rulesets give exactly the
// findings recorded in testing/lint-golden.json. Work on the lint's speed and
// memory (issue 11) must not change a single finding, message or order.
//
// The golden file was made by the lint as it was on main at e5658e6 (before
// the compact lint state), with
//   UPDATE_LINT_GOLDEN=1 npx vitest run src-main/core/lint.golden.test.ts
// Each entry is the number of findings, the count per code, and a SHA-256 of
// the findings as JSON. Regenerate only for a change that is meant to change
// findings, and say so in the commit. The inputs come from generators in
// testing/ and build/: when one of them changes (random-ruleset6.ts's addrtype
// types did at 10a3e67), record the changed cases with the lint as it was
// before any lint change (here: main at 10a3e67, whose lint gave every other
// case its recorded findings).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferFamily, parseRuleset, parseRulesetModelPieces, type Family, type Finding } from './index.js';
import { lintParsed, type LintOptions } from './lint.js';
import { lintPair } from './lint/pair.js';
import { corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';
import { randomRouterRuleset, randomRuleset } from './testing/random-ruleset.js';
import { randomRuleset6 } from './testing/random-ruleset6.js';
// @ts-expect-error plain JavaScript, no declarations
import { SHAPES, generateShape, shapeFamily } from '../../build/gen-shapes.mjs';

const GOLDEN = join(__dirname, 'testing', 'lint-golden.json');
const update = process.env.UPDATE_LINT_GOLDEN === '1';

interface Entry { n: number; codes: Record<string, number>; sha256: string }

function entry(findings: readonly Finding[]): Entry {
  const codes: Record<string, number> = {};
  for (const f of findings) codes[f.code] = (codes[f.code] ?? 0) + 1;
  return { n: findings.length, codes, sha256: createHash('sha256').update(JSON.stringify(findings)).digest('hex') };
}

const CLIENT: LintOptions = { client: '198.51.100.7', sshPort: 22, local: ['203.0.113.1'] };
const CLIENT6: LintOptions = { client: '2001:db8:ffff::7', sshPort: 22, local: ['2001:db8::1'] };

function lintText(text: string, family: Family, opts: LintOptions): Finding[] {
  return lintParsed(parseRuleset(text, { family }), opts);
}

/** Every case: name → findings (made lazily, so one failing case names itself). */
function cases(): Array<[string, () => Finding[]]> {
  const out: Array<[string, () => Finding[]]> = [];
  for (const shape of Object.keys(SHAPES)) {
    const family = shapeFamily(shape) as Family;
    out.push([`shape ${shape} 10000`, () => lintText(generateShape(shape, 10_000, 1) as string, family, {})]);
    out.push([`shape ${shape} 3000 --client`, () => lintText(generateShape(shape, 3_000, 2) as string, family, family === 'ipv6' ? CLIENT6 : CLIENT)]);
  }
  if (sharedAvailable()) {
    for (const f of corpusFiles()) {
      out.push([`corpus ${f}`, () => lintText(readCorpus(f), 'ipv4', {})]);
      out.push([`corpus ${f} --client`, () => lintText(readCorpus(f), 'ipv4', CLIENT)]);
    }
  }
  const dir6 = join(__dirname, 'testing', 'corpus6');
  for (const f of readdirSync(dir6).filter((x) => x.endsWith('.rules')).sort()) {
    const text = () => readFileSync(join(dir6, f), 'utf8');
    out.push([`corpus6 ${f}`, () => lintText(text(), 'ipv6', {})]);
    out.push([`corpus6 ${f} --client`, () => lintText(text(), 'ipv6', CLIENT6)]);
  }
  const pairs = join(__dirname, 'testing', 'pairs');
  for (const f of readdirSync(pairs).filter((x) => x.endsWith('.v4')).sort()) {
    const base = f.slice(0, -3);
    out.push([`pair ${base}`, () => {
      const v4 = parseRuleset(readFileSync(join(pairs, `${base}.v4`), 'utf8'), { family: 'ipv4' });
      const v6 = parseRuleset(readFileSync(join(pairs, `${base}.v6`), 'utf8'), { family: 'ipv6' });
      return [...lintParsed(v4), ...lintParsed(v6), ...lintPair(v4.ruleset, v6.ruleset, {})];
    }]);
  }
  for (let seed = 1; seed <= 150; seed++) {
    out.push([`random ${seed}`, () => lintText(randomRuleset(seed, { iface: 'eth0', rules: 14 }), 'ipv4', CLIENT)]);
    out.push([`router ${seed}`, () => lintText(randomRouterRuleset(seed, { inIf: 'eth1', outIf: 'eth2' }), 'ipv4', {})]);
    out.push([`random6 ${seed}`, () => lintText(randomRuleset6(seed, 'eth0'), 'ipv6', CLIENT6)]);
  }
  return out;
}

describe('lint findings are exactly the recorded ones', () => {
  const all = cases();
  if (update) {
    it('records the golden file', { timeout: 600_000 }, () => {
      const golden: Record<string, Entry> = {};
      for (const [name, run] of all) golden[name] = entry(run());
      writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');
    });
    return;
  }
  const golden = existsSync(GOLDEN) ? (JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, Entry>) : {};
  it('has an entry for every case', () => {
    const missing = all.map(([name]) => name).filter((n) => !(n in golden));
    expect(missing).toEqual([]);
  });
  it('gives the recorded findings on every case', { timeout: 600_000 }, () => {
    const differ: string[] = [];
    for (const [name, run] of all) {
      const want = golden[name];
      if (!want) continue;
      const got = entry(run());
      if (got.sha256 !== want.sha256) differ.push(`${name}: ${JSON.stringify({ n: got.n, codes: got.codes })} (recorded ${JSON.stringify({ n: want.n, codes: want.codes })})`);
    }
    expect(differ).toEqual([]);
  });
});

describe('the lint of a file read without its lines (keepLines: false, the CLI lint)', () => {
  const nth = [
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -p tcp -m nth --every 3 --packet 0 -j ACCEPT', '-A INPUT -p tcp -m nth --every 3 --packet 1 -j ACCEPT',
    '# a comment that says nth', '-A INPUT -p tcp -m nth --packet 2 -j DROP\r', 'COMMIT', '',
  ].join('\n');
  const texts: Array<[string, string, Family]> = [
    ['nth', nth, 'ipv4'], ['nth, no final newline', nth.trimEnd(), 'ipv4'], ['empty', '', 'ipv4'],
    ...(Object.keys(SHAPES).map((s) => [`shape ${s}`, generateShape(s, 600, 4) as string, shapeFamily(s)] as [string, string, Family])),
  ];
  if (sharedAvailable()) for (const f of corpusFiles()) texts.push([`corpus ${f}`, readCorpus(f), 'ipv4']);
  it('gives the same model, parse findings and lint findings as with every line kept', () => {
    for (const [name, text, family] of texts) {
      const all = parseRuleset(text, { family });
      const lean = parseRuleset(text, { family, keepLines: false });
      expect(lean.ruleset, name).toEqual(all.ruleset);
      expect(lean.findings, name).toEqual(all.findings);
      expect(lean.finalNewline, name).toBe(all.finalNewline);
      expect(lean.lines.length, name).toBe(all.lines.length);
      lean.lines.forEach((l, k) => expect(l, `${name}:${k + 1}`).toBe(all.lines[k]));
      expect(lintParsed(lean, CLIENT), name).toEqual(lintParsed(all, CLIENT));
    }
    // the -m nth fix comes from the kept lines
    const f = lintParsed(parseRuleset(nth, { keepLines: false })).find((x) => x.code === 'obsolete-match');
    expect(f?.fix).toContain('split 3 ways');
  });

  it('read in pieces of any size (the CLI lint reads a file so): the same as read whole', () => {
    for (const [name, text, family] of texts) {
      const lean = parseRuleset(text, { family, keepLines: false });
      const want = lintParsed(lean, CLIENT);
      for (const size of text.length < 1000 ? [1, 5, 64] : [7, 4096, 1 << 20]) {
        const { result, guess } = parseRulesetModelPieces(() => piecesOf(text, size), { family });
        const at = `${name} in pieces of ${size}`;
        expect(guess, at).toBeNull();
        expect(result.ruleset, at).toEqual(lean.ruleset);
        expect(result.findings, at).toEqual(lean.findings);
        expect(result.finalNewline, at).toBe(lean.finalNewline);
        expect(result.lines.length, at).toBe(lean.lines.length);
        lean.lines.forEach((l, k) => expect(result.lines[k], `${at}:${k + 1}`).toBe(l));
        expect(Object.keys(result.lines), at).toEqual(Object.keys(lean.lines));
        expect(lintParsed(result, CLIENT), at).toEqual(want);
      }
    }
  });

  it('read in pieces without a family: inferred from the name and content as for the whole text', () => {
    const v6 = generateShape('mixed6', 300, 2) as string;
    for (const [text, fileName] of [[v6, 'x.rules'], [v6, 'rules.v4'], [nth, 'rules.v6'], [nth, 'x.rules']] as const) {
      const { result, guess } = parseRulesetModelPieces(() => piecesOf(text, 999), { fileName });
      const whole = inferFamily(text, fileName);
      const family = whole?.family ?? 'ipv4';
      expect(guess, fileName).toEqual(whole);
      expect(result.ruleset.family, fileName).toBe(family);
      expect(result.ruleset, fileName).toEqual(parseRuleset(text, { family, keepLines: false }).ruleset);
    }
  });
});

function* piecesOf(text: string, size: number): Generator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}
