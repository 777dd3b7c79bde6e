// The splice road of a staged edit (edit-splice.ts) on what the random
// property test does not reach: a long chain (16,000 rules here, 70,000 in the app's e2e) (the edit keeps every
// object it did not change: its cost is the change and the lines that moved,
// not a pass of the writer over the chain), and a new rule that breaks the
// table (then the result is still exactly the whole text's parse, its error
// included).
import { describe, expect, it } from 'vitest';
import { applyEdit, applyEditParsed, parseRuleset, type EditOp, type ParseResult } from './index.js';
import { blocklistRuleset } from '../../e2e/support/blocklist.js';

/** applyEditParsed, checked against writing the file back and parsing it whole */
function edited(p: ParseResult, op: EditOp) {
  const inc = applyEditParsed(p, op);
  const whole = applyEdit(p, op);
  if (!inc.ok || !whole.ok) throw new Error(`the edit failed: ${JSON.stringify(op)}`);
  expect(inc.text).toBe(whole.text);
  const full = parseRuleset(whole.text, { family: p.ruleset.family });
  expect(inc.parsed.lines).toEqual(full.lines);
  expect(inc.parsed.findings).toEqual(full.findings);
  expect(inc.parsed.ruleset).toEqual(full.ruleset);
  return inc;
}

describe('a staged edit by splicing lines', () => {
  const text = blocklistRuleset(20_000);
  const p = parseRuleset(text);
  const filter = p.ruleset.tables[0];
  const big = filter.chains.find((c) => c.name === 'blocklist')!;
  const other = filter.chains.find((c) => c.name === 'ratelimit')!;

  it('disabling, changing, adding and deleting a rule of a 16,000-rule chain keeps every rule it did not change', () => {
    expect(big.rules.length).toBeGreaterThan(15_000);
    // no line moves: every other rule and chain is the very object it was
    for (const op of [
      { kind: 'set-disabled', refs: [{ table: 'filter', chain: 'blocklist', at: 10 }], disabled: true },
      { kind: 'replace', ref: { table: 'filter', chain: 'blocklist', at: 10 }, body: '-s 198.18.0.1/32 -j DROP' },
    ] satisfies EditOp[]) {
      const r = edited(p, op);
      expect(r.ok && r.road).toBe('splice');
      if (!r.ok) continue;
      const c = r.parsed.ruleset.tables[0].chains.find((x) => x.name === 'blocklist')!;
      expect(r.parsed.ruleset.tables[0].chains.find((x) => x.name === 'ratelimit')).toBe(other);
      let same = 0;
      for (let k = 0; k < c.rules.length; k++) if (c.rules[k] === big.rules[k < 10 || op.kind === 'replace' ? k : k + 1]) same++;
      expect(same).toBe(big.rules.length - 1);
      expect(r.changed).toEqual([{ table: 'filter', chain: 'blocklist' }]);
    }
    // a line added or deleted near the end: the rules above it are the same objects, the ones below have their lines moved
    const near = big.rules.length - 5;
    for (const op of [
      { kind: 'add', table: 'filter', chain: 'blocklist', at: near, body: '-s 198.18.0.2/32 -j DROP' },
      { kind: 'delete', refs: [{ table: 'filter', chain: 'blocklist', at: near }] },
    ] satisfies EditOp[]) {
      const r = edited(p, op);
      expect(r.ok && r.road).toBe('splice');
      if (!r.ok) continue;
      const c = r.parsed.ruleset.tables[0].chains.find((x) => x.name === 'blocklist')!;
      for (let k = 0; k < near; k++) if (c.rules[k] !== big.rules[k]) throw new Error(`rule ${k} above the edit was made anew`);
      // ratelimit's lines come after blocklist's: moved by one
      const rl = r.parsed.ruleset.tables[0].chains.find((x) => x.name === 'ratelimit')!;
      expect(rl.rules[0].source!.line - other.rules[0].source!.line).toBe(op.kind === 'add' ? 1 : -1);
      expect(r.moved![other.rules[0].source!.line]).toBe(rl.rules[0].source!.line);
    }
  });

  it('several steps in a row, each on the last one, stay the whole text\'s parse', () => {
    let cur = parseRuleset(blocklistRuleset(2_000));
    const ops: EditOp[] = [
      { kind: 'set-disabled', refs: [{ table: 'filter', chain: 'blocklist', at: 0 }, { table: 'filter', chain: 'blocklist', at: 3 }], disabled: true },
      { kind: 'add', table: 'filter', chain: 'blocklist', at: 1, body: '-s 198.18.0.3/32 -j DROP', disabled: true },
      { kind: 'set-disabled', refs: [{ table: 'filter', chain: 'blocklist', at: 0 }], disabled: false },
      { kind: 'add', table: 'filter', chain: 'blocklist', at: 0, body: '-s 198.18.0.4/32 -j DROP' },
      { kind: 'delete', refs: [{ table: 'filter', chain: 'blocklist', at: 2 }, { table: 'filter', chain: 'blocklist', at: 4 }] },
      { kind: 'replace', ref: { table: 'filter', chain: 'blocklist', at: 1 }, body: '-s 198.18.0.5/32 -j REJECT' },
    ];
    for (const op of ops) {
      const r = edited(cur, op);
      expect(r.ok && r.road, JSON.stringify(op)).toBe('splice');
      if (r.ok) cur = r.parsed;
    }
  });

  it('a new rule the table cannot load (MASQUERADE in a chain PREROUTING jumps to) is the whole text\'s parse, its error included', () => {
    const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':U - [0:0]', '-A PREROUTING -j U', '-A U -s 198.18.0.0/24 -j RETURN', '-A POSTROUTING -o eth0 -j MASQUERADE', 'COMMIT', ''].join('\n');
    const q = parseRuleset(nat);
    expect(q.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const r = edited(q, { kind: 'add', table: 'nat', chain: 'U', at: 1, body: '-o eth0 -j MASQUERADE' });
    expect(r.ok && r.parsed.findings.some((f) => f.severity === 'error')).toBe(true);
    expect(r.ok && r.road).not.toBe('splice');
    // a plain one there loads, by the splice road
    const ok = edited(q, { kind: 'add', table: 'nat', chain: 'U', at: 1, body: '-s 198.18.1.0/24 -j RETURN' });
    expect(ok.ok && ok.road).toBe('splice');
  });
});
