// The IPv6-only lint findings and the findings across a host's pair of
// rulesets, on the IPv6 corpus and on real pairs of files (testing/pairs: each
// file loads in real iptables-legacy-restore / ip6tables-legacy-restore --test).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, lintParsed, lintPair, type Finding } from './index.js';
import { REPO_ROOT } from './testing/shared-data.js';

const T = join(REPO_ROOT, 'src-main', 'core', 'testing');
const load = (path: string, family: 'ipv4' | 'ipv6') => {
  const r = parseRuleset(readFileSync(join(T, path), 'utf8'), { family });
  expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  return r;
};
const lint6 = (text: string) => lintParsed(parseRuleset(text, { family: 'ipv6' }));
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('IPv6 lint: neighbour discovery and router advertisements', () => {
  it('a copy of an IPv4 file (icmp, final REJECT) drops ND: error, on the rule that drops it', () => {
    const fs = lintParsed(load('corpus6/copied-from-v4.rules', 'ipv6'));
    const nd = fs.filter((f) => f.code === 'ipv6-nd-dropped');
    expect(nd.length).toBeGreaterThan(0);
    expect(nd[0]).toMatchObject({ severity: 'error', line: 11, chain: 'INPUT', index: 6 });
    expect(nd[0].fix).toContain('--icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT');
    expect(fs.find((f) => f.code === 'ipv6-ra-dropped')).toMatchObject({ severity: 'warning' });
    expect(fs.find((f) => f.code === 'icmp-in-ipv6')).toMatchObject({ severity: 'warning', line: 8, index: 3 });
  });
  it('files that accept ICMPv6 (stock CentOS, Debian, ufw, fail2ban, Docker) have no ND finding', () => {
    for (const f of ['centos7-stock', 'centos7-web', 'debian-rules-v6', 'ufw-before6', 'fail2ban-ip6', 'docker-ip6']) {
      const fs = lintParsed(load(`corpus6/${f}.rules`, 'ipv6'));
      expect(codes(fs).filter((c) => c.startsWith('ipv6-') || c === 'icmp-in-ipv6'), f).toEqual([]);
    }
  });
  it('the DROP policy, with ND accepted only from a state that ND never has, drops it', () => {
    const fs = lint6('*filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n');
    expect(fs.find((f) => f.code === 'ipv6-nd-dropped')).toMatchObject({ line: 2, chain: 'INPUT', message: expect.stringContaining('INPUT policy (DROP)') });
  });
  it('ND accepted only with the wrong hop limit, or on lo, is still dropped; accepted with hl 255 it is fine', () => {
    expect(codes(lint6('*filter\n:INPUT DROP [0:0]\n-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-lt 255 -j ACCEPT\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n'))).toContain('ipv6-nd-dropped');
    const ok = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 134 -m hl --hl-eq 255 -j ACCEPT\n-A INPUT -p icmpv6 --icmpv6-type neighbour-solicitation -j ACCEPT\n-A INPUT -p icmpv6 --icmpv6-type neighbour-advertisement -j ACCEPT\nCOMMIT\n';
    expect(codes(lint6(ok)).filter((c) => c.startsWith('ipv6-'))).toEqual([]);
  });
  it('accepted in a user chain INPUT jumps to counts; a rule that may or may not take it never gives a finding', () => {
    expect(codes(lint6('*filter\n:INPUT DROP [0:0]\n:ICMP - [0:0]\n-A INPUT -p ipv6-icmp -j ICMP\n-A ICMP -j ACCEPT\nCOMMIT\n')).filter((c) => c.startsWith('ipv6-'))).toEqual([]);
    expect(codes(lint6('*filter\n:INPUT DROP [0:0]\n-A INPUT -s fe80::/10 -j ACCEPT\nCOMMIT\n')).filter((c) => c.startsWith('ipv6-'))).toEqual([]);
  });
  it('OUTPUT with a DROP policy that lets out no ND: error on OUTPUT', () => {
    const fs = lint6('*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n-A OUTPUT -p tcp --dport 443 -j ACCEPT\nCOMMIT\n');
    expect(fs.find((f) => f.code === 'ipv6-nd-dropped' && f.chain === 'OUTPUT')).toMatchObject({ severity: 'error' });
  });
  it('an IPv4 ruleset gets none of these', () => {
    const fs = lintParsed(parseRuleset('*filter\n:INPUT DROP [0:0]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n'));
    expect(codes(fs).filter((c) => c.startsWith('ipv6-') || c === 'icmp-in-ipv6')).toEqual([]);
  });
  it('ICMPv6 types are understood by the analysis: a limited echo-request accept followed by an echo-reply accept is not "limit does nothing"', () => {
    const fs = lintParsed(load('corpus6/router-ip6.rules', 'ipv6'));
    expect(codes(fs)).not.toContain('limit-without-drop');
  });
});

describe('lint --pair: the IPv4 and the IPv6 ruleset of one host', () => {
  const pair = (name: string) => lintPair(load(`pairs/${name}.v4`, 'ipv4').ruleset, load(`pairs/${name}.v6`, 'ipv6').ruleset);
  it('web01: IPv6 added later with ACCEPT policies, SSH open to all and not rate-limited', () => {
    const fs = pair('web01');
    expect(fs.map((f) => [f.family, f.code, f.chain, f.line])).toEqual([
      ['ipv6', 'pair-policy-mismatch', 'INPUT', 3],
      ['ipv6', 'pair-policy-mismatch', 'FORWARD', 4],
      ['ipv6', 'pair-port-open', 'INPUT', 9],
      ['ipv6', 'pair-ssh-rate-limit', 'INPUT', 9],
    ]);
    expect(fs[2].message).toBe('port 22/tcp is open to everyone over IPv6, but IPv4 allows it only from 203.0.113.0/24: the restriction is missing over IPv6');
    expect(fs[3].message).toContain('rate-limited over IPv4 (INPUT #5:');
  });
  it('db01: MySQL restricted to the LAN over IPv4, open to everyone over IPv6; node exporter restricted on both', () => {
    const fs = pair('db01');
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ family: 'ipv6', code: 'pair-port-open', line: 9, index: 5 });
    expect(fs[0].message).toContain('port 3306/tcp');
  });
  it('Debian with an empty rules.v6: both policies and the SSH limit differ', () => {
    expect(pair('debian-default').map((f) => f.code).sort()).toEqual(['pair-policy-mismatch', 'pair-policy-mismatch', 'pair-ssh-rate-limit']);
  });
  it('CentOS 7 stock iptables and ip6tables agree: no pair finding (a final REJECT closes like a DROP policy)', () => {
    expect(pair('centos7-stock')).toEqual([]);
  });
  it('the direction is symmetric: IPv6 restricted and IPv4 open is reported on the IPv4 file', () => {
    const v4 = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 5432 -j ACCEPT\nCOMMIT\n').ruleset;
    const v6 = parseRuleset('*filter\n:INPUT DROP [0:0]\n-A INPUT -s 2001:db8::/32 -p tcp --dport 5432 -j ACCEPT\nCOMMIT\n', { family: 'ipv6' }).ruleset;
    const fs = lintPair(v4, v6);
    expect(fs.map((f) => [f.family, f.code])).toEqual([['ipv4', 'pair-policy-mismatch'], ['ipv4', 'pair-port-open']]);
    expect(fs[1].message).toContain('allows it only from 2001:db8::/32');
  });
});

describe('IPv6 networks in the packet-space analysis', () => {
  const shadowed = (rules: string) =>
    lintParsed(parseRuleset(`*filter\n:INPUT ACCEPT [0:0]\n${rules}COMMIT\n`, { family: 'ipv6' })).filter((f) => f.code === 'shadowed-rule' || f.code === 'redundant-rule');
  it('a network inside an earlier one is found: redundant with the same verdict, shadowed with another', () => {
    const same = shadowed('-A INPUT -s 2001:db8::/32 -j DROP\n-A INPUT -s 2001:db8:1::/48 -p tcp --dport 22 -j DROP\n');
    expect(same.map((f) => [f.code, f.index])).toContainEqual(['redundant-rule', 2]);
    const other = shadowed('-A INPUT -s 2001:db8::/32 -j DROP\n-A INPUT -s 2001:db8:1::/48 -p tcp --dport 22 -j ACCEPT\n');
    expect(other.map((f) => [f.code, f.index])).toContainEqual(['shadowed-rule', 2]);
  });
  it('the wider network after the narrower one, disjoint networks, and a negated one are not', () => {
    expect(shadowed('-A INPUT -s 2001:db8:1::/48 -j DROP\n-A INPUT -s 2001:db8::/32 -j DROP\n').filter((f) => f.index === 2)).toEqual([]);
    expect(shadowed('-A INPUT -s 2001:db8:1::/48 -j DROP\n-A INPUT -s 2001:db8:2::/48 -j DROP\n').filter((f) => f.index === 2)).toEqual([]);
    expect(shadowed('-A INPUT ! -s 2001:db8::/32 -j DROP\n-A INPUT -s 2001:db8:1::/48 -j DROP\n').filter((f) => f.index === 2)).toEqual([]);
  });
  it('two networks that together cover a third make it shadowed', () => {
    const fs = shadowed('-A INPUT -s 2001:db8::/33 -j DROP\n-A INPUT -s 2001:db8:8000::/33 -j DROP\n-A INPUT -s 2001:db8::/32 -j DROP\n');
    // 2001:db8::/32 is not named as two halves' union in the classes: the "rest of /32" class stays uncovered — never a false claim
    expect(fs.filter((f) => f.index === 3 && f.code === 'shadowed-rule')).toEqual([]);
  });
});
