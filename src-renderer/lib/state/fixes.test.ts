// Where a finding's fix and a staged edit find their rule: the row of a chain's
// header, of rule #n and the entry a row is, looked up without walking a long
// chain — the same answers as a walk over the rows, with disabled (`#`) and
// unreadable lines among the rules.
import { describe, it, expect } from 'vitest';
import { parseRuleset } from '../../../src-main/core/index.js';
import { findUnreadable, rowsOfParse, type RuleRow } from './rows.js';
import { chainRow, refOfRow } from './staging.svelte.js';
import { fixFor } from './fixes.js';

const text = [
  '*filter',
  ':INPUT DROP [0:0]',
  ':web - [0:0]',
  ':quiet - [0:0]',
  '-A INPUT -p tcp --dport 22 -j ACCEPT',
  '#-A INPUT -p tcp --dport 23 -j ACCEPT',
  '-A INPUT -p tcp --dport 80 -j web',
  '-A INPUT -m multiports --dports 1,2 -j DROP',
  '#-A INPUT -p tcp --dport 24 -j ACCEPT',
  '-A INPUT -p tcp --dport 443 -j web',
  '-A web -s 10.0.0.0/8 -j ACCEPT',
  '-A web -s 10.0.0.0/8 -j ACCEPT',
  ...Array.from({ length: 50 }, (_, k) => `-A quiet -s 10.1.${k}.0/24 -j DROP`),
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':web - [0:0]',
  '-A web -p tcp -j REDIRECT --to-ports 8080',
  'COMMIT',
  '',
].join('\n');

/** the walks the look-ups stand for */
function walkRef(rows: readonly RuleRow[], i: number): { table: string; chain: string; at: number } | null {
  const r = rows[i];
  if (r.kind !== 'rule' && r.kind !== 'disabled') return null;
  let at = 0;
  for (let k = i - 1; k >= 0 && rows[k].kind !== 'chain' && rows[k].kind !== 'table'; k--) if (rows[k].kind === 'rule' || rows[k].kind === 'disabled') at++;
  return { table: r.table, chain: r.chain.name, at };
}

describe('row look-ups of a finding or an edit', () => {
  const p = parseRuleset(text);
  const { rows } = rowsOfParse(p);

  it('find the rows a walk over them finds', () => {
    expect(findUnreadable(p.ruleset, p.findings, p.lines)).toHaveLength(1);
    expect(rows.some((r) => r.kind === 'unreadable')).toBe(true);
    for (const [table, chain] of [['filter', 'INPUT'], ['filter', 'web'], ['filter', 'quiet'], ['nat', 'web'], ['nat', 'nope']] as const)
      expect(chainRow(rows, table, chain)).toBe(rows.findIndex((r) => r.kind === 'chain' && r.table === table && r.chain.name === chain));
    for (let i = 0; i < rows.length; i++) expect(refOfRow(rows, i), `row ${i}`).toEqual(walkRef(rows, i));
  });

  it("a fix finds rule #n of its chain, past disabled and unreadable lines", () => {
    let checked = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r.kind !== 'rule') continue;
      const f = { code: 'redundant-rule' as const, severity: 'warning' as const, message: '', line: r.line, table: r.table, chain: r.chain.name, index: r.index, fix: 'delete it' };
      expect(fixFor(f, rows, () => '')?.op, `row ${i}`).toEqual({ kind: 'delete', refs: [walkRef(rows, i)] });
      checked++;
    }
    expect(checked).toBe(56);
    expect(fixFor({ code: 'redundant-rule', severity: 'warning', message: '', line: 1, table: 'filter', chain: 'web', index: 3, fix: 'delete it' }, rows, () => '')).toBeNull();
  });
});
