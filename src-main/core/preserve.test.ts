// The preserving writer keeps an admin's file: unedited it is returned byte
// for byte; edited, only the edited rules' lines change and the result loads
// as the edited ruleset.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseRuleset, canonicalRuleset, type Ruleset, type Rule } from './index.js';
import { writePreserving } from './preserve.js';
import { corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';

const SAMPLE = `# Firewall for web01 — managed by hand, keep the comments!
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LOGGING - [0:0]

# loopback and replies first
-A INPUT   -i lo -j ACCEPT
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT

# admin access
-A INPUT -p tcp --dport ssh -j ACCEPT
#-A INPUT -p tcp --dport 8080 -j ACCEPT
-A INPUT -p tcp --dport 443 -j ACCEPT
-A INPUT -j LOGGING
-A LOGGING -m limit --limit 2/min -j LOG --log-prefix "dropped: "
-A LOGGING -j DROP
COMMIT
`;

function clone(rs: Ruleset): Ruleset {
  return {
    family: rs.family,
    tables: rs.tables.map((t) => ({ ...t, chains: t.chains.map((c) => ({ ...c, rules: [...c.rules], disabled: [...c.disabled] })) })),
  };
}
function chainOf(rs: Ruleset, table: string, chain: string) {
  return rs.tables.find((t) => t.name === table)!.chains.find((c) => c.name === chain)!;
}
function ruleFrom(line: string): Rule {
  const r = parseRuleset(`*filter\n${line}\nCOMMIT\n`);
  expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  const rule = chainOf(r.ruleset, 'filter', 'INPUT').rules[0];
  return { ...rule, source: undefined };
}
/** lines of b that are not in a, and lines of a not in b (multiset difference) */
function changedLines(a: string, b: string): { added: string[]; removed: string[] } {
  const count = new Map<string, number>();
  for (const l of a.split('\n')) count.set(l, (count.get(l) ?? 0) + 1);
  const added: string[] = [];
  for (const l of b.split('\n')) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else added.push(l);
  }
  const removed: string[] = [];
  for (const [l, n] of count) for (let k = 0; k < n; k++) removed.push(l);
  return { added, removed };
}

describe('preserving writer', () => {
  it('returns an unedited file byte for byte', () => {
    const p = parseRuleset(SAMPLE);
    expect(writePreserving(p, p.ruleset)).toBe(SAMPLE);
  });

  it('recognises a commented-out rule as a disabled rule in place', () => {
    const p = parseRuleset(SAMPLE);
    const input = chainOf(p.ruleset, 'filter', 'INPUT');
    expect(input.disabled).toHaveLength(1);
    expect(input.disabled[0].before).toBe(3);
    expect(input.disabled[0].rule.matches.map((m) => m.name)).toEqual(['tcp']);
  });

  it('deleting a rule removes only its line', () => {
    const p = parseRuleset(SAMPLE);
    const e = clone(p.ruleset);
    chainOf(e, 'filter', 'INPUT').rules.splice(3, 1); // --dport 443
    const out = writePreserving(p, e);
    expect(changedLines(SAMPLE, out)).toEqual({ added: [], removed: ['-A INPUT -p tcp --dport 443 -j ACCEPT'] });
    expect(canonicalRuleset(parseRuleset(out).ruleset)).toBe(canonicalRuleset(e));
  });

  it('adding a rule writes it canonically after its neighbour, everything else untouched', () => {
    const p = parseRuleset(SAMPLE);
    const e = clone(p.ruleset);
    chainOf(e, 'filter', 'INPUT').rules.splice(3, 0, ruleFrom('-A INPUT -p tcp --dport 80 -j ACCEPT'));
    const out = writePreserving(p, e);
    expect(changedLines(SAMPLE, out)).toEqual({ added: ['-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT'], removed: [] });
    const lines = out.split('\n');
    expect(lines.indexOf('-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT')).toBe(lines.indexOf('-A INPUT -p tcp --dport 443 -j ACCEPT') - 1);
    expect(canonicalRuleset(parseRuleset(out).ruleset)).toBe(canonicalRuleset(e));
  });

  it('changing a rule rewrites only that line; moving one keeps its text', () => {
    const p = parseRuleset(SAMPLE);
    const e = clone(p.ruleset);
    const input = chainOf(e, 'filter', 'INPUT');
    input.rules[2] = ruleFrom('-A INPUT -s 198.18.0.0/15 -p tcp --dport 22 -j ACCEPT');
    const [https] = input.rules.splice(3, 1);
    input.rules.splice(0, 0, https);
    const out = writePreserving(p, e);
    const d = changedLines(SAMPLE, out);
    expect(d.removed).toEqual(['-A INPUT -p tcp --dport ssh -j ACCEPT']);
    expect(d.added).toEqual(['-A INPUT -s 198.18.0.0/15 -p tcp -m tcp --dport 22 -j ACCEPT']);
    expect(canonicalRuleset(parseRuleset(out).ruleset)).toBe(canonicalRuleset(e));
  });

  it('toggles a disabled rule on and an active rule off in place', () => {
    const p = parseRuleset(SAMPLE);
    const e = clone(p.ruleset);
    const input = chainOf(e, 'filter', 'INPUT');
    const [d] = input.disabled.splice(0, 1);
    input.rules.splice(d.before, 0, d.rule);
    const [ssh] = input.rules.splice(2, 1);
    input.disabled.push({ rule: ssh, before: 2, text: '' });
    const out = writePreserving(p, e);
    expect(changedLines(SAMPLE, out)).toEqual({
      added: ['#-A INPUT -p tcp --dport ssh -j ACCEPT', '-A INPUT -p tcp --dport 8080 -j ACCEPT'],
      removed: ['-A INPUT -p tcp --dport ssh -j ACCEPT', '#-A INPUT -p tcp --dport 8080 -j ACCEPT'],
    });
    expect(canonicalRuleset(parseRuleset(out).ruleset)).toBe(canonicalRuleset(e));
  });

  it('changing a policy changes only the chain line', () => {
    const p = parseRuleset(SAMPLE);
    const e = clone(p.ruleset);
    const fwd = chainOf(e, 'filter', 'FORWARD');
    e.tables[0].chains[e.tables[0].chains.indexOf(fwd)] = { ...fwd, policy: 'ACCEPT' };
    const out = writePreserving(p, e);
    expect(changedLines(SAMPLE, out)).toEqual({ added: [':FORWARD ACCEPT [0:0]'], removed: [':FORWARD DROP [0:0]'] });
  });

  it.skipIf(!sharedAvailable())('returns every corpus file byte for byte', () => {
    const files = corpusFiles();
    expect(files.length).toBe(140);
    for (const f of files) {
      const text = readCorpus(f);
      const p = parseRuleset(text);
      expect(writePreserving(p, p.ruleset), f).toBe(text);
    }
  });

  it.skipIf(!sharedAvailable())('after deleting any one rule of a corpus file, the file loads as the edited ruleset and only that rule line is gone', () => {
    const files = corpusFiles().filter((f) => {
      const p = parseRuleset(readCorpus(f));
      return !p.findings.some((x) => x.severity === 'error') && p.ruleset.tables.some((t) => t.chains.some((c) => c.rules.length > 0));
    });
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.nat(), fc.nat(), (f, ti, ri) => {
        const text = readCorpus(f);
        const p = parseRuleset(text);
        const e = clone(p.ruleset);
        const withRules = e.tables.flatMap((t) => t.chains.filter((c) => c.rules.length > 0));
        const chain = withRules[ti % withRules.length];
        const victim = chain.rules[ri % chain.rules.length];
        chain.rules.splice(ri % chain.rules.length, 1);
        const out = writePreserving(p, e);
        const reparsed = parseRuleset(out);
        expect(reparsed.findings.filter((x) => x.severity === 'error')).toEqual([]);
        expect(canonicalRuleset(reparsed.ruleset)).toBe(canonicalRuleset(e));
        const d = changedLines(text, out);
        const single = !victim.source?.part && !p.ruleset.tables.some((t) => t.chains.some((c) => c.rules.some((r) => r !== victim && r.source?.line === victim.source?.line)));
        // files with -I/-N/… lines get their edited table written canonically (order of commands matters there)
        const positional = /^(\[\d+:\d+\]\s*)?(-[IDRNXFPEZ]|--(insert|delete|replace|new-chain|flush|policy))\s/m.test(text);
        if (single && !positional) {
          expect(d.added).toEqual([]);
          expect(d.removed).toEqual([p.lines[victim.source!.line - 1]]);
        }
      }),
      { numRuns: 150 },
    );
  });
});
