import { describe, expect, it } from 'vitest';
import { parseRuleset } from '../parse.js';
import { predictFamilyLockout, predictLockout, predictLockoutFamilies } from './lockout.js';
import { stockRuleset } from '../testing/rulesets.js';

const STOCK = stockRuleset();
const rs = (t: string) => parseRuleset(t).ruleset;
const q = { client: '203.0.113.9', server: '192.0.2.10', sshPort: 22, local: ['192.0.2.10'] };

describe('lockout prediction', () => {
  it('the stock ruleset lets a new SSH connection in', () => {
    expect(predictLockout(rs(STOCK), q)).toEqual({ kind: 'open' });
  });

  it('a ruleset that refuses new connections to 22 locks out, naming the rule', () => {
    const v = predictLockout(rs(STOCK.replace('-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n', '')), q);
    expect(v.kind).toBe('locked');
    if (v.kind !== 'locked') return;
    expect(v.all).toBe(true);
    expect(v.finding).toMatchObject({ code: 'ssh-lockout', severity: 'error', table: 'filter', chain: 'INPUT', index: 4 });
    expect(v.finding.message).toMatch(/REJECT by filter INPUT #4/);
  });

  it('a DNAT of port 22 locks out even when every chain accepts the new port', () => {
    const t = STOCK.replace('-A INPUT -j REJECT', '-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT\n-A INPUT -j REJECT') +
      '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 22 -j DNAT --to-destination 192.0.2.10:2222\nCOMMIT\n';
    const v = predictLockout(rs(t), q);
    expect(v.kind).toBe('locked');
    if (v.kind === 'locked') expect(v.reasons.join()).toMatch(/re-addressed by nat PREROUTING #1 \(DNAT to 192\.0\.2\.10:2222\)/);
  });

  it('a DNAT to another host (forwarded) locks out too', () => {
    const t = STOCK.replace('-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n', '') +
      '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 22 -j DNAT --to-destination 10.0.0.5\nCOMMIT\n';
    expect(predictLockout(rs(t), q).kind).toBe('locked');
  });

  it('knowing the interface the client comes in on settles rules for other interfaces', () => {
    const t = STOCK.replace('-A INPUT -m state', '-A INPUT -i eth1 -j DROP\n-A INPUT -m state');
    const unknownIface = predictLockout(rs(t), q);
    expect(unknownIface.kind).toBe('locked');
    if (unknownIface.kind === 'locked') expect(unknownIface.all).toBe(false);
    expect(predictLockout(rs(t), { ...q, inIface: 'eth0' })).toEqual({ kind: 'open' });
    expect(predictLockout(rs(t), { ...q, inIface: 'eth1' }).kind).toBe('locked');
  });

  it('a source-restricted SSH rule: open for that source, locked for another', () => {
    const t = STOCK.replace('-A INPUT -p tcp -m state --state NEW -m tcp --dport 22', '-A INPUT -s 203.0.113.0/24 -p tcp -m state --state NEW -m tcp --dport 22');
    expect(predictLockout(rs(t), q).kind).toBe('open');
    expect(predictLockout(rs(t), { ...q, client: '198.51.100.1' }).kind).toBe('locked');
  });

  it('without a client address it cannot tell; an IPv6 client is not filtered by the IPv4 rules', () => {
    expect(predictLockout(rs(STOCK), { ...q, client: undefined }).kind).toBe('unknown');
    expect(predictLockout(rs(STOCK), { ...q, client: '2001:db8::1' })).toMatchObject({ kind: 'open', note: expect.stringMatching(/not IPv4/) });
    // an IPv4-mapped address (a dual-stack socket) is IPv4 on the wire
    const banned = rs(STOCK.replace('-A INPUT -m state', '-A INPUT -s 203.0.113.9/32 -j DROP\n-A INPUT -m state'));
    expect(predictLockout(banned, { ...q, client: '::ffff:203.0.113.9' }).kind).toBe('locked');
  });

  it('a ruleset the check cannot follow within its budget: unknown, naming where it gave up (never open, never locked)', () => {
    const marks = Array.from({ length: 24 }, (_, k) => `-A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --or-mark 0x${(1 << k).toString(16)}`).join('\n');
    const t = STOCK + `*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${marks}\nCOMMIT\n`;
    const v = predictLockout(rs(t), q);
    expect(v.kind).toBe('unknown');
    if (v.kind === 'unknown') expect(v.reason).toMatch(/^the lockout check gave up at mangle PREROUTING #\d+ \(line \d+\): the walk went past its budget/);
  });

  it('IPv6: an ip6tables ruleset is predicted for an IPv6 session, with the ruleset family\'s addresses only', () => {
    const v6 = (t: string) => parseRuleset(t, { family: 'ipv6' }).ruleset;
    const STOCK6 = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p ipv6-icmp -j ACCEPT\n'
      + '-A INPUT -i lo -j ACCEPT\n-A INPUT -s 2001:db8:9::/48 -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp6-adm-prohibited\nCOMMIT\n';
    const q6 = { client: '2001:db8:9::5', server: '2001:db8:1::1', sshPort: 22, local: ['192.0.2.10', '2001:db8:1::1', 'fe80::1'] };
    expect(predictLockout(v6(STOCK6), q6)).toEqual({ kind: 'open' });
    const out = predictLockout(v6(STOCK6), { ...q6, client: '2001:db8:a::5' });
    expect(out.kind).toBe('locked');
    if (out.kind === 'locked') {
      expect(out.finding).toMatchObject({ code: 'ssh-lockout', severity: 'error', table: 'filter', chain: 'INPUT', index: 5, line: 9 });
      expect(out.finding.message).toBe('a new SSH connection from 2001:db8:a::5 to port 22 would not get in: REJECT by filter INPUT #5 (line 9) — applying this ruleset locks you out');
      expect(out.finding.fix).toContain('-A INPUT -s 2001:db8:a::5/128 -p tcp --dport 22 -j ACCEPT');
    }
    // a DNAT of port 22 on the IPv6 nat table, even when every chain accepts the new port
    const nat6 = STOCK6.replace('-A INPUT -j REJECT', '-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT\n-A INPUT -j REJECT') + '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 22 -j DNAT --to-destination [2001:db8:1::1]:2222\nCOMMIT\n';
    const moved = predictLockout(v6(nat6), q6);
    expect(moved.kind).toBe('locked');
    if (moved.kind === 'locked') expect(moved.reasons.join()).toMatch(/re-addressed by nat PREROUTING #1 \(DNAT to \[2001:db8:1::1\]:2222\)/);
    // an IPv4 session is not filtered by the IPv6 rules
    expect(predictLockout(v6(STOCK6), q)).toMatchObject({ kind: 'open', note: expect.stringMatching(/not IPv6: the IPv6 ruleset does not filter it/) });
  });

  it('both families of one apply: the session\'s family is predicted, the other one only when the profile reaches the host over it', () => {
    const v4 = rs(STOCK.replace('-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n', ''));
    const v6 = parseRuleset('*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n', { family: 'ipv6' }).ruleset;
    // over IPv6, nothing known about IPv4: the IPv4 ruleset would lock out an IPv4 client, but whether there is one was not looked into
    const over6 = predictLockoutFamilies({ ipv4: v4, ipv6: v6 }, { client: '2001:db8:9::5', server: '2001:db8:1::1', sshPort: 22 });
    expect(over6.byFamily.ipv6).toEqual({ kind: 'open' });
    expect(over6.byFamily.ipv4).toMatchObject({ kind: 'unchecked', reason: expect.stringMatching(/^IPv4 not checked: the SSH session runs over IPv6, and whether this profile reaches the host over IPv4 was not looked into/) });
    expect(over6.verdict.kind).toBe('unchecked');
    // the same, when the profile also reaches the host over IPv4: locked for IPv4, with the route it assumed
    const via = 'the host\'s address 192.0.2.10 answers on port 22 from 203.0.113.9';
    const both = predictLockoutFamilies({ ipv4: v4, ipv6: v6 }, { client: '2001:db8:9::5', server: '2001:db8:1::1', sshPort: 22, other: { kind: 'reachable', family: 'ipv4', client: '203.0.113.9', server: '192.0.2.10', via } });
    expect(both.byFamily.ipv4).toMatchObject({ kind: 'locked', all: true, over: `over IPv4, assuming ${via}` });
    expect(both.verdict).toBe(both.byFamily.ipv4);
    // a route of the wrong family is not used for this one
    expect(predictLockoutFamilies({ ipv4: v4 }, { client: '2001:db8:9::5', sshPort: 22, other: { kind: 'reachable', family: 'ipv6', client: '2001:db8:9::6', via } }).verdict.kind).toBe('unchecked');
    // over IPv4 with the IPv4 file fixed and an IPv6 file that drops everything
    const drop6 = parseRuleset('*filter\n:INPUT DROP [0:0]\nCOMMIT\n', { family: 'ipv6' }).ruleset;
    const reach6 = (client: string, inIface?: string) => ({ kind: 'reachable' as const, family: 'ipv6' as const, client, server: '2001:db8:1::2', inIface, via });
    expect(predictLockoutFamilies({ ipv4: rs(STOCK), ipv6: drop6 }, q).verdict.kind).toBe('unchecked');
    expect(predictLockoutFamilies({ ipv4: rs(STOCK), ipv6: drop6 }, { ...q, other: { kind: 'unreachable', family: 'ipv6', why: 'no IPv6 route from here' } }).verdict).toEqual({ kind: 'unchecked', reason: 'IPv6 not checked: no IPv6 route from here' });
    expect(predictLockoutFamilies({ ipv4: rs(STOCK), ipv6: drop6 }, { ...q, other: { kind: 'unknown', family: 'ipv6', why: 'behind a jump host' } }).verdict.kind).toBe('unchecked');
    expect(predictLockoutFamilies({ ipv4: rs(STOCK), ipv6: drop6 }, { ...q, other: reach6('2001:db8:9::5') }).verdict.kind).toBe('locked');
    // the other family's interface and host addresses count as the session's do
    const byIface = parseRuleset('*filter\n:INPUT DROP [0:0]\n-A INPUT -i eth1 -p tcp --dport 22 -j ACCEPT\n-A INPUT -d 2001:db8:1::2 -p tcp --dport 2222 -j ACCEPT\nCOMMIT\n', { family: 'ipv6' }).ruleset;
    expect(predictFamilyLockout(byIface, { ...q, other: reach6('2001:db8:9::5', 'eth1') })).toMatchObject({ kind: 'open', over: expect.stringContaining('over IPv6') });
    expect(predictFamilyLockout(byIface, { ...q, other: reach6('2001:db8:9::5', 'eth0') })).toMatchObject({ kind: 'locked', all: true });
    expect(predictFamilyLockout(byIface, { ...q, sshPort: 2222, other: reach6('2001:db8:9::5', 'eth0') })).toMatchObject({ kind: 'open' });
    expect(predictFamilyLockout(byIface, { ...q, sshPort: 2222, other: { ...reach6('2001:db8:9::5', 'eth0'), server: '2001:db8:1::3' } })).toMatchObject({ kind: 'locked' });
    // the session's own family ignores `other`
    expect(predictFamilyLockout(rs(STOCK), { ...q, other: reach6('2001:db8:9::5') })).toEqual({ kind: 'open' });
  });
});
