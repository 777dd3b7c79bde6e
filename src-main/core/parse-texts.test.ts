// parseRulesetTexts (canon and diff without a model) must say exactly what
// parseRuleset says: the same findings, and texts that print the same canonical
// form, on every real-world file (valid or not), the IPv6 corpus, the bench's
// shapes, and files whose commands need the model (read again with parseRuleset).
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, parseRulesetTexts, canonicalRule, canonicalRuleset, canonicalFromTexts, rulesetTexts, type Family } from './index.js';
import { corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';
// @ts-expect-error plain JavaScript, no declarations
import { SHAPES, generateShape } from '../../build/gen-shapes.mjs';

function same(text: string, family: Family = 'ipv4'): void {
  const model = parseRuleset(text, { family });
  const lean = parseRulesetTexts(text, { family });
  expect(lean.findings).toEqual(model.findings);
  expect(lean.family).toBe(family);
  expect(lean.texts).toEqual(rulesetTexts(model.ruleset));
  expect(canonicalFromTexts(lean.texts)).toBe(canonicalRuleset(model.ruleset));
}

describe('parseRulesetTexts says what parseRuleset says', () => {
  it.skipIf(!sharedAvailable())('on every real-world file, valid or not', () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) same(readCorpus(f));
  });

  it('on the IPv6 corpus', () => {
    const dir = join(__dirname, 'testing', 'corpus6');
    const files = readdirSync(dir).filter((f) => f.endsWith('.rules'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) same(readFileSync(join(dir, f), 'utf8'), 'ipv6');
  });

  it('on every bench shape', () => {
    for (const shape of Object.keys(SHAPES)) same(generateShape(shape, 600, 3) as string);
  });

  it('on files that insert, delete, rename, flush and skip lines (read again with the model)', () => {
    same('*filter\n:INPUT ACCEPT [0:0]\n:a - [0:0]\n-A INPUT -j a\n-A a -s 1.2.3.4 -j DROP\n-I a 1 -p tcp --dport 22 -j ACCEPT\n-D a 2\n-E a b\nCOMMIT\n');
    same('*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 1 -j ACCEPT\n-F INPUT\n-A INPUT -s 10.0.0.1,10.0.0.2 -j ACCEPT\n-6 -A INPUT -j DROP\nCOMMIT\n');
    same('*filter\n:INPUT DROP [0:0]\n-A nosuch -j ACCEPT\n-N x\n-A INPUT -j x\nCOMMIT\n');
  });

  it('on files with errors, commented-out rules, loops, CRLF, NUL and a missing last newline', () => {
    same('*filter\n:INPUT ACCEPT [0:0]\n:a - [0:0]\n:b - [0:0]\n-A INPUT -j a\n-A a -j b\n-A b -j a\n#-A INPUT -j DROP\n-A INPUT -p tcp --dport x -j ACCEPT\nCOMMIT\n');
    same('*nat\r\n:PREROUTING ACCEPT [0:0]\r\n-A PREROUTING -j DNAT --to-destination 1.2.3.4\r\nCOMMIT\r\n');
    same('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 1.2.3.4\0 -j DROP\n*nat\n-A OUTPUT -j MASQUERADE\nCOMMIT');
    same('-A INPUT -j DROP\n*bogus\n-A INPUT -j DROP\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n[5:10] -A INPUT -j ACCEPT\n');
    // rules alike after their addresses are checked once: each still gets its own finding
    same('*filter\n:INPUT ACCEPT [0:0]\n:f2b - [0:0]\n-A INPUT -j f2b\n-A f2b -s 1.2.3.4 -j REJECT --reject-with tcp-reset\n-A f2b -s 1.2.3.5 -j REJECT\n' +
      '-A f2b -s 1.2.3.6 -j REJECT --reject-with tcp-reset\n-A INPUT -d 9.9.9.9 -j REJECT --reject-with tcp-reset\nCOMMIT\n' +
      '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:d - [0:0]\n' +
      '-A d -s 10.0.0.1 -p tcp -j DNAT --to-destination 1.1.1.1\n-A d -s 10.0.0.2 -p tcp -j DNAT --to-destination 1.1.1.1\n-A INPUT -j d\n-A PREROUTING -j d\nCOMMIT\n');
    same('');
    same('\n\n');
  });
});

describe('rule templates (lines that differ only in their addresses, parsed once)', () => {
  it('give the same model as parsing each line, including errors, inverted and odd addresses', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':bl - [0:0]', '-A INPUT -j bl'];
    for (let i = 0; i < 40; i++) lines.push(`-A bl -s 10.0.${i}.${i * 3}/32 -j DROP`);
    lines.push('-A bl -s 10.0.0.300/32 -j DROP', '-A bl -s 10.0.0.1/33 -j DROP', '-A bl -s 010.0.0.1/8 -j DROP', '-A bl ! -s 10.1.2.3/16 -j DROP', '-A bl ! -s 10.1.2.4/16 -j DROP');
    lines.push('-A bl -s 10.9.9.9 -d 10.8.8.8/24 -p tcp --dport 22 -j REJECT --reject-with tcp-reset', '-A bl -s 10.9.9.8 -d 10.8.8.7/24 -p tcp --dport 22 -j REJECT --reject-with tcp-reset');
    lines.push('-A bl -m comment --comment -s 10.0.0.1 -j DROP', '-A bl -m comment --comment -s 10.0.0.2 -j DROP');
    lines.push(':bl2 - [0:0]', '[3:4] -A bl -s 10.7.7.7 -j bl2', '[3:4] -A bl -s 10.7.7.7 -j bl2', '-A bl -s 10.7.7.8 -j bl2', '-E bl2 bl3', '-A bl -s 10.7.7.9 -j bl3', 'COMMIT');
    const text = lines.join('\n') + '\n';
    same(text);
    // against a parse where no line is like another: each line alone in a table
    const r = parseRuleset(text);
    const rules: string[] = [];
    const failing: number[] = [];
    lines.forEach((l, k) => {
      if (!l.startsWith('-A bl') && !l.startsWith('[')) return;
      const e = parseRuleset(`*filter\n:INPUT ACCEPT [0:0]\n:bl - [0:0]\n:bl2 - [0:0]\n:bl3 - [0:0]\n${l}\nCOMMIT\n`);
      if (e.findings.some((f) => f.severity === 'error')) failing.push(k + 1);
      for (const x of e.ruleset.tables[0].chains.find((c) => c.name === 'bl')!.rules) rules.push(canonicalRule('bl', x, { counters: true }).replace('bl2', 'bl3'));
    });
    const bl = r.ruleset.tables[0].chains.find((c) => c.name === 'bl')!;
    expect(bl.rules.map((x) => canonicalRule('bl', x, { counters: true }))).toEqual(rules);
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.line)).toEqual(failing);
    expect(failing.length).toBeGreaterThanOrEqual(3);
  });
});
