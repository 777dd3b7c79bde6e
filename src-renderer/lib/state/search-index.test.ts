import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { parseRuleset } from '../../../src-main/core/index.js';
import { buildRuleRows, ruleBodyText, type RuleRow } from './rows.js';
import { buildSearchIndex, parseNet, parseQuery, searchRules, facetValues } from './search-index.js';

const text = [
  '*nat', // 1
  ':PREROUTING ACCEPT [0:0]', // 2
  ':INPUT ACCEPT [0:0]', // 3
  ':OUTPUT ACCEPT [0:0]', // 4
  ':POSTROUTING ACCEPT [0:0]', // 5
  '-A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.5:80', // 6
  'COMMIT', // 7
  '*filter', // 8
  ':INPUT DROP [0:0]', // 9
  ':FORWARD DROP [0:0]', // 10
  ':OUTPUT ACCEPT [0:0]', // 11
  '-A INPUT -i lo -j ACCEPT', // 12
  '-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -m comment --comment "office SSH" -j ACCEPT', // 13
  '#-A INPUT -p tcp --dport 23 -j ACCEPT', // 14
  '-A INPUT -p tcp -m multiport --dports 80,443,8000:8100 -j ACCEPT', // 15
  '-A INPUT -m iprange --src-range 172.16.0.10-172.16.0.20 -j DROP', // 16
  '-A INPUT -s 10.0.0.22/32 -j LOG --log-prefix "x2222 "', // 17
  '-A FORWARD -d 192.168.1.0/24 -j ACCEPT', // 18
  'COMMIT', // 19
  '',
].join('\n');

function setup(src: string) {
  const p = parseRuleset(src);
  const { rows } = buildRuleRows(p.ruleset);
  const textOf = (r: RuleRow) => (r.kind === 'rule' ? ruleBodyText(p.lines[r.line - 1]) : r.kind === 'disabled' ? ruleBodyText(r.disabled.text) : '');
  return { rows, ix: buildSearchIndex(rows, textOf), p };
}

function lines(src: string, q: string, facets = {}, sev?: (l: number) => 'error' | 'warning' | 'info' | undefined): number[] {
  const { rows, ix } = setup(src);
  return searchRules(ix, { text: q, facets }, sev).hits.map((h) => (rows[h] as { line: number }).line);
}

describe('rule search', () => {
  it('reads addresses, networks, ports and words from the query', () => {
    expect(parseQuery('10.0.0.5 22 ssh').map((t) => t.kind)).toEqual(['net', 'port', 'word']);
    expect(parseNet('10.1.2.3/8')).toEqual({ addr: 0x0a000000, mask: 0xff000000 });
    expect(parseNet('300.1.1.1')).toBeNull();
  });

  it('finds an address inside a rule\'s network (10.0.0.5 finds 10.0.0.0/8) and inside an iprange', () => {
    expect(lines(text, '10.0.0.5')).toEqual([13]);
    expect(lines(text, '10.0.0.22')).toEqual([13, 17]);
    expect(lines(text, '172.16.0.15')).toEqual([16]);
    expect(lines(text, '172.16.0.25')).toEqual([]);
    // a network finds the rules whose networks overlap it
    expect(lines(text, '192.168.0.0/16')).toEqual([6, 18]);
  });

  it('finds ports inside ranges and lists, and not inside other numbers', () => {
    expect(lines(text, '22')).toEqual([13]);
    expect(lines(text, '8050')).toEqual([15]);
    expect(lines(text, '443')).toEqual([15]);
    // the DNAT's own port and the port it sends to
    expect(lines(text, '80')).toEqual([6, 15]);
    expect(lines(text, '23')).toEqual([14]);
  });

  it('finds words in the text and the comment, all words at once, case-insensitively', () => {
    expect(lines(text, 'office')).toEqual([13]);
    expect(lines(text, 'OFFICE ssh')).toEqual([13]);
    expect(lines(text, 'office 443')).toEqual([]);
    expect(lines(text, 'dnat')).toEqual([6]);
  });

  it('narrows by table, chain, target, disabled and findings', () => {
    expect(lines(text, '', { table: 'nat' })).toEqual([6]);
    expect(lines(text, '', { chain: 'FORWARD' })).toEqual([18]);
    expect(lines(text, '', { target: 'DROP' })).toEqual([16]);
    expect(lines(text, '', { disabled: 'only' })).toEqual([14]);
    expect(lines(text, 'tcp', { disabled: 'hide', table: 'filter' })).toEqual([13, 15]);
    expect(lines(text, '', { severity: 'warning' }, (l) => (l === 16 ? 'warning' : l === 12 ? 'info' : undefined))).toEqual([16]);
    const { ix } = setup(text);
    expect(facetValues(ix, 'target')).toEqual(['ACCEPT', 'DNAT', 'DROP', 'LOG']);
  });

  it('shows each hit under its table and chain headers', () => {
    const { rows, ix } = setup(text);
    const r = searchRules(ix, { text: 'accept', facets: {} });
    expect(r.rows.map((i) => rows[i].kind)).toEqual(['table', 'chain', 'rule', 'rule', 'disabled', 'rule', 'chain', 'rule']);
    expect(r.total).toBe(8);
  });

  it('searches 100,000 rules quickly (numbers logged; the bench asserts speed)', async () => {
    const { generateRuleset } = (await import(join(process.cwd(), 'build', 'gen-ruleset.mjs') as string)) as { generateRuleset: (n: number) => string };
    const big = generateRuleset(100_000);
    const p = parseRuleset(big);
    const { rows } = buildRuleRows(p.ruleset);
    const t0 = performance.now();
    const ix = buildSearchIndex(rows, (r) => (r.kind === 'rule' ? ruleBodyText(p.lines[r.line - 1]) : ''));
    const buildMs = performance.now() - t0;
    const queries = ['10.0.0.5', '5432', 'db client 42', 'svc-web 8443', 'blocklist', '10.20.0.0/16'];
    const timings: Record<string, { hits: number; ms: number }> = {};
    for (const q of queries) {
      const r = searchRules(ix, { text: q, facets: {} });
      timings[q] = { hits: r.hits.length, ms: Math.round(r.ms * 10) / 10 };
      expect(r.total).toBe(100_002);
    }
    // each hit really matches: every 5432 hit has the port in its text
    const r = searchRules(ix, { text: '5432', facets: { chain: 'svc-db' } });
    expect(r.hits.length).toBeGreaterThan(1000);
    for (const h of r.hits.slice(0, 50)) expect(ruleBodyText(p.lines[(rows[h] as { line: number }).line - 1])).toContain('5432');
    process.stderr.write(`search index over 100,002 rules: built in ${Math.round(buildMs)} ms; queries ${JSON.stringify(timings)}\n`);
  });
});
