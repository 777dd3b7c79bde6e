// Runs once vitest.config.ts includes src-renderer/**/*.test.ts.
import { describe, it, expect } from 'vitest';
import { parseRuleset } from '../../../src-main/core/index.js';
import { buildRuleRows, buildRuleRowsSliced, ruleBodyText, severityByLine, sortFindings } from './rows.js';
// @ts-expect-error plain JavaScript, no declarations
import { generateShape } from '../../../build/gen-shapes.mjs';

const text = [
  '*filter', // 1
  ':INPUT DROP [0:0]', // 2
  ':FORWARD ACCEPT [0:0]', // 3
  ':OUTPUT ACCEPT [0:0]', // 4
  ':web - [0:0]', // 5
  '-A INPUT -i lo -j ACCEPT', // 6
  '#-A INPUT -p tcp --dport 23 -j ACCEPT', // 7
  '-A INPUT -p tcp --dport 80 -j web', // 8
  '-A web -s 10.0.0.0/8 -j ACCEPT', // 9
  'COMMIT', // 10
  '',
].join('\n');

describe('rule rows', () => {
  it('flattens tables, chains, rules and disabled rules in order, with an empty marker', () => {
    const { rows, rowOfLine, heads, ruleCount, chainCount } = buildRuleRows(parseRuleset(text).ruleset);
    // the header rows, for the chain list: every table and chain row, in order, and nothing else
    expect(heads).toEqual(rows.flatMap((r, k) => (r.kind === 'table' || r.kind === 'chain' ? [k] : [])));
    expect(rows.map((r) => (r.kind === 'rule' ? `rule ${r.chain.name}#${r.index}@${r.line}` : r.kind === 'table' ? `table ${r.table.name}` : r.kind === 'disabled' ? `off @${r.line}` : `${r.kind} ${r.chain.name}`))).toEqual([
      'table filter',
      'chain INPUT',
      'rule INPUT#1@6',
      'off @7',
      'rule INPUT#2@8',
      'policy INPUT',
      'chain FORWARD',
      'empty FORWARD',
      'policy FORWARD',
      'chain OUTPUT',
      'empty OUTPUT',
      'policy OUTPUT',
      'chain web',
      'rule web#1@9',
    ]);
    expect(ruleCount).toBe(3);
    expect(chainCount).toBe(4);
    expect(rowOfLine.get(8)).toBe(4);
    expect(rowOfLine.get(7)).toBe(3);
  });

  it('strips the lead-in a row already shows', () => {
    expect(ruleBodyText('-4 -A INPUT -p tcp -j ACCEPT')).toBe('-p tcp -j ACCEPT');
    expect(ruleBodyText('#-A INPUT -j DROP')).toBe('-j DROP');
    expect(ruleBodyText('--append web -j RETURN')).toBe('-j RETURN');
    expect(ruleBodyText('[120:9000] -A INPUT -j ACCEPT')).toBe('-j ACCEPT');
  });

  it('keeps the worst severity per line and sorts errors first', () => {
    const fs = [
      { code: 'crlf' as const, severity: 'info' as const, message: '', line: 3 },
      { code: 'syntax' as const, severity: 'error' as const, message: '', line: 9 },
      { code: 'unused-chain' as const, severity: 'warning' as const, message: '', line: 3 },
    ];
    expect([...severityByLine(fs)]).toEqual([[3, 'warning'], [9, 'error']]);
    expect(sortFindings(fs).map((f) => f.code)).toEqual(['syntax', 'unused-chain', 'crlf']);
  });
});

describe('unreadable rules', () => {
  it('shows a rule line that failed to parse among its chain’s rules', async () => {
    const { findUnreadable } = await import('./rows.js');
    const bad = ['*filter', ':INPUT DROP [0:0]', '-A INPUT -i lo -j ACCEPT', '-A INPUT -p tcp -m multiports --dports 22 -j ACCEPT', '-A INPUT -j LOG', 'COMMIT', ''].join('\n');
    const parsed = parseRuleset(bad);
    const u = findUnreadable(parsed.ruleset, parsed.findings, parsed.lines);
    expect(u.map((x) => [x.chain.name, x.line, x.before])).toEqual([['INPUT', 4, 1]]);
    const { rows, rowOfLine } = buildRuleRows(parsed.ruleset, u);
    expect(rows.map((r) => r.kind)).toEqual(['table', 'chain', 'rule', 'unreadable', 'rule', 'policy', 'chain', 'empty', 'policy', 'chain', 'empty', 'policy']);
    expect(rowOfLine.get(4)).toBe(3);
  });

  it('built a slice at a time (the page\'s thread, giving way between slices), the rows are the same as built at once', async () => {
    const p = parseRuleset(generateShape('kube', 5_000));
    const whole = buildRuleRows(p.ruleset);
    let gaveWay = 0;
    const count = () => gaveWay++;
    const timer = setInterval(count, 0);
    // a 0 ms slice gives way after every step: the interval gets its turns in between
    const sliced = await buildRuleRowsSliced(p.ruleset, [], 0);
    clearInterval(timer);
    expect(gaveWay).toBeGreaterThan(3);
    expect(sliced.rows).toEqual(whole.rows);
    expect(sliced.ruleCount).toBe(whole.ruleCount);
    expect(sliced.chainCount).toBe(whole.chainCount);
    expect(sliced.heads).toEqual(whole.heads);
    for (let line = 1; line < p.lines.length; line += 97) expect(sliced.rowOfLine.get(line)).toBe(whole.rowOfLine.get(line));
  });
});
