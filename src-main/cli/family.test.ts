// --family on the ruleset commands: given, or inferred from the file's name or
// content (and said so on stderr), for check, canon, diff, lint, trace, import.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './testing/capture.js';
import { REPO_ROOT } from '../core/testing/shared-data.js';

const corpus = (name: string) => readFileSync(join(REPO_ROOT, 'src-main', 'core', 'testing', 'corpus6', name), 'utf8');
const V6 = corpus('centos7-stock.rules');
const V6_CANON = corpus('centos7-stock.canonical');
// neither name nor content says which family: read as IPv4 unless told
const PLAIN = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT\nCOMMIT\n';

describe('--family and its inference', () => {
  it('canon of /etc/sysconfig/ip6tables prints what ip6tables-save printed, and says it read IPv6', async () => {
    const r = await run(['canon', 'ip6tables'], { ip6tables: V6 });
    expect(r.code).toBe(0);
    expect(r.out).toBe(V6_CANON);
    expect(r.err).toBe('ip6tables: note: read as an IPv6 (ip6tables) ruleset: the file is named ip6tables (--family 4 reads it as IPv4)\n');
  });

  it('rules.v6 is IPv6; --family 4 overrides and then the IPv6 rules are errors', async () => {
    expect((await run(['check', 'rules.v6'], { 'rules.v6': V6 })).code).toBe(0);
    const r = await run(['check', '--family', '4', 'rules.v6'], { 'rules.v6': V6 });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/rules\.v6:\d+:\d+: error: unknown reject type "icmp6-adm-prohibited"/);
  });

  it('content only IPv6 can be (addresses, ICMPv6) is read as IPv6 whatever the name', async () => {
    const r = await run(['canon', 'web.rules'], { 'web.rules': '*filter\n-A INPUT -s 2001:DB8::1 -j ACCEPT\nCOMMIT\n' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('-A INPUT -s 2001:db8::1/128 -j ACCEPT');
    expect(r.err).toContain('read as an IPv6 (ip6tables) ruleset: it has IPv6 addresses');
  });

  it('a file that says nothing is IPv4, silently; --family 6 reads it as IPv6', async () => {
    const r4 = await run(['canon', 'x.rules'], { 'x.rules': PLAIN });
    expect(r4.err).toBe('');
    expect(r4.out).toContain('-A INPUT -j REJECT --reject-with icmp-port-unreachable');
    const r6 = await run(['canon', '--family', '6', 'x.rules'], { 'x.rules': PLAIN });
    expect(r6.err).toBe('');
    expect(r6.out).toContain('-A INPUT -j REJECT --reject-with icmp6-port-unreachable');
  });

  it('--family takes 4 or 6 (ipv4/ipv6 too), nothing else', async () => {
    expect((await run(['canon', '--family', 'ipv6', 'x.rules'], { 'x.rules': PLAIN })).code).toBe(0);
    const r = await run(['canon', '--family', '5', 'x.rules'], { 'x.rules': PLAIN });
    expect(r.code).toBe(2);
    expect(r.err).toContain('--family is 4 (iptables) or 6 (ip6tables), not "5"');
  });

  it('diff of two IPv6 files compares them as IPv6; files of different families are refused', async () => {
    const changed = V6.replace('--dport 22 -j ACCEPT', '--dport 2222 -j ACCEPT');
    const r = await run(['diff', '--json', 'old.v6', 'new.v6'], { 'old.v6': V6, 'new.v6': changed });
    expect(r.code).toBe(1);
    const { changes } = JSON.parse(r.out);
    expect(changes).toHaveLength(1);
    expect(changes[0].to ?? changes[0].rule).toContain('--dport 2222');
    const mixed = await run(['diff', 'rules.v4', 'rules.v6'], { 'rules.v4': PLAIN, 'rules.v6': V6 });
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('a diff compares two rulesets of one family');
  });

  it('lint reads IPv6 (no parse errors for IPv6 rules)', async () => {
    const r = await run(['lint', '--json', 'rules.v6'], { 'rules.v6': V6 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);
  });

  it('trace walks an IPv6 packet through an ip6tables ruleset (family inferred from the name, said on stderr)', async () => {
    const r = await run(['trace', 'rules.v6', '--src', '2001:db8::1', '--dst', '2001:db8::2', '--proto', 'tcp', '--dport', '22', '--in', 'eth0', '--json'], { 'rules.v6': V6 });
    expect(r.code).toBe(0);
    expect(r.err).toContain('read as an IPv6 (ip6tables) ruleset');
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ verdict: 'ACCEPT', decidedBy: { table: 'filter', chain: 'INPUT', index: 4 }, packet: { src: '2001:db8::1', dst: '2001:db8::2', sport: null, dport: 22 } });
    // the stock file's DHCPv6 rule (-d fe80::/64) and its REJECT with an ICMPv6 type
    const dhcp = JSON.parse((await run(['trace', 'rules.v6', '--src', 'fe80::1', '--dst', 'fe80::2', '--proto', 'udp', '--dport', '546', '--in', 'eth0', '--json'], { 'rules.v6': V6 })).out);
    expect(dhcp.decidedBy).toMatchObject({ index: 5 });
    const other = await run(['trace', 'rules.v6', '--src', '2001:db8::1', '--dst', '2001:db8::2', '--proto', 'udp', '--dport', '53', '--in', 'eth0'], { 'rules.v6': V6 });
    expect(other.out).toContain('REJECT (icmp6-adm-prohibited)');
    expect(other.out).toContain('packet: udp 2001:db8::1 → [2001:db8::2]:53, in eth0');
    expect(other.out).toMatch(/verdict: REJECT by INPUT #6/);
    // an IPv4 address in an IPv6 trace is a usage error that says which family it belongs to
    const v4 = await run(['trace', 'rules.v6', '--src', '198.18.0.1', '--dst', '2001:db8::2', '--proto', 'tcp', '--dport', '22'], { 'rules.v6': V6 });
    expect(v4.code).toBe(2);
    expect(v4.err).toContain('source: "198.18.0.1" is not an IPv6 address (it is an IPv4 address');
  });

  it('lint --client with an IPv6 address checks the ip6tables ruleset for a lockout (the apply\'s predictor)', async () => {
    const locked = await run(['lint', 'rules.v6', '--client', '2001:db8:a::5', '--json'], { 'rules.v6': V6.replace('-A INPUT -m state --state NEW -m tcp -p tcp --dport 22 -j ACCEPT\n', '') });
    expect(locked.code).toBe(1);
    const f = JSON.parse(locked.out).findings.find((x: { code: string }) => x.code === 'ssh-lockout');
    expect(f).toMatchObject({ severity: 'error', table: 'filter', chain: 'INPUT', index: 5 });
    expect(f.message).toContain('from 2001:db8:a::5 to port 22 would not get in: REJECT by filter INPUT #5');
    const open = await run(['lint', 'rules.v6', '--client', '2001:db8:a::5', '--json'], { 'rules.v6': V6 });
    expect(JSON.parse(open.out).findings.some((x: { code: string }) => x.code === 'ssh-lockout')).toBe(false);
    expect((await run(['lint', 'rules.v6', '--client', '2001:db8::zz'], { 'rules.v6': V6 })).code).toBe(2);
  });

  it('import of a script that runs only ip6tables builds the IPv6 ruleset, and says so', async () => {
    const script = '#!/bin/sh\nip6tables -P INPUT DROP\nip6tables -A INPUT -p ipv6-icmp -j ACCEPT\nip6tables -A INPUT -s 2001:db8::/32 -p tcp --dport 22 -j ACCEPT\n' +
      'ip6tables -A INPUT -p icmpv6 --icmpv6-type echo-request -m hl --hl-eq 64 -j ACCEPT\n';
    const r = await run(['import', 'fw6.sh'], { 'fw6.sh': script });
    expect(r.code).toBe(0);
    expect(r.out).toContain('-A INPUT -s 2001:db8::/32 -p tcp -m tcp --dport 22 -j ACCEPT');
    // -p icmpv6 loads icmp6 by itself, as in ip6tables
    expect(r.out).toContain('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -m hl --hl-eq 64 -j ACCEPT');
    expect(r.err).toContain('building the IPv6 (ip6tables) ruleset: the script runs ip6tables only');
    // a script of both: IPv4 unless told, the ip6tables lines noted as skipped
    const both = await run(['import', 'fw.sh'], { 'fw.sh': script + 'iptables -A INPUT -p tcp --dport 80 -j ACCEPT\n' });
    expect(both.out).toContain('--dport 80');
    expect(both.out).not.toContain('2001:db8');
  });
});

describe('lint --pair V4 V6', () => {
  const pairFile = (name: string) => readFileSync(join(REPO_ROOT, 'src-main', 'core', 'testing', 'pairs', name), 'utf8');
  it('prints each file\'s findings and the pair\'s under the file they are about', async () => {
    const r = await run(['lint', '--pair', 'web01.v4', 'web01.v6'], { 'web01.v4': pairFile('web01.v4'), 'web01.v6': pairFile('web01.v6') });
    expect(r.code).toBe(0);
    expect(r.out).toContain('web01.v6:9: warning: [pair-port-open] filter/INPUT #4: port 22/tcp is open to everyone over IPv6');
    expect(r.out).toContain('web01.v6:3: warning: [pair-policy-mismatch] filter/INPUT:');
    expect(r.out).toMatch(/web01\.v4 \+ web01\.v6: 0 error\(s\), 4 warning\(s\), \d+ note\(s\); 4 about the pair\n$/);
  });
  it('--json gives every finding with its file', async () => {
    const r = await run(['lint', '--pair', '--json', 'db.v4', 'db.v6'], { 'db.v4': pairFile('db01.v4'), 'db.v6': pairFile('db01.v6') });
    const { findings } = JSON.parse(r.out);
    expect(findings.filter((f: { code: string }) => f.code.startsWith('pair-'))).toEqual([
      expect.objectContaining({ file: 'db.v6', code: 'pair-port-open', line: 9, index: 5 }),
    ]);
  });
  it('the IPv6 file\'s own findings come too (ND dropped is an error: exit 1)', async () => {
    const v6 = readFileSync(join(REPO_ROOT, 'src-main', 'core', 'testing', 'corpus6', 'copied-from-v4.rules'), 'utf8');
    const r = await run(['lint', '--pair', 'a.v4', 'a.v6'], { 'a.v4': pairFile('web01.v4'), 'a.v6': v6 });
    expect(r.code).toBe(1);
    expect(r.out).toContain('a.v6:11: error: [ipv6-nd-dropped]');
  });
  it('is a usage error with one file or with --family', async () => {
    expect((await run(['lint', '--pair', 'a.v4'], { 'a.v4': PLAIN })).code).toBe(2);
    expect((await run(['lint', '--pair', '--family', '6', 'a', 'b'], { a: PLAIN, b: PLAIN })).code).toBe(2);
  });
});
