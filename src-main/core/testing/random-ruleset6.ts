// Random ip6tables rulesets for a host (addresses in 2001:db8:1::/64, the
// link-local fe80::1, ff02::1): mangle and nat PREROUTING (DNAT to the host's
// other address with and without a port, REDIRECT), filter INPUT with user
// chains (jump, goto, RETURN), IPv6 prefixes, icmp6 types, hop limits,
// addrtype, iprange, conntrack states (UNTRACKED neighbour discovery
// included), REJECT with icmp6 types; each one valid for ip6tables-restore.
// Used by the tracer's IPv6 differential test against the kernel.
import { makeRandom } from './random-ruleset.js';

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

export const HOST6 = {
  /** the firewall's global addresses and its link-local one */
  local: ['2001:db8:1::1', '2001:db8:1::4'],
  linkLocal: 'fe80::1',
  peers: ['2001:db8:1::2', '2001:db8:1::3'],
  ports: [22, 80, 443, 1500, 3128, 9, 3000],
} as const;

type Chain6 = 'mangle:PREROUTING' | 'nat:PREROUTING' | 'filter:INPUT' | 'filter:U1' | 'filter:U2';

function match6(rnd: () => number, chain: Chain6, iface: string): { parts: string[]; proto: string } {
  const parts: string[] = [];
  if (rnd() < 0.3) parts.push(pick(rnd, ['-s 2001:db8:1::2/128', '-s 2001:db8:1::/64', '! -s 2001:db8:1::3/128', '-s 2001:db8:1::3/128', '-s 2001:db8:ff::/48', '-s fe80::/10', '-s 2001:db8::/32']));
  if (rnd() < 0.25) parts.push(pick(rnd, ['-d 2001:db8:1::1/128', '-d 2001:db8:1::4/128', '! -d 2001:db8:1::4/128', '-d ff00::/8', '-d 2001:db8:1::/112']));
  if (rnd() < 0.15) parts.push(pick(rnd, [`-i ${iface}`, '-i pcl+', `! -i ${iface}`, '-i lo']));
  const proto = pick(rnd, ['', '', 'tcp', 'udp', 'ipv6-icmp', 'tcp', 'udp', 'ipv6-icmp']);
  if (proto) parts.push(`-p ${proto}`);
  if (proto === 'tcp' || proto === 'udp') {
    const r = rnd();
    if (r < 0.45) parts.push(`-m ${proto} ${pick(rnd, ['--dport 22', '--dport 80', '--dport 1000:2000', '! --dport 80', '--sport 40000:65535', '--dport 3128'])}`);
    else if (r < 0.6) parts.push(`-m multiport --dports ${pick(rnd, ['22,80,443', '443,1500', '9:22'])}`);
  } else if (proto === 'ipv6-icmp' && rnd() < 0.7) {
    parts.push(`-m icmp6 ${pick(rnd, ['--icmpv6-type echo-request', '--icmpv6-type 128', '--icmpv6-type echo-reply', '--icmpv6-type neighbour-solicitation', '! --icmpv6-type echo-request', '--icmpv6-type 128/0', '--icmpv6-type router-advertisement'])}`);
  }
  if (chain !== 'nat:PREROUTING' && rnd() < 0.25) {
    parts.push(pick(rnd, ['-m conntrack --ctstate NEW', '-m conntrack --ctstate ESTABLISHED,RELATED', '-m conntrack ! --ctstate NEW', '-m state --state NEW,ESTABLISHED', '-m conntrack --ctstate INVALID', '-m conntrack --ctstate UNTRACKED', '-m conntrack --ctstate DNAT']));
  }
  if (rnd() < 0.15) parts.push(`-m hl ${pick(rnd, ['--hl-eq 255', '--hl-lt 64', '--hl-gt 1', '! --hl-eq 64'])}`);
  if (rnd() < 0.1) parts.push(`-m addrtype ${pick(rnd, ['--dst-type LOCAL', '--dst-type MULTICAST', '--dst-type UNICAST', '--dst-type LOCAL,UNICAST', '! --dst-type LOCAL', '--src-type UNICAST', '--src-type LOCAL'])}`);
  if (rnd() < 0.08) parts.push(`-m iprange --src-range ${pick(rnd, ['2001:db8:1::1-2001:db8:1::2', '2001:db8:1::3-2001:db8:1::9'])}`);
  if (rnd() < 0.05) parts.push('-m comment --comment "generated"');
  return { parts, proto };
}

function target6(rnd: () => number, chain: Chain6, proto: string): string {
  const ports = proto === 'tcp' || proto === 'udp';
  switch (chain) {
    case 'mangle:PREROUTING':
      return pick(rnd, ['', '-j ACCEPT', '-j MARK --set-xmark 0x1/0xffffffff', '-j DROP']);
    case 'nat:PREROUTING': {
      const t = ['', '-j ACCEPT', '-j DNAT --to-destination 2001:db8:1::4', '-j DNAT --to-destination 2001:db8:1::1'];
      if (ports) t.push('-j DNAT --to-destination [2001:db8:1::4]:80', '-j DNAT --to-destination [2001:db8:1::1]:3128', '-j REDIRECT --to-ports 3128', '-j REDIRECT --to-ports 22');
      return pick(rnd, t);
    }
    default: {
      const t = ['-j ACCEPT', '-j DROP', '-j REJECT', '', '-j ACCEPT', '-j DROP', '-j REJECT --reject-with icmp6-adm-prohibited'];
      if (proto === 'tcp') t.push('-j REJECT --reject-with tcp-reset');
      if (chain !== 'filter:INPUT') t.push('-j RETURN', '-j RETURN');
      if (chain === 'filter:INPUT') t.push('-j U1', '-g U2', '-j U2');
      if (chain === 'filter:U1') t.push('-j U2', '-g U2');
      return pick(rnd, t);
    }
  }
}

/**
 * A host's ip6tables ruleset: raw PREROUTING with one counting rule (every
 * packet that arrives: the test's check that exactly the probe arrived), a
 * few mangle and nat PREROUTING rules, filter INPUT with U1 and U2, and
 * security INPUT counting rules: the "delivered" bit, and the destination
 * address and port the packet has after NAT.
 */
export function randomRuleset6(seed: number, iface: string, rules = 12): string {
  const rnd = makeRandom(seed);
  const out = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A PREROUTING', 'COMMIT'];
  const line = (chain: Chain6) => {
    const { parts, proto } = match6(rnd, chain, iface);
    const t = target6(rnd, chain, proto);
    return `-A ${chain.split(':')[1]}${parts.length ? ' ' + parts.join(' ') : ''}${t ? ' ' + t : ''}`;
  };
  out.push('*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]');
  for (let k = Math.floor(rnd() * 3); k > 0; k--) out.push(line('mangle:PREROUTING'));
  out.push('COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]');
  for (let k = Math.floor(rnd() * 4); k > 0; k--) out.push(line('nat:PREROUTING'));
  out.push('COMMIT', '*filter', `:INPUT ${rnd() < 0.5 ? 'ACCEPT' : 'DROP'} [0:0]`, ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':U1 - [0:0]', ':U2 - [0:0]');
  for (let k = 0; k < rules; k++) out.push(line('filter:INPUT'));
  for (let k = 0; k < Math.ceil(rules / 3); k++) out.push(line('filter:U1'));
  for (let k = 0; k < Math.ceil(rules / 3); k++) out.push(line('filter:U2'));
  // what is delivered, and where to after NAT: each address of the host, and the ports NAT sends to
  out.push('COMMIT', '*security', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT');
  for (const a of [...HOST6.local, HOST6.linkLocal]) out.push(`-A INPUT -d ${a}/128`);
  for (const p of ['tcp', 'udp']) for (const port of [22, 80, 3128]) out.push(`-A INPUT -p ${p} -m ${p} --dport ${port}`);
  out.push('COMMIT');
  return out.join('\n') + '\n';
}

export interface Probe6 {
  proto: 'tcp' | 'udp' | 'icmp';
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  hopLimit: number;
  /** the state conntrack gives it: NEW, or UNTRACKED for neighbour and router discovery, INVALID for a reply without a request */
  state: 'NEW' | 'UNTRACKED' | 'INVALID';
}

export function randomProbe6(rnd: () => number, seq: number): Probe6 {
  const proto = pick(rnd, ['tcp', 'udp', 'icmp', 'tcp', 'udp', 'icmp'] as const);
  const src = pick(rnd, HOST6.peers);
  const hopLimit = pick(rnd, [64, 64, 255, 1, 63]);
  if (proto === 'icmp') {
    const icmpType = pick(rnd, [128, 128, 129, 135, 134]);
    // an echo request may go to all nodes; neighbour discovery to the host
    const dst = icmpType === 128 ? pick(rnd, [...HOST6.local, 'ff02::1']) : pick(rnd, HOST6.local);
    const state = icmpType === 128 ? 'NEW' : icmpType === 129 ? 'INVALID' : 'UNTRACKED';
    return { proto, src, dst, icmpType, hopLimit: icmpType >= 133 ? pick(rnd, [255, 255, 64]) : hopLimit, state };
  }
  const dst = pick(rnd, [...HOST6.local, ...HOST6.local, ...(proto === 'udp' ? ['ff02::1'] : [])]);
  // a fresh source port each time so no probe looks like part of an earlier connection
  return { proto, src, dst, sport: 40000 + (seq % 20000), dport: pick(rnd, HOST6.ports), hopLimit, state: 'NEW' };
}
