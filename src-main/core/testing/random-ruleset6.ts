// Random ip6tables rulesets for a host (addresses in 2001:db8:1::/64, the
// link-local fe80::1, ff02::1): mangle and nat PREROUTING (DNAT to the host's
// other address with and without a port, REDIRECT), filter INPUT with user
// chains (jump, goto, RETURN), IPv6 prefixes, icmp6 types, hop limits,
// addrtype (ANYCAST and UNREACHABLE too), iprange, conntrack states
// (UNTRACKED neighbour discovery included), REJECT with icmp6 types; each one
// valid for ip6tables-restore.
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
  if (rnd() < 0.1) {
    parts.push(`-m addrtype ${pick(rnd, ['--dst-type LOCAL', '--dst-type MULTICAST', '--dst-type UNICAST', '--dst-type LOCAL,UNICAST', '! --dst-type LOCAL', '--src-type UNICAST', '--src-type LOCAL',
      '--dst-type ANYCAST', '! --dst-type UNREACHABLE', '--src-type ANYCAST,UNREACHABLE', '--dst-type LOCAL,ANYCAST'])}`);
  }
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
  /**
   * the state conntrack gives it: NEW, or UNTRACKED for neighbour and router discovery, INVALID for a reply
   * without a request; ESTABLISHED (router probes) when a first datagram and its answer go before it
   */
  state: 'NEW' | 'UNTRACKED' | 'INVALID' | 'ESTABLISHED' | 'RELATED';
  /**
   * ESTABLISHED and RELATED router probes: the UDP flow set up first (its first datagram from src to dst
   * with these ports, answered from behind the router); a RELATED probe is an ICMPv6 error about that
   * flow's answer, as the client would send it, carrying the answer's headers
   */
  flow?: { sport: number; dport: number };
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

// ---- an IPv6 router: forwarded and NATed traffic -----------------------------------------

/** The IPv6 lab router: clients on 2001:db8:2::/64, servers on 2001:db8:3::/64, 2001:db8:9::/64 behind the first server. */
export const ROUTER6 = {
  clientSide: ['2001:db8:2::1', '2001:db8:2::4'],
  /** two networks on the server side: MASQUERADE picks its source by prefix */
  serverSide: ['2001:db8:3::1', '2001:db8:4::1'],
  clients: ['2001:db8:2::2', '2001:db8:2::3'],
  servers: ['2001:db8:3::2', '2001:db8:3::3'],
  /** routed to the first server, which owns them: only a DNAT or the route makes them land */
  virtual: ['2001:db8:9::10', '2001:db8:9::20'],
  ports: [22, 80, 443, 1500, 3000, 3128, 5353, 8080],
  snatSource: '2001:db8:9::99',
  snatPort: 5000,
} as const;

type RChain6 = 'raw:PREROUTING' | 'mangle:PREROUTING' | 'mangle:FORWARD' | 'nat:PREROUTING' | 'nat:POSTROUTING' | 'nat:DN'
  | 'filter:INPUT' | 'filter:FORWARD' | 'filter:F1' | 'filter:F2';

function routerMatch6(rnd: () => number, chain: RChain6, inIf: string, outIf: string): string[] {
  const parts: string[] = [];
  const [table, name] = chain.split(':');
  const addrs = [...ROUTER6.clients, ...ROUTER6.servers, ...ROUTER6.virtual, ...ROUTER6.clientSide, ...ROUTER6.serverSide];
  if (rnd() < 0.2) parts.push(pick(rnd, ['-s 2001:db8:2::2/128', '-s 2001:db8:2::/64', '! -s 2001:db8:2::3/128', `-s ${ROUTER6.snatSource}/128`]));
  if (rnd() < 0.3) parts.push(`-d ${pick(rnd, [...addrs.map((a) => `${a}/128`), '2001:db8:9::/64', '2001:db8:3::/64', '2001:db8::/32'])}`);
  const inOk = name !== 'POSTROUTING';
  const outOk = name === 'FORWARD' || name === 'POSTROUTING' || name === 'F1' || name === 'F2';
  if (inOk && rnd() < 0.15) parts.push(pick(rnd, [`-i ${inIf}`, `! -i ${inIf}`, '-i pcl+', `-i ${outIf}`]));
  if (outOk && rnd() < 0.2) parts.push(pick(rnd, [`-o ${outIf}`, `! -o ${outIf}`, `-o ${inIf}`]));
  const proto = pick(rnd, ['', '', 'tcp', 'udp', 'ipv6-icmp', 'tcp', 'udp']);
  if (proto) parts.push(`-p ${proto}`);
  if (proto === 'tcp' || proto === 'udp') {
    const r = rnd();
    if (r < 0.4) parts.push(`-m ${proto} ${pick(rnd, ['--dport 22', '--dport 80', '--dport 1000:3200', '! --dport 80', '--dport 3128', '--sport 40000:65535', `--sport ${ROUTER6.snatPort}`])}`);
    else if (r < 0.55) parts.push(`-m multiport --dports ${pick(rnd, ['22,80,443', '443,1500', '8080,3000'])}`);
  } else if (proto === 'ipv6-icmp' && rnd() < 0.5) {
    parts.push(`-m icmp6 --icmpv6-type ${pick(rnd, ['echo-request', '128/0', 'echo-reply'])}`);
  }
  if (rnd() < 0.2 && table !== 'raw') {
    parts.push(pick(rnd, ['-m conntrack --ctstate NEW', '-m conntrack --ctstate DNAT', '-m conntrack ! --ctstate DNAT', '-m conntrack --ctstate SNAT', '-m conntrack --ctstate NEW,DNAT',
      '-m conntrack --ctstate INVALID,UNTRACKED', '-m conntrack --ctstate ESTABLISHED', '-m state --state ESTABLISHED,RELATED', '-m conntrack --ctstate ESTABLISHED,DNAT', '-m conntrack ! --ctstate NEW']));
  }
  if (rnd() < 0.15 && table !== 'raw') parts.push(`-m mark --mark ${pick(rnd, ['0x1', '0x2/0x1', '0x1/0x1', '0x0/0x3'])}`);
  if (rnd() < 0.1) parts.push(`-m addrtype --dst-type ${pick(rnd, ['LOCAL', 'UNICAST', 'LOCAL,UNICAST', 'MULTICAST', 'ANYCAST', 'UNREACHABLE', 'LOCAL,UNREACHABLE'])}`);
  if (rnd() < 0.08) parts.push(`-m hl ${pick(rnd, ['--hl-eq 64', '--hl-lt 64', '--hl-gt 10'])}`);
  return parts;
}

function routerTarget6(rnd: () => number, chain: RChain6, ports: boolean): string {
  const [table, name] = chain.split(':');
  const user = name === 'DN' || name === 'F1' || name === 'F2';
  const t: string[] = ['', ''];
  if (user) t.push('-j RETURN');
  switch (table) {
    case 'raw':
      t.push('-j CT --notrack', '-j DROP', '-j ACCEPT');
      break;
    case 'mangle':
      t.push('-j MARK --set-xmark 0x1/0xffffffff', '-j MARK --or-mark 0x2', '-j ACCEPT');
      break;
    case 'nat':
      if (name === 'PREROUTING' || name === 'DN') {
        const to = pick(rnd, [...ROUTER6.servers, ROUTER6.virtual[1], ...ROUTER6.clientSide, ROUTER6.serverSide[0]]);
        t.push(`-j DNAT --to-destination ${to}`, '-j ACCEPT');
        if (ports) t.push(`-j DNAT --to-destination [${to}]:${pick(rnd, ROUTER6.ports)}`, `-j REDIRECT --to-ports ${pick(rnd, ROUTER6.ports)}`, `-j DNAT --to-destination [${to}]:1000-3200`);
        if (!user) t.push('-j DN', '-j DN');
      } else {
        t.push(`-j SNAT --to-source ${ROUTER6.snatSource}`, '-j ACCEPT', '-j MASQUERADE');
        if (ports) t.push(`-j SNAT --to-source [${ROUTER6.snatSource}]:${ROUTER6.snatPort}`, `-j MASQUERADE --to-ports ${ROUTER6.snatPort}`);
      }
      break;
    default:
      t.push('-j ACCEPT', '-j DROP', '-j REJECT', '-j ACCEPT', '-j DROP');
      if (name !== 'F2') t.push('-j F2', '-g F2');
      if (name === 'INPUT' || name === 'FORWARD') t.push('-j F1');
  }
  return pick(rnd, t);
}

/**
 * An IPv6 router's ip6tables ruleset over raw, mangle, nat and filter (as the
 * IPv4 router's): DNAT with bracketed addresses and ports, REDIRECT, SNAT,
 * MASQUERADE, marks, conntrack's DNAT/SNAT states, addrtype, hl, user chains.
 * filter OUTPUT drops everything (the router's own answers would count in
 * POSTROUTING); security INPUT counts what is delivered, per address and port.
 */
export function randomRouterRuleset6(seed: number, inIf: string, outIf: string, rules = 6): string {
  const rnd = makeRandom(seed);
  const chains: Record<string, RChain6[]> = {
    raw: ['raw:PREROUTING'],
    mangle: ['mangle:PREROUTING', 'mangle:FORWARD'],
    nat: ['nat:PREROUTING', 'nat:POSTROUTING', 'nat:DN'],
    filter: ['filter:INPUT', 'filter:FORWARD', 'filter:F1', 'filter:F2'],
  };
  const heads: Record<string, string[]> = {
    raw: [':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'],
    mangle: [':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'],
    nat: [':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DN - [0:0]'],
    filter: [`:INPUT ${rnd() < 0.5 ? 'ACCEPT' : 'DROP'} [0:0]`, `:FORWARD ${rnd() < 0.5 ? 'ACCEPT' : 'DROP'} [0:0]`, ':OUTPUT DROP [0:0]', ':F1 - [0:0]', ':F2 - [0:0]'],
  };
  const out: string[] = [];
  for (const table of ['raw', 'mangle', 'nat', 'filter']) {
    out.push(`*${table}`, ...heads[table]);
    // every packet that arrives counts here first: the test's check that exactly the probe arrived
    if (table === 'raw') out.push('-A PREROUTING');
    for (const chain of chains[table]) {
      const count = chain === 'raw:PREROUTING' ? Math.floor(rnd() * 3) : Math.floor(rnd() * (rules + 1));
      for (let k = 0; k < count; k++) {
        const parts = routerMatch6(rnd, chain, inIf, outIf);
        const t = routerTarget6(rnd, chain, parts.includes('-p tcp') || parts.includes('-p udp'));
        out.push(`-A ${chain.split(':')[1]}${parts.length ? ' ' + parts.join(' ') : ''}${t ? ' ' + t : ''}`);
      }
    }
    out.push('COMMIT');
  }
  out.push('*security', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT');
  for (const a of [...ROUTER6.clientSide, ...ROUTER6.serverSide]) out.push(`-A INPUT -d ${a}/128`);
  for (const p of ['tcp', 'udp']) for (const port of ROUTER6.ports) out.push(`-A INPUT -p ${p} -m ${p} --dport ${port}`);
  out.push('COMMIT');
  return out.join('\n') + '\n';
}

/**
 * A packet for the IPv6 router: NEW (tcp, udp, an echo request), or in a quarter of them a packet of a
 * UDP flow (source ports 30000-30999, which the server side answers once): its second datagram
 * (ESTABLISHED) or an ICMPv6 error about its answer (RELATED).
 */
export function randomRouterProbe6(rnd: () => number, seq: number): Probe6 {
  const established = rnd() < 0.3;
  const proto = established ? 'udp' : pick(rnd, ['tcp', 'udp', 'tcp', 'udp', 'icmp'] as const);
  const src = pick(rnd, ROUTER6.clients);
  // a flow goes to where something answers: the servers (the router's own addresses have no server)
  const dst = pick(rnd, established ? [...ROUTER6.servers, ...ROUTER6.virtual] : [...ROUTER6.servers, ...ROUTER6.virtual, ...ROUTER6.clientSide, ...ROUTER6.serverSide, ...ROUTER6.virtual]);
  if (proto === 'icmp') return { proto, src, dst, icmpType: 128, hopLimit: 64, state: 'NEW' };
  const sport = established ? 30000 + (seq % 1000) : 40000 + (seq % 20000);
  const dport = pick(rnd, ROUTER6.ports);
  if (!established) return { proto, src, dst, sport, dport, hopLimit: 64, state: 'NEW' };
  // a third of the flows get an ICMPv6 error instead of a second datagram: destination unreachable, port unreachable
  if (rnd() < 0.35) return { proto: 'icmp', src, dst, icmpType: 1, hopLimit: 64, state: 'RELATED', flow: { sport, dport } };
  return { proto, src, dst, sport, dport, hopLimit: 64, state: 'ESTABLISHED', flow: { sport, dport } };
}
