// Laws of the parser and the canonical writer, over real files and generated
// and mutated input: canonical form is a fixed point, and the parser never
// throws — whatever it is given, it answers with findings.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseRuleset, canonicalRuleset } from './index.js';
import { corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';

// Table order follows kernel load order (newest first), as iptables-save's
// does: a second load reverses it again, for iptables too. The law holds per table.
function tables(text: string): string[] {
  return text.split(/(?=^\*)/m).sort();
}

const corpus = sharedAvailable() ? corpusFiles().map((f) => readCorpus(f)) : [];
const valid = corpus.filter((t) => !parseRuleset(t).findings.some((f) => f.severity === 'error'));

// A small vocabulary of rule pieces, to generate rulesets that are mostly valid.
const piece = fc.constantFrom(
  '-s 10.0.0.0/8', '! -s 192.168.1.7', '-d 198.18.0.1', '-i eth0', '-o eth1+', '-p tcp', '-p udp', '-p icmp',
  '--dport 22', '--sport 1024:', '-m tcp --dport 80', '-m udp --dport 53', '-m comment --comment "hi there"',
  '-m state --state NEW', '-m conntrack --ctstate RELATED,ESTABLISHED', '-m limit --limit 5/min',
  '-m multiport --dports 80,443', '-j ACCEPT', '-j DROP', '-j REJECT', '-j LOG --log-prefix "x: "', '-j USER', '-g USER',
  '-f', '!', '--syn', '-m mark --mark 0x1/0xff', '--icmp-type echo-request',
);
const ruleLine = fc.tuple(fc.constantFrom('INPUT', 'FORWARD', 'OUTPUT', 'USER'), fc.array(piece, { maxLength: 6 })).map(
  ([c, ps]) => `-A ${c} ${ps.join(' ')}`,
);
const generated = fc.array(ruleLine, { maxLength: 12 }).map((rs) => `*filter\n:INPUT DROP [0:0]\n:USER - [0:0]\n${rs.join('\n')}\nCOMMIT\n`);

describe('parser and canonical form, laws', () => {
  it.skipIf(!sharedAvailable())('canonical form is a fixed point on every valid corpus file', () => {
    expect(valid.length).toBeGreaterThan(100);
    for (const t of valid) {
      const once = canonicalRuleset(parseRuleset(t).ruleset);
      const again = parseRuleset(once);
      expect(again.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(tables(canonicalRuleset(again.ruleset))).toEqual(tables(once));
    }
  });

  it('canonical form is a fixed point on generated rulesets that load', () => {
    fc.assert(
      fc.property(generated, (text) => {
        const first = parseRuleset(text);
        fc.pre(!first.findings.some((f) => f.severity === 'error'));
        const once = canonicalRuleset(first.ruleset);
        const again = parseRuleset(once);
        expect(again.findings.filter((f) => f.severity === 'error')).toEqual([]);
        expect(canonicalRuleset(again.ruleset)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text; every finding has a line and a message', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const r = parseRuleset(text);
        for (const f of r.findings) {
          expect(f.line).toBeGreaterThanOrEqual(0);
          expect(f.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on generated rule lines and table structure', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(ruleLine, fc.constantFrom('*filter', '*nat', 'COMMIT', ':X - [0:0]', ':INPUT FOO', '#-A INPUT -j ACCEPT', '', '   ', '[1:2] -A INPUT', '-N X', '-X X', '-I INPUT 3 -j DROP', '-D INPUT 1', '-P INPUT DROP')), { maxLength: 20 }), (ls) => {
        parseRuleset(ls.join('\n') + '\n');
      }),
      { numRuns: 500 },
    );
  });

  it.skipIf(!sharedAvailable())('never throws on mutated real files', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 8 })), { maxLength: 8 }), (text, edits) => {
        let t = text;
        for (const [pos, op, s] of edits) {
          const at = pos % (t.length + 1);
          if (op === 0) t = t.slice(0, at) + s + t.slice(at); // insert
          else if (op === 1) t = t.slice(0, at) + t.slice(at + s.length + 1); // delete
          else if (op === 2) t = t.slice(0, at) + '"' + t.slice(at); // stray quote
          else t = t.slice(0, at) + ' ! ' + t.slice(at); // stray negation
        }
        const r = parseRuleset(t);
        expect(Array.isArray(r.findings)).toBe(true);
        canonicalRuleset(r.ruleset);
      }),
      { numRuns: 400 },
    );
  });
});
