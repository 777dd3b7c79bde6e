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

describe('pasting ip6tables commands', () => {
  const stock6 = stock.replace('icmp-host-prohibited', 'icmp6-adm-prohibited');
  const script = [
    '# the IPv6 side of the how-to',
    'ip6tables -A INPUT -s 2001:db8:1::/48 -p tcp --dport 443 -j ACCEPT',
    'ip6tables -A INPUT -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT',
    'iptables -A INPUT -s 198.18.0.0/15 -p tcp --dport 443 -j ACCEPT',
  ].join('\n');

  it('builds the IPv6 rules from ip6tables lines; the iptables line is left for the IPv4 ruleset, and said so', () => {
    expect(looksLikeCommands(script)).toBe(true);
    const a = analyzePaste(script, 'ipv6');
    expect(a.result.ruleset.family).toBe('ipv6');
    expect(a.imported).toBe(2);
    expect(a.commands.filter((c) => c.mark !== 'error').map((c) => c.converted)).toEqual([
      '-A INPUT -s 2001:db8:1::/48 -p tcp -m tcp --dport 443 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT',
    ]);
    const skipped4 = a.result.findings.find((f) => f.line === 4);
    expect(skipped4?.message).toMatch(/IPv6 ruleset/);
    // the same script read for IPv4 takes the other line only
    const a4 = analyzePaste(script, 'ipv4');
    expect(a4.imported).toBe(1);
  });

  it('adds them to an IPv6 ruleset, placed before its catch-all REJECT, written back with the file kept', () => {
    const into = parseRuleset(stock6, { family: 'ipv6' });
    const r = mergeImported(into, analyzePaste(script, 'ipv6'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.added).toBe(2);
    const again = parseRuleset(r.text, { family: 'ipv6' });
    expect(again.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('# sample configuration for iptables service');
    expect(lines.findIndex((l) => l.includes('2001:db8:1::/48'))).toBeLessThan(lines.findIndex((l) => l.includes('icmp6-adm-prohibited')));
  });
});
