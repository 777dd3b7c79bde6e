// The lint stays near-linear on the shapes that made it quadratic (issue 11):
// many rate limits before a long blocklist, tens of thousands of chains, many
// DNAT rewrites against many filter rules, thousands of port-range rules (ufw)
// before rules of other protocols and rules without ports — and still finds
// what it should.
// The time bounds are generous: the quadratic versions took minutes on these
// files. They bound the CPU time the parse and lint took (this process's user +
// system time), not the wall time, which on a loaded machine is mostly waiting
// for a core (at load average 15 on two cores a thread gets a tenth of one).
import { describe, expect, it } from 'vitest';
import { parseRuleset } from './index.js';
import { lintRuleset } from './lint.js';

/** the findings, and the CPU time (ms) the parse and the lint took */
function lintTimed(text: string) {
  const t0 = process.cpuUsage();
  const p = parseRuleset(text);
  expect(p.findings.filter((f) => f.severity === 'error')).toEqual([]);
  const findings = lintRuleset(p.ruleset);
  const cpu = process.cpuUsage(t0);
  return { findings, ms: (cpu.user + cpu.system) / 1000 };
}

const ip = (base: number, i: number) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe('lint at scale', () => {
  it('10,000 limited accepts before 30,000 blocklist drops: one limit-without-drop, found fast', { timeout: 120_000 }, () => {
    const L = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
    for (let i = 0; i < 10_000; i++) L.push(`-A INPUT -s ${ip(100, i * 256)}/24 -p tcp -m tcp --dport ${1 + (i % 60000)} -m limit --limit 5/sec -j ACCEPT`);
    for (let i = 0; i < 30_000; i++) L.push(`-A INPUT -s ${ip(45, i)}/32 -j DROP`);
    // far below, an accept that takes the excess of exactly one limited rule (#777)
    L.push(`-A INPUT -s ${ip(100, 776 * 256)}/24 -p tcp -m tcp --dport 777 -j ACCEPT`, 'COMMIT');
    const { findings, ms } = lintTimed(L.join('\n') + '\n');
    const lim = findings.filter((f) => f.code === 'limit-without-drop');
    expect(lim.map((f) => f.index)).toEqual([777]);
    expect(lim[0].message).toContain('rule #40001');
    expect(ms).toBeLessThan(20_000);
  });

  it('a limited accept whose excess the ACCEPT policy lets in, past 20,000 rules that do not meet it', { timeout: 120_000 }, () => {
    const L = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
    L.push('-A INPUT -p icmp -m icmp --icmp-type 8 -m limit --limit 1/sec -j ACCEPT');
    for (let i = 0; i < 20_000; i++) L.push(`-A INPUT -s ${ip(45, i)}/32 -p tcp -m tcp --dport 22 -j DROP`);
    L.push('-A INPUT -p icmp -m icmp --icmp-type 0 -j DROP', 'COMMIT');
    const { findings } = lintTimed(L.join('\n') + '\n');
    expect(findings.find((f) => f.code === 'limit-without-drop')).toMatchObject({ index: 1 });
    expect(findings.find((f) => f.code === 'limit-without-drop')!.message).toContain('ACCEPT policy');
  });

  it('20,000 chains (kube-proxy style) and 5,000 DNAT port rewrites against 20,000 filter rules', { timeout: 120_000 }, () => {
    const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':KUBE-MARK-MASQ - [0:0]'];
    const rules = ['-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000'];
    for (let i = 0; i < 20_000; i++) {
      nat.push(`:SVC-${i} - [0:0]`);
      rules.push(`-A PREROUTING -d ${ip(10, i)}/32 -p tcp -m tcp --dport 80 -j SVC-${i}`, `-A SVC-${i} -j KUBE-MARK-MASQ`);
    }
    for (let i = 0; i < 5_000; i++) rules.push(`-A PREROUTING -p tcp -m tcp --dport ${10_000 + i} -j DNAT --to-destination 172.17.0.2:${20_000 + i}`);
    const filter = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
    for (let i = 0; i < 20_000; i++) filter.push(`-A FORWARD -d 172.17.${(i >> 8) & 255}.${i & 255}/32 -p tcp -m tcp --dport ${30_000 + i} -j ACCEPT`);
    // the one that still uses the old port of rewrite #4321
    filter.push('-A FORWARD -p tcp -m tcp --dport 14321 -j ACCEPT');
    const { findings, ms } = lintTimed([...nat, ...rules, 'COMMIT', ...filter, 'COMMIT'].join('\n') + '\n');
    const mism = findings.filter((f) => f.code === 'dnat-port-mismatch');
    expect(mism.map((f) => `${f.chain}#${f.index}`)).toEqual(['FORWARD#20001']);
    expect(mism[0].message).toContain('changed port 14321 to 24321');
    expect(findings.filter((f) => f.code === 'unused-chain' || f.code === 'undefined-chain')).toEqual([]);
    expect(ms).toBeLessThan(30_000);
  });

  it('600 UDP port-range accepts (ufw) before 15,000 TCP accepts and 5,000 drops without ports: the redundant one found, fast', { timeout: 120_000 }, () => {
    const L = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
    // each range has more ports than the shadow index files value by value, so every one is tried against every later rule
    for (let i = 0; i < 600; i++) { const p = 1 + i * 100; L.push(`-A INPUT -p udp -m multiport --dports ${p},${p + 2}:${p + 99} -j ACCEPT`); }
    for (let i = 0; i < 15_000; i++) L.push(`-A INPUT -s ${ip(45, i)}/32 -p tcp -m tcp --dport ${1 + (i % 60_000)} -j ACCEPT`);
    for (let i = 0; i < 5_000; i++) L.push(`-A INPUT -s ${ip(77, i)}/32 -j DROP`);
    // inside the range of rule #14 (1301,1303:1400): changes nothing
    L.push('-A INPUT -p udp -m udp --dport 1400 -j ACCEPT', 'COMMIT');
    const { findings, ms } = lintTimed(L.join('\n') + '\n');
    const red = findings.filter((f) => f.code === 'redundant-rule' || f.code === 'shadowed-rule');
    expect(red.map((f) => [f.code, f.index])).toEqual([['redundant-rule', 20_601]]);
    expect(red[0].message).toContain('rule #14');
    expect(ms).toBeLessThan(20_000);
  });

  it('1,500 rules with a match we do not model (neutron\'s -m physdev per port) before 15,000 drops: the covered one found, fast', { timeout: 120_000 }, () => {
    const L = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
    for (let i = 0; i < 1_500; i++) L.push(`-A FORWARD -m physdev --physdev-in tap${i} --physdev-is-bridged -j ACCEPT`);
    for (let i = 0; i < 15_000; i++) L.push(`-A FORWARD -s ${ip(45, i)}/32 -j DROP`);
    // what rule #8 (tap7) already accepts
    L.push('-A FORWARD -p tcp -m physdev --physdev-in tap7 --physdev-is-bridged -j ACCEPT', 'COMMIT');
    const { findings, ms } = lintTimed(L.join('\n') + '\n');
    const red = findings.filter((f) => f.code === 'redundant-rule' || f.code === 'shadowed-rule');
    expect(red.map((f) => [f.code, f.index])).toEqual([['redundant-rule', 16_501]]);
    expect(red[0].message).toContain('rule #8');
    expect(ms).toBeLessThan(20_000);
  });
});
