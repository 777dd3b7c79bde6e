// The texts reader (canon, diff) against the model's canonical writer, byte
// for byte, on rulesets made to exercise its shortcuts: every conformance
// vector of both families repeated with addresses (so that RuleTemplates and
// LineTemplates learn and apply templates on every kind of rule, valid or not),
// and random rulesets of repeated lines whose -s/-d words take every form the
// long way reads differently (leading zeros, host bits, /0, masks, names,
// lists, inversion, both orders, odd spacing, counters), IPv4 and IPv6.
import { describe, it, expect } from 'vitest';
import { parseRuleset, parseRulesetPieces, parseRulesetTexts, canonicalRuleset, canonicalFromTexts, type Family } from './index.js';
import { readObserved, readObserved6, restoreQuote, sharedAvailable, shellWords, type ObservedRow } from './testing/shared-data.js';
import { makeRandom } from './testing/random-ruleset.js';
import { pick, randomTemplateRuleset } from './testing/template-rulesets.js';

function same(text: string, family: Family): void {
  const model = parseRuleset(text, { family });
  const lean = parseRulesetTexts(text, { family });
  expect(lean.findings).toEqual(model.findings);
  expect(canonicalFromTexts(lean.texts)).toBe(canonicalRuleset(model.ruleset));
  const pieces = parseRulesetPieces(() => piecesOf(text, 4096), { family });
  if (pieces) {
    expect(pieces.result.findings).toEqual(model.findings);
    expect(canonicalFromTexts(pieces.result.texts)).toBe(canonicalRuleset(model.ruleset));
  }
}

function* piecesOf(text: string, size: number): Generator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

describe('the texts reader prints what the model prints, byte for byte', () => {
  it('on random rulesets of repeated lines with every form of address (IPv4)', () => {
    for (let seed = 1; seed <= 60; seed++) same(randomTemplateRuleset(seed, 'ipv4', 300), 'ipv4');
  });

  it('on random rulesets of repeated lines with every form of address (IPv6)', () => {
    for (let seed = 1; seed <= 60; seed++) same(randomTemplateRuleset(seed, 'ipv6', 300), 'ipv6');
  });

  it('on long runs of one template, the addresses all plain', () => {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const rnd = makeRandom(7);
      const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':bl - [0:0]'];
      for (let k = 0; k < 3000; k++) {
        const a = family === 'ipv6' ? `2001:db8:${((k * 7919) % 65536).toString(16)}::${k.toString(16)}` : `198.${18 + (k & 1)}.${(k >> 8) & 255}.${k & 255}`;
        lines.push(pick(rnd, [`-A bl -s ${a} -j DROP`, `-A bl -s ${a}/${family === 'ipv6' ? 128 : 32} -j DROP`, `-A INPUT -d ${a}/${family === 'ipv6' ? 64 : 24} -j REJECT`,
          `-A INPUT -s ${a} -d ${a} -p tcp -j REJECT --reject-with tcp-reset`, `-A INPUT -d ${a} -s ${a} -j ACCEPT`]));
      }
      lines.push('COMMIT', '');
      same(lines.join('\n'), family);
    }
  });

  const vectorFiles: [Family, () => ObservedRow[]][] = [['ipv4', readObserved], ['ipv6', readObserved6]];
  for (const [family, rows] of vectorFiles) {
    it.skipIf(!sharedAvailable())(`on every ${family} conformance vector, repeated with addresses (templates made and applied)`, () => {
      const byTable = new Map<string, ObservedRow[]>();
      for (const r of rows()) (byTable.get(r.table) ?? byTable.set(r.table, []).get(r.table)!).push(r);
      expect(byTable.size).toBeGreaterThan(1);
      const addrs = family === 'ipv6' ? ['2001:db8::1', '2001:db8::2/128', '2001:db8::/48'] : ['198.18.1.1', '198.18.1.2/32', '198.18.3.0/24'];
      for (const [table, list] of byTable) {
        const chains = [...new Set(list.map((r) => r.chain))];
        const lines = [`*${table}`, ...chains.map((c) => (/^[A-Z]+$/.test(c) ? `:${c} ACCEPT [0:0]` : `:${c} - [0:0]`))];
        for (const r of list) {
          const rule = restoreQuote(shellWords(r.rule));
          lines.push(`-A ${r.chain} ${rule}`);
          for (const a of addrs) lines.push(`-A ${r.chain} -s ${a} ${rule}`, `-A ${r.chain} ${rule} -d ${a}`);
        }
        lines.push('COMMIT', '');
        same(lines.join('\n'), family);
      }
    });
  }
});
