import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset } from '../../../src-main/core/index.js';
import { analyzePaste, looksLikeCommands, mergeImported } from './paste-import.js';

const seed = readFileSync(join(process.cwd(), '..', 'shared', 'seed', 'iptables-recipes.txt'), 'utf8');
const stock = [
  '# sample configuration for iptables service',
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
  '-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT',
  '-A INPUT -j REJECT --reject-with icmp-host-prohibited',
  'COMMIT',
  '',
].join('\n');

describe('pasting iptables commands', () => {
  it('tells commands from an iptables-save file', () => {
    expect(looksLikeCommands(seed)).toBe(true);
    expect(looksLikeCommands('sudo iptables -A INPUT -j ACCEPT')).toBe(true);
    expect(looksLikeCommands(stock)).toBe(false);
  });

  it('marks each command of the seed ✓/⚠/✗ with the rule it became and its findings', () => {
    const a = analyzePaste(seed);
    const at = (line: number) => a.commands.find((c) => c.line === line)!;
    // the nth load balancing is left out, with why
    expect(at(18).mark).toBe('error');
    expect(at(18).findings.map((f) => f.code)).toEqual(expect.arrayContaining(['obsolete-match', 'wrong-table']));
    expect(at(18).converted).toBeNull();
    // loopback imports cleanly, written as iptables-save would
    expect(at(26)).toMatchObject({ mark: 'ok', converted: '-A INPUT -i lo -j ACCEPT' });
    expect(at(48).converted).toBe('-A INPUT -p tcp -m tcp --dport 80 -m limit --limit 25/min --limit-burst 100 -j ACCEPT');
    expect(at(73).converted).toBe('new chain LOGGING');
    // the typo is read as iptables, with a finding
    expect(at(92).findings.length).toBeGreaterThan(0);
    expect(a.skipped).toBeGreaterThan(10);
    expect(a.commands.every((c) => c.mark === 'error' || c.converted)).toBe(true);
  });

  it('adds the imported rules to a file: chains created, rules above the chain\'s REJECT, comments kept', () => {
    const a = analyzePaste(['iptables -N LOGGING', 'iptables -A INPUT -p tcp --dport 80 -j ACCEPT', 'iptables -A LOGGING -j DROP'].join('\n'));
    const r = mergeImported(parseRuleset(stock), a);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('# sample configuration for iptables service');
    expect(lines).toContain(':LOGGING - [0:0]');
    expect(lines.indexOf('-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT')).toBeLessThan(lines.indexOf('-A INPUT -j REJECT --reject-with icmp-host-prohibited'));
    expect(lines).toContain('-A LOGGING -j DROP');
    expect(parseRuleset(r.text).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
