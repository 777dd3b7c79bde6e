import { describe, expect, it } from 'vitest';
import { diffRulesetsDetailed, parseRuleset } from '../../../src-main/core/index.js';
import { displayRows } from './diff-display.js';

const rules = (ports: number[]) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${ports.map((p) => `-A INPUT -p tcp --dport ${p} -j ACCEPT\n`).join('')}COMMIT\n`;
const diff = (a: number[], b: number[]) => diffRulesetsDetailed(parseRuleset(rules(a)).ruleset, parseRuleset(rules(b)).ruleset);
const range = (n: number) => Array.from({ length: n }, (_, k) => 1000 + k);

describe('displayRows', () => {
  it('folds unchanged runs beyond 3 rules of context around each change, and lists the changes', () => {
    const a = range(50);
    const b = a.slice();
    b[10] = 2222;
    b[40] = 3333;
    const { rows, changes } = displayRows(diff(a, b));
    expect(rows.map((r) => (r.kind === 'fold' ? `fold ${r.count}` : r.kind === 'row' ? r.row.kind : 'chain'))).toEqual([
      'chain',
      'fold 7',
      'same', 'same', 'same', 'replace', 'same', 'same', 'same',
      'fold 23',
      'same', 'same', 'same', 'replace', 'same', 'same', 'same',
      'fold 6',
    ]);
    expect(changes.map((p) => rows[p].kind === 'row' && rows[p].row.right?.text)).toEqual(['-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 3333 -j ACCEPT']);
  });

  it('opens a fold by the number of rules asked for, from its top', () => {
    const a = range(30);
    const b = a.slice();
    b[29] = 9;
    const first = displayRows(diff(a, b));
    const fold = first.rows[1];
    expect(fold.kind === 'fold' && fold.count).toBe(26);
    const opened = displayRows(diff(a, b), { expanded: new Map([[fold.kind === 'fold' ? fold.key : '', 20]]) });
    expect(opened.rows.filter((r) => r.kind === 'fold').map((r) => r.kind === 'fold' && r.count)).toEqual([6]);
    expect(opened.rows[1].kind === 'row' && opened.rows[1].row.left?.index).toBe(1);
  });

  it('shows unchanged chains folded whole only when asked', () => {
    const d = diff([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
    expect(displayRows(d).rows).toEqual([]);
    const all = displayRows(d, { onlyChanges: false });
    expect(all.rows.filter((r) => r.kind === 'fold').map((r) => r.kind === 'fold' && r.count)).toEqual([5]);
  });
});
