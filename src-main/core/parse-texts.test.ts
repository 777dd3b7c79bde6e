// parseRulesetTexts (canon and diff without a model) must say exactly what
// parseRuleset says: the same findings, and texts that print the same canonical
// form, on every real-world file (valid or not), the IPv6 corpus, the bench's
// shapes, and files whose commands need the model (read again with parseRuleset).
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferFamily, parseRuleset, parseRulesetPieces, parseRulesetTexts, canonicalRule, canonicalRuleset, canonicalFromTexts, rulesetTexts, type Family } from './index.js';
import { corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';
import { findMatch, findTarget, knownMatches, knownTargets } from './extensions/registry.js';
import { validateTable } from './validate.js';
// @ts-expect-error plain JavaScript, no declarations
import { SHAPES, generateShape, shapeFamily } from '../../build/gen-shapes.mjs';

function same(text: string, family: Family = 'ipv4'): void {
  const model = parseRuleset(text, { family });
  const lean = parseRulesetTexts(text, { family });
  expect(lean.findings).toEqual(model.findings);
  expect(lean.family).toBe(family);
  expect(lean.texts).toEqual(rulesetTexts(model.ruleset));
  expect(canonicalFromTexts(lean.texts)).toBe(canonicalRuleset(model.ruleset));
  // read in pieces (the command line's way): the same, whatever the pieces' size
  for (const size of [1, 7, 64, 100_000]) {
    const pieces = parseRulesetPieces(() => piecesOf(text, size), { family });
    if (pieces) expect(pieces.result).toEqual(lean);
  }
}

function* piecesOf(text: string, size: number): Generator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
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
    for (const shape of Object.keys(SHAPES)) same(generateShape(shape, 600, 3) as string, shapeFamily(shape) as Family);
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

  it('on jump loops: the finding names the line of the first rule of the loop\'s first chain that jumps or goes on, as the commit check of the model says', () => {
    // a loop a -> b -> a closed by a goto, after a jump elsewhere; lines alike (templates) jump too
    const text = '*filter\n:INPUT ACCEPT [0:0]\n:a - [0:0]\n:b - [0:0]\n:c - [0:0]\n-A INPUT -j a\n-A a -s 10.0.0.1/32 -j c\n-A a -s 10.0.0.2/32 -j c\n' +
      '-A a -s 10.0.0.3/32 -j c\n-A a -p tcp -g b\n-A a -j b\n-A b -s 10.0.0.4/32 -j a\n-A c -j RETURN\nCOMMIT\n';
    same(text);
    const model = parseRuleset(text);
    const loop = model.findings.filter((f) => f.code === 'jump-loop');
    expect(loop.map((f) => [f.line, f.chain])).toEqual([[10, 'a']]);
    // the model's own walk (its rules, not what the reader kept of them) says the same
    expect(validateTable(model.ruleset.tables[0], 14).filter((f) => f.code === 'jump-loop')).toEqual(loop);
  });

  it('on a deep chain of jumps that loops back at its end, and a target in a hook reached only through it', () => {
    // c0 -> c1 -> ... -> c2999 -> c1500: the loop is named from c1500, at c2999's jump back
    const n = 3000;
    let text = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';
    for (let k = 0; k < n; k++) text += `:c${k} - [0:0]\n`;
    text += '-A POSTROUTING -j c0\n';
    for (let k = 0; k < n - 1; k++) text += `-A c${k} -p tcp -j c${k + 1}\n`;
    text += `-A c${n - 1} -j c1500\n-A c${n - 1} -p tcp -j DNAT --to-destination 10.0.0.1\nCOMMIT\n`;
    same(text);
    const found = parseRuleset(text).findings.filter((f) => f.severity === 'error');
    const loop = found.find((f) => f.code === 'jump-loop')!;
    // the line of c1500's jump to c1501 (after 5 + n header lines and POSTROUTING's jump)
    expect(loop.line).toBe(5 + n + 1 + 1500 + 1);
    expect(loop.message).toContain(`the jumps c1500 → c1501 → `);
    expect(loop.message).toContain(` → c${n - 1} → c1500 form a loop`);
    expect(found.find((f) => f.code === 'wrong-table')?.message).toContain('not in POSTROUTING (chain c2999 is reached from POSTROUTING)');
  });

  it('on chain declarations written every way (tabs, runs of spaces, no policy, odd counters), in both readers', () => {
    const text = '*filter\n:INPUT\tDROP\t[5:6]\n:FORWARD   ACCEPT  [0:0]  extra\n:OUTPUT ACCEPT\n: \n:\n:a\n:b - [x:0]\n:c -\t[0:0\n:d - [1:2]\n:INPUT ACCEPT [0:0]\n:d - [0:0]\n' +
      ':a-name-that-is-far-too-long-for-it - [0:0]\n:e\t\t-\t\t[0:0]\n-A INPUT -j e\nCOMMIT\n';
    same(text);
    const r = parseRuleset(text);
    expect(r.findings.map((f) => [f.line, f.message])).toEqual([
      [5, 'chain name invalid'],
      [6, 'chain name invalid'],
      [7, "policy invalid for chain 'a'"],
      [8, "invalid policy counters for chain 'b': [x:0]"],
      [9, "invalid policy counters for chain 'c': [0:0"],
      [12, "error creating chain 'd': Chain already exists"],
      [13, "Invalid chain name `a-name-that-is-far-too-long-for-it' (28 chars max)"],
    ]);
    const filter = r.ruleset.tables[0];
    expect(filter.chains.map((c) => [c.name, c.policy, c.counters && `${c.counters.packets}:${c.counters.bytes}`])).toEqual([
      ['INPUT', 'ACCEPT', '0:0'], ['FORWARD', 'ACCEPT', '0:0'], ['OUTPUT', 'ACCEPT', null], ['a', null, null], ['b', null, null], ['c', null, null], ['d', null, '1:2'], ['e', null, '0:0'],
    ]);
  });
});

describe('kernel checks at append or at commit', () => {
  // validate.ts checks a rule as it is appended when no kernel check of it has a
  // third parameter (the table and hooks), and keeps it to the commit otherwise
  it('a kernel check that reads the hooks declares the parameter they come in', () => {
    let checks = 0;
    for (const family of ['ipv4', 'ipv6'] as const) {
      const exts = [...[...knownMatches(family)].map((n) => findMatch(n, family)), ...[...knownTargets(family)].map((n) => findTarget(n, family))];
      for (const ext of exts) {
        const check = ext?.kernelCheck;
        if (!check) continue;
        checks++;
        if (/\bhooks\b|\bctx\b|\barguments\b/.test(String(check))) expect(check.length, `${ext.name}'s kernelCheck`).toBeGreaterThanOrEqual(3);
      }
    }
    expect(checks).toBeGreaterThan(10);
  });

  it('rate limits with their own ports each: the same findings as the model, hook-dependent rules among them', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':lim - [0:0]', '-A INPUT -j lim', '-A OUTPUT -j lim'];
    for (let i = 0; i < 30; i++) lines.push(`-A lim -p tcp --dport ${1000 + i} -m limit --limit ${i + 1}/sec -j ACCEPT`);
    lines.push('-A lim -p tcp --dport 7 -m limit --limit 0/sec -j ACCEPT', '-A lim -m owner --uid-owner 0 -j ACCEPT', '-A lim -p udp --dport 9 -j REJECT --reject-with tcp-reset', 'COMMIT');
    const text = lines.join('\n') + '\n';
    same(text);
    const errors = parseRuleset(text).findings.filter((f) => f.severity === 'error').map((f) => f.line);
    expect(errors).toEqual([37, 38, 39]);
  });

  it('DNAT rules each with its own comment (checked up to the hooks at append): the same findings as the model', () => {
    const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':sep - [0:0]', ':bad - [0:0]'];
    for (let i = 0; i < 20; i++) lines.push(`-A sep -p tcp -m comment --comment "svc ${i}" -m tcp -j DNAT --to-destination 10.0.0.${i}:80`);
    lines.push('-A sep -m comment --comment "no proto" -m tcp --dport 1 -j DNAT --to-destination 10.0.0.1');
    lines.push('-A bad -p tcp -m comment --comment "one" -j DNAT --to-destination 10.0.1.1', '-A bad -p tcp -m comment --comment "two" -j DNAT --to-destination 10.0.1.2');
    lines.push('-A PREROUTING -j sep', '-A OUTPUT -j sep', '-A INPUT -j bad', 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -p tcp -m comment --comment "x" -j DNAT --to-destination 10.0.0.1', 'COMMIT');
    const text = lines.join('\n') + '\n';
    same(text);
    const errors = parseRuleset(text).findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => [f.line, f.code])).toEqual([[28, 'invalid-argument'], [29, 'wrong-table'], [30, 'wrong-table'], [37, 'wrong-table']]);
  });
});

describe('parseRulesetPieces (a file read in pieces)', () => {
  it('infers the family as inferFamily does on the whole text, wherever the pieces end', () => {
    const texts = [
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 2001:db8::1/128 -j DROP\nCOMMIT\n',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1 -j DROP\n-A INPUT -s\n2001:db8::1 -j DROP\nCOMMIT\n',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p\nipv6-icmp -j ACCEPT\n-A INPUT -j REJECT --reject-with\n\n icmp6-adm-prohibited\nCOMMIT\n',
      '# Generated by ip6tables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m icmp6 --icmpv6-type 128 -j ACCEPT\n-A INPUT -s 10.0.0.1 -j DROP\nCOMMIT\n',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s !\n\n-A INPUT -j DROP\nCOMMIT\n',
    ];
    for (const text of texts) {
      for (const name of ['x.rules', 'rules.v6', 'rules.v4']) {
        const whole = inferFamily(text, name);
        for (let cut = 0; cut <= text.length; cut++) {
          const r = parseRulesetPieces(() => [text.slice(0, cut), text.slice(cut)], { fileName: name });
          expect(r?.guess ?? null).toEqual(whole);
          expect(r?.result).toEqual(parseRulesetTexts(text, { family: whole?.family ?? 'ipv4' }));
        }
      }
    }
  });

  it('gives null for a file whose commands need the model (the caller reads it whole)', () => {
    expect(parseRulesetPieces(() => ['*filter\n:INPUT ACCEPT [0:0]\n-N x\n-A INPUT -j x\nCOMMIT\n'])).toBeNull();
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

  it('in an IPv6 ruleset too: the same model as parsing each line, including errors, inverted, embedded IPv4 and odd addresses', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':bl - [0:0]', '-A INPUT -j bl'];
    for (let i = 0; i < 40; i++) lines.push(`-A bl -s 2001:db8:${i.toString(16)}::${(i * 7).toString(16)}/128 -j DROP`);
    lines.push('-A bl -s 2001:db8::g/128 -j DROP', '-A bl -s 2001:db8::1/129 -j DROP', '-A bl -s 2001:db8:::1 -j DROP', '-A bl -s ::ffff:10.0.0.1 -j DROP', '-A bl -s ::ffff:10.0.0.300 -j DROP');
    lines.push('-A bl ! -s 2001:db8:1::/48 -j DROP', '-A bl ! -s 2001:db8:2::5/48 -j DROP', '-A bl -s 2001:DB8::A -j DROP', '-A bl -s 10.0.0.1 -j DROP');
    lines.push('-A bl -s 2001:db8::9 -d 2001:db8::8/64 -p tcp --dport 22 -j REJECT --reject-with tcp-reset', '-A bl -s 2001:db8::7 -d 2001:db8:1::8/64 -p tcp --dport 22 -j REJECT --reject-with tcp-reset');
    lines.push('-A bl -m comment --comment -s 2001:db8::1 -j DROP', '-A bl -m comment --comment -s 2001:db8::2 -j DROP');
    lines.push(':bl2 - [0:0]', '[3:4] -A bl -s 2001:db8::7 -j bl2', '-A bl -s 2001:db8::8 -j bl2', '-E bl2 bl3', '-A bl -s 2001:db8::9 -j bl3', 'COMMIT');
    const text = lines.join('\n') + '\n';
    same(text, 'ipv6');
    const r = parseRuleset(text, { family: 'ipv6' });
    const rules: string[] = [];
    const failing: number[] = [];
    lines.forEach((l, k) => {
      if (!l.startsWith('-A bl') && !l.startsWith('[')) return;
      const e = parseRuleset(`*filter\n:INPUT ACCEPT [0:0]\n:bl - [0:0]\n:bl2 - [0:0]\n:bl3 - [0:0]\n${l}\nCOMMIT\n`, { family: 'ipv6' });
      if (e.findings.some((f) => f.severity === 'error')) failing.push(k + 1);
      for (const x of e.ruleset.tables[0].chains.find((c) => c.name === 'bl')!.rules) rules.push(canonicalRule('bl', x, { counters: true }).replace('bl2', 'bl3'));
    });
    const bl = r.ruleset.tables[0].chains.find((c) => c.name === 'bl')!;
    expect(bl.rules.map((x) => canonicalRule('bl', x, { counters: true }))).toEqual(rules);
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.line)).toEqual(failing);
    expect(failing.length).toBeGreaterThanOrEqual(4);
  });
});
