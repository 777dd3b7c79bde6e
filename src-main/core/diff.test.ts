import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseRuleset } from './parse.js';
import { canonicalTable } from './canonical.js';
import type { Ruleset } from './model.js';
import { TABLE_NAMES } from './model.js';
import { alignSequences, applyChangeSet, ChangeSetError, diffRulesets, diffRulesetsDetailed, diffRulesetTexts, diffRuleTexts, formatSideBySide, formatUnified, type RulesetTexts } from './diff.js';
import { corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';

function parse(text: string): Ruleset {
  const r = parseRuleset(text);
  const errors = r.findings.filter((f) => f.severity === 'error');
  if (errors.length) throw new Error(`test ruleset invalid: ${errors.map((e) => `${e.line}: ${e.message}`).join('; ')}\n${text}`);
  return r.ruleset;
}

/** Canonical text independent of table order, with empty default tables left out (they load nothing). */
function canonicalKey(rs: Ruleset): string {
  let out = '';
  for (const name of TABLE_NAMES) {
    const t = rs.tables.find((x) => x.name === name);
    if (!t) continue;
    const empty = t.chains.every((c) => c.builtin && c.rules.length === 0 && (c.policy ?? 'ACCEPT') === 'ACCEPT');
    if (!empty) out += canonicalTable(t);
  }
  return out;
}

const filter = (rules: string, extra = '') => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${extra}${rules}COMMIT\n`;

describe('alignSequences', () => {
  const lcsLength = (a: number[], b: number[]) => {
    const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++)
      dp[i][j] = a[i - 1] === b[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
    return dp[a.length][b.length];
  };

  it('returns a common subsequence, increasing on both sides', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }), (a, b) => {
        const p = alignSequences(a, b);
        for (let k = 0; k < p.length; k += 2) {
          expect(a[p[k]]).toBe(b[p[k + 1]]);
          if (k > 0) {
            expect(p[k]).toBeGreaterThan(p[k - 2]);
            expect(p[k + 1]).toBeGreaterThan(p[k - 1]);
          }
        }
      }),
    );
  });

  it('is a longest common subsequence without patience anchors (Myers)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 30 }), (a, b) => {
        expect(alignSequences(a, b, { patience: false }).length / 2).toBe(lcsLength(a, b));
      }),
    );
  });

  it('matches a long equal prefix and suffix around a small edit', () => {
    const a = Array.from({ length: 100_000 }, (_, k) => k);
    const b = a.slice();
    b.splice(50_000, 1, -1, -2);
    const p = alignSequences(a, b);
    expect(p.length / 2).toBe(99_999);
  });
});

describe('diffRuleTexts', () => {
  it('turns an unmatched rule that appears on both sides into a move', () => {
    const rows = diffRuleTexts(['a', 'b', 'c', 'd'], ['b', 'c', 'a', 'd']);
    expect(rows.map((r) => r.kind)).toEqual(['move-from', 'same', 'same', 'move-to', 'same']);
    expect(rows[0].other).toBe(3);
    expect(rows[3].other).toBe(1);
  });

  it('pairs a deleted and an added rule at the same place as a replace', () => {
    const rows = diffRuleTexts(['a', 'x', 'c'], ['a', 'y', 'c']);
    expect(rows.map((r) => r.kind)).toEqual(['same', 'replace', 'same']);
    expect(rows[1].left).toEqual({ index: 2, text: 'x' });
    expect(rows[1].right).toEqual({ index: 2, text: 'y' });
  });
});

describe('diffRulesets', () => {
  const base = filter('-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\n');

  it('finds nothing between spellings of the same ruleset', () => {
    const other =
      '# a comment\n*filter\n:INPUT ACCEPT [12:3400]\n:OUTPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n' +
      '[5:600] -A INPUT --in-interface lo --jump ACCEPT\n\n-A   INPUT  --protocol tcp -m tcp --destination-port 22 -j ACCEPT\n#-A INPUT -j LOG\n-A INPUT -j DROP\nCOMMIT\n';
    expect(diffRulesets(parse(base), parse(other)).changes).toEqual([]);
  });

  it('does not care about table order', () => {
    const nat = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n';
    expect(diffRulesets(parse(base + nat), parse(nat + base)).changes).toEqual([]);
  });

  it('reports add, delete, replace, move, policy and chains in the JSON shape of DESIGN.md', () => {
    const b = filter(
      '-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 443 -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A INPUT -j LOGGING\n-A LOGGING -j DROP\n',
      ':LOGGING - [0:0]\n',
    ).replace(':INPUT ACCEPT', ':INPUT DROP');
    const a = parse(filter('-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\n-A OLD -j RETURN\n', ':OLD - [0:0]\n'));
    const d = diffRulesets(a, parse(b));
    expect(d.changes).toEqual([
      { op: 'policy', table: 'filter', chain: 'INPUT', from: 'ACCEPT', to: 'DROP' },
      // `-i lo` and `--dport 22` swapped places: one of them is the move (both are minimal)
      { op: 'move', table: 'filter', chain: 'INPUT', index: 1, fromIndex: 2, rule: '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT' },
      { op: 'add', table: 'filter', chain: 'INPUT', index: 2, rule: '-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT' },
      { op: 'replace', table: 'filter', chain: 'INPUT', index: 4, fromIndex: 3, from: '-A INPUT -j DROP', to: '-A INPUT -j LOGGING' },
      { op: 'chain-add', table: 'filter', chain: 'LOGGING' },
      { op: 'add', table: 'filter', chain: 'LOGGING', index: 1, rule: '-A LOGGING -j DROP' },
      { op: 'delete', table: 'filter', chain: 'OLD', index: 1, rule: '-A OLD -j RETURN' },
      { op: 'chain-delete', table: 'filter', chain: 'OLD' },
    ]);
    expect(canonicalKey(applyChangeSet(a, d))).toBe(canonicalKey(parse(b)));
  });

  it('treats a missing table like an empty one and creates it when applying', () => {
    const a = parse(base);
    const bText = base + '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 422 -j REDIRECT --to-ports 22\nCOMMIT\n';
    const d = diffRulesets(a, parse(bText));
    expect(d.changes.map((c) => [c.op, c.table, c.chain])).toEqual([['add', 'nat', 'PREROUTING']]);
    expect(canonicalKey(applyChangeSet(a, d))).toBe(canonicalKey(parse(bText)));
    const emptyNat = base + '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';
    expect(diffRulesets(a, parse(emptyNat)).changes).toEqual([]);
  });

  it('refuses a change set made against another ruleset', () => {
    const a = parse(base);
    const d = diffRulesets(a, parse(filter('-A INPUT -i lo -j ACCEPT\n-A INPUT -j DROP\n')));
    const other = parse(filter('-A INPUT -i lo -j ACCEPT\n-A INPUT -p udp --dport 53 -j ACCEPT\n-A INPUT -j DROP\n'));
    expect(() => applyChangeSet(other, d)).toThrow(ChangeSetError);
    // two rules claiming one place, or a place past the end, are refused too
    const add = (index: number) => ({ op: 'add' as const, table: 'filter' as const, chain: 'INPUT', index, rule: '-A INPUT -j ACCEPT' });
    expect(() => applyChangeSet(a, { changes: [add(1), add(1)] })).toThrow(ChangeSetError);
    expect(() => applyChangeSet(a, { changes: [add(9)] })).toThrow(ChangeSetError);
    expect(canonicalKey(applyChangeSet(a, { changes: [add(4)] }))).toBe(canonicalKey(parse(base.replace('COMMIT', '-A INPUT -j ACCEPT\nCOMMIT'))));
    // and leaves its input alone
    const before = canonicalKey(a);
    applyChangeSet(a, d);
    expect(canonicalKey(a)).toBe(before);
  });

  it('renders unified and side-by-side views with context', () => {
    const a = parse(filter(Array.from({ length: 20 }, (_, k) => `-A INPUT -p tcp --dport ${1000 + k} -j ACCEPT\n`).join('')));
    const b = parse(filter(Array.from({ length: 20 }, (_, k) => `-A INPUT -p tcp --dport ${k === 10 ? 2222 : 1000 + k} -j ACCEPT\n`).join('')));
    const d = diffRulesetsDetailed(a, b);
    const u = formatUnified(d, 'old', 'new', { context: 1 });
    expect(u).toBe(
      [
        '--- old',
        '+++ new',
        '@@ filter INPUT @@',
        '  … 9 unchanged rules',
        '  -A INPUT -p tcp -m tcp --dport 1009 -j ACCEPT',
        '- -A INPUT -p tcp -m tcp --dport 1010 -j ACCEPT',
        '+ -A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT',
        '  -A INPUT -p tcp -m tcp --dport 1011 -j ACCEPT',
        '  … 8 unchanged rules',
        '',
      ].join('\n'),
    );
    const s = formatSideBySide(d, 'old', 'new', { context: 0, width: 120 });
    const row = s.split('\n').find((l) => l.includes('1010'))!;
    expect(row).toMatch(/^11 -A INPUT .*--dport 1010 -j ACCEPT\s+\| 11 -A INPUT .*--dport 2222 -j ACCEPT$/);
  });
});

// ---- property tests ------------------------------------------------------------

const FILTER_BODIES = [
  '-i lo -j ACCEPT',
  '-o lo -j ACCEPT',
  '-p tcp --dport 22 -j ACCEPT',
  '-p tcp -m tcp --dport 80 -j ACCEPT',
  '-p udp --sport 53 -j ACCEPT',
  '-s 10.0.0.0/8 -j DROP',
  '-s 192.168.1.7 -p tcp --dport 443 -j ACCEPT',
  '! -s 10.1.2.0/24 -j RETURN',
  '-d 198.18.0.1 -j REJECT',
  '-p icmp -j ACCEPT',
  '-m comment --comment "hello world" -j ACCEPT',
  '-j DROP',
  '-j ACCEPT',
  '',
  '-j USER1',
  '-j USER2',
];
const NAT_BODIES = ['-p tcp --dport 422 -j REDIRECT --to-ports 22', '-o eth0 -j MASQUERADE', '-s 10.0.0.0/8 -j RETURN', '-j ACCEPT'];

interface GenTable {
  users: boolean[];
  policies: ('ACCEPT' | 'DROP')[];
  rules: { chain: number; body: number }[];
}
const genFilter = fc.record({
  users: fc.tuple(fc.boolean(), fc.boolean()).map((x) => [x[0], x[1]]),
  policies: fc.array(fc.constantFrom<'ACCEPT' | 'DROP'>('ACCEPT', 'DROP'), { minLength: 3, maxLength: 3 }),
  rules: fc.array(fc.record({ chain: fc.integer({ min: 0, max: 4 }), body: fc.integer({ min: 0, max: FILTER_BODIES.length - 1 }) }), { maxLength: 30 }),
});
const genNat = fc.option(fc.array(fc.record({ chain: fc.constantFrom(0, 3), body: fc.integer({ min: 0, max: NAT_BODIES.length - 1 }) }), { maxLength: 6 }));
const genRuleset = fc.record({ filter: genFilter, nat: genNat, natFirst: fc.boolean() });

function render(g: { filter: GenTable; nat: { chain: number; body: number }[] | null; natFirst: boolean }): Ruleset {
  const chains = ['INPUT', 'FORWARD', 'OUTPUT', 'USER1', 'USER2'];
  const present = (c: number) => c < 3 || g.filter.users[c - 3];
  let f = '*filter\n';
  for (let c = 0; c < 5; c++) if (present(c)) f += `:${chains[c]} ${c < 3 ? g.filter.policies[c] : '-'} [0:0]\n`;
  for (const r of g.filter.rules) {
    if (!present(r.chain)) continue;
    let body = FILTER_BODIES[r.body];
    const jump = /-j (USER\d)/.exec(body);
    // jumps only to existing chains and only downwards, so there are no loops
    if (jump && (!present(chains.indexOf(jump[1])) || chains.indexOf(jump[1]) <= r.chain)) body = r.chain < 3 ? '-j ACCEPT' : '-j RETURN';
    // iptables refuses -i in OUTPUT and -o in INPUT
    if (r.chain === 2) body = body.replace('-i lo', '-o lo');
    if (r.chain === 0) body = body.replace('-o lo', '-i lo');
    f += `-A ${chains[r.chain]} ${body}\n`;
  }
  f += 'COMMIT\n';
  let n = '';
  if (g.nat) {
    const natChains = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];
    n = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';
    for (const r of g.nat) {
      const body = NAT_BODIES[r.body];
      if (body.includes('MASQUERADE') && r.chain !== 3) continue;
      if (body.includes('REDIRECT') && r.chain !== 0) continue;
      n += `-A ${natChains[r.chain]} ${body}\n`;
    }
    n += 'COMMIT\n';
  }
  return parse(g.natFirst ? n + f : f + n);
}

/** b made from a by a few edits, so moves and replaces are exercised, not only unrelated pairs. */
const genEdited = genRuleset.chain((g) =>
  fc
    .array(fc.record({ kind: fc.constantFrom('del', 'ins', 'swap', 'pol'), at: fc.nat(), body: fc.integer({ min: 0, max: FILTER_BODIES.length - 1 }), chain: fc.integer({ min: 0, max: 4 }) }), { maxLength: 5 })
    .map((edits) => {
      const rules = g.filter.rules.slice();
      const policies = g.filter.policies.slice();
      for (const e of edits) {
        const k = rules.length ? e.at % rules.length : 0;
        if (e.kind === 'del' && rules.length) rules.splice(k, 1);
        else if (e.kind === 'ins') rules.splice(k, 0, { chain: e.chain, body: e.body });
        else if (e.kind === 'swap' && rules.length > 1) {
          const k2 = (k + 1 + (e.body % (rules.length - 1))) % rules.length;
          [rules[k], rules[k2]] = [rules[k2], rules[k]];
        } else if (e.kind === 'pol') policies[e.chain % 3] = policies[e.chain % 3] === 'ACCEPT' ? 'DROP' : 'ACCEPT';
      }
      return [g, { ...g, filter: { ...g.filter, rules, policies } }, edits.length] as const;
    }),
);

describe('diff laws (property tests)', () => {
  it('diff(a, a) is empty', () => {
    fc.assert(fc.property(genRuleset, (g) => diffRulesets(render(g), render(g)).changes.length === 0));
  });

  it('applying diff(a, b) to a gives b, for unrelated rulesets', () => {
    fc.assert(
      fc.property(genRuleset, genRuleset, (ga, gb) => {
        const a = render(ga);
        const b = render(gb);
        const applied = applyChangeSet(a, diffRulesets(a, b));
        expect(canonicalKey(applied)).toBe(canonicalKey(b));
        expect(diffRulesets(applied, b).changes).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('applying diff(a, b) to a gives b, for edited rulesets, and the diff is no bigger than the edits', () => {
    fc.assert(
      fc.property(genEdited, ([ga, gb, edits]) => {
        const a = render(ga);
        const b = render(gb);
        const d = diffRulesets(a, b);
        expect(canonicalKey(applyChangeSet(a, d))).toBe(canonicalKey(b));
        // Not a law, a quality bound: a deletion or insertion is one change, a
        // policy flip one; a swap moves two rules, and when they sit in two
        // chains (or among duplicates, where the patience anchors trade
        // minimality for linear time) each chain may show it as two changes.
        expect(d.changes.length).toBeLessThanOrEqual(4 * edits);
        if (canonicalKey(a) === canonicalKey(b)) expect(d.changes).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('the side-by-side rows of each chain reproduce both chains', () => {
    fc.assert(
      fc.property(genRuleset, genRuleset, (ga, gb) => {
        const a = render(ga);
        const b = render(gb);
        const d = diffRulesetsDetailed(a, b);
        for (const c of d.chains) {
          const left = c.rows.filter((r) => r.left).map((r) => r.left!.index);
          const right = c.rows.filter((r) => r.right).map((r) => r.right!.index);
          expect(left).toEqual(left.map((_, k) => k + 1));
          expect(right).toEqual(right.map((_, k) => k + 1));
        }
      }),
    );
  });
});

describe('chains paired across the two sides', () => {
  // user chains in any order on either side, some at the same place under the same name, some renamed, added,
  // dropped, emptied; builtins anywhere: builtins in hook order then every user chain by name, each side's own
  const chain = fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'INPUT', 'OUTPUT'), rules: fc.array(fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN'), { maxLength: 3 }) });
  const side = fc.uniqueArray(chain, { selector: (c) => c.name, maxLength: 7 });
  const textsOf = (cs: { name: string; rules: string[] }[]): RulesetTexts => ({
    tables: [{ name: 'filter', chains: cs.map((c) => ({ name: c.name, builtin: c.name === c.name.toUpperCase(), policy: c.name === c.name.toUpperCase() ? 'ACCEPT' : null, texts: c.rules.map((r) => `-A ${c.name} ${r}`) })) }],
  });
  it('the full diff lists every chain of either side in order, and the CLI\'s (equal chains skipped) the changed ones with the same changes', () => {
    fc.assert(
      fc.property(side, side, fc.boolean(), (x, y, same) => {
        // half the time the new side is the old one with a few chains changed in place
        const b = same ? x.map((c, k) => (k % 3 === 1 ? { ...c, rules: [...c.rules, '-j LOG'] } : c)) : y;
        const full = diffRulesetTexts(textsOf(x), textsOf(b));
        const users = [...new Set([...x, ...b].filter((c) => c.name !== c.name.toUpperCase()).map((c) => c.name))].sort();
        expect(full.chains.map((c) => c.chain)).toEqual(['INPUT', 'FORWARD', 'OUTPUT', ...users]);
        for (const c of full.chains) {
          const l = x.find((z) => z.name === c.chain);
          const r = b.find((z) => z.name === c.chain);
          if (!c.builtin) expect(c.status).toBe(!l ? 'added' : !r ? 'deleted' : l.rules.join() === r.rules.join() ? 'same' : 'changed');
        }
        const cli = diffRulesetTexts(textsOf(x), textsOf(b), { unchangedRows: false });
        expect(cli.changes).toEqual(full.changes);
        expect(cli.chains.map((c) => c.chain)).toEqual(full.chains.filter((c) => c.status !== 'same').map((c) => c.chain));
      }),
      { numRuns: 500 },
    );
  });
});

describe.skipIf(!sharedAvailable())('diff over the real-world corpus', () => {
  it('diff(a, a) is empty and apply(a, diff(a, b)) is b over pairs of corpus files', () => {
    const rulesets: Ruleset[] = [];
    for (const f of corpusFiles()) {
      const r = parseRuleset(readCorpus(f));
      if (!r.findings.some((x) => x.severity === 'error')) rulesets.push(r.ruleset);
    }
    expect(rulesets.length).toBeGreaterThan(50);
    for (const a of rulesets) expect(diffRulesets(a, a).changes).toEqual([]);
    let pairs = 0;
    for (let k = 0; k + 1 < rulesets.length; k++) {
      const a = rulesets[k];
      const b = rulesets[k + 1];
      const d = diffRulesets(a, b);
      expect(canonicalKey(applyChangeSet(a, d))).toBe(canonicalKey(b));
      pairs++;
    }
    expect(pairs).toBe(rulesets.length - 1);
  });
});
