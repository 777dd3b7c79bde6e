// Random filter rulesets over a small vocabulary (addresses in 198.18.1.0/24,
// a few ports, tcp/udp/icmp, conntrack states, interfaces, user chains reached
// by jump and goto, RETURN), each one valid for iptables-restore. Used by the
// tracer's differential test against the kernel and by property tests.

export function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

export interface RandomRulesetOptions {
  /** the firewall's incoming interface name */
  iface: string;
  rules?: number;
}

/** User chains: INPUT may enter U1 and U2, U1 may enter U2; no loops. */
function ruleFor(rnd: () => number, chain: 'INPUT' | 'U1' | 'U2', o: RandomRulesetOptions): string {
  const parts: string[] = [];
  if (rnd() < 0.3) parts.push(pick(rnd, ['-s 198.18.1.2/32', '-s 198.18.1.0/24', '! -s 198.18.1.3/32', '-s 198.18.1.3/32', '-s 10.0.0.0/8']));
  if (rnd() < 0.25) parts.push(pick(rnd, ['-d 198.18.1.1/32', '-d 198.18.1.4/32', '! -d 198.18.1.4/32']));
  if (rnd() < 0.2) parts.push(pick(rnd, [`-i ${o.iface}`, '-i pcl+', `! -i ${o.iface}`, '-i lo', '! -i lo']));
  const proto = pick(rnd, ['', '', 'tcp', 'udp', 'icmp', 'tcp', 'udp']);
  if (proto) parts.push(`-p ${proto}`);
  if (proto === 'tcp' || proto === 'udp') {
    const r = rnd();
    if (r < 0.45) parts.push(`-m ${proto} ${pick(rnd, ['--dport 22', '--dport 80', '--dport 1000:2000', '! --dport 80', '--sport 40000:65535', '--sport 53'])}`);
    else if (r < 0.65) parts.push(`-m multiport --dports ${pick(rnd, ['22,80,443', '443,1500', '9:22'])}`);
    if (proto === 'tcp' && rnd() < 0.15) parts.push('-m tcp --tcp-flags SYN,ACK SYN');
  } else if (proto === 'icmp' && rnd() < 0.6) {
    parts.push(`-m icmp --icmp-type ${pick(rnd, ['8', '0', 'echo-request', '3'])}`);
  }
  if (rnd() < 0.25) parts.push(pick(rnd, ['-m conntrack --ctstate NEW', '-m conntrack --ctstate ESTABLISHED,RELATED', '-m conntrack ! --ctstate NEW', '-m state --state NEW,ESTABLISHED', '-m conntrack --ctstate INVALID']));
  if (rnd() < 0.1) parts.push(`-m iprange --src-range ${pick(rnd, ['198.18.1.1-198.18.1.2', '198.18.1.3-198.18.1.9'])}`);
  if (rnd() < 0.1) parts.push('-m comment --comment "generated"');
  const targets: string[] = ['-j ACCEPT', '-j DROP', '-j REJECT', '', '-j ACCEPT', '-j DROP'];
  if (chain !== 'INPUT') targets.push('-j RETURN', '-j RETURN');
  if (chain === 'INPUT') targets.push('-j U1', '-g U2', '-j U2', '-j RETURN');
  if (chain === 'U1') targets.push('-j U2', '-g U2');
  const t = pick(rnd, targets);
  return `-A ${chain}${parts.length ? ' ' + parts.join(' ') : ''}${t ? ' ' + t : ''}`;
}

/** A filter table (INPUT with policy ACCEPT or DROP, chains U1 and U2) and a security table with one counting rule. */
export function randomRuleset(seed: number, o: RandomRulesetOptions): string {
  const rnd = makeRandom(seed);
  const n = o.rules ?? 12;
  const lines = ['*filter', `:INPUT ${rnd() < 0.5 ? 'ACCEPT' : 'DROP'} [0:0]`, ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':U1 - [0:0]', ':U2 - [0:0]'];
  for (let k = 0; k < n; k++) lines.push(ruleFor(rnd, 'INPUT', o));
  for (let k = 0; k < Math.ceil(n / 3); k++) lines.push(ruleFor(rnd, 'U1', o));
  for (let k = 0; k < Math.ceil(n / 3); k++) lines.push(ruleFor(rnd, 'U2', o));
  lines.push('COMMIT');
  // what gets past filter INPUT is counted here: the "delivered" bit
  lines.push('*security', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT', 'COMMIT');
  return lines.join('\n') + '\n';
}

export interface RandomProbe {
  proto: 'tcp' | 'udp' | 'icmp';
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
}

export function randomProbe(rnd: () => number, seq: number): RandomProbe {
  const proto = pick(rnd, ['tcp', 'udp', 'icmp'] as const);
  const src = pick(rnd, ['198.18.1.2', '198.18.1.3']);
  const dst = pick(rnd, ['198.18.1.1', '198.18.1.4']);
  if (proto === 'icmp') return { proto, src, dst, icmpType: 8 };
  // a fresh source port each time so no probe looks like part of an earlier connection
  const sport = (rnd() < 0.2 ? 20000 : 40000) + (seq % 20000);
  return { proto, src, dst, sport, dport: pick(rnd, [22, 80, 443, 1500, 9, 3000]) };
}

// ---- a router: forwarded and NATed traffic ------------------------------------------

/** The lab router of the forwarding differential test: a client side and a server side. */
export interface RouterNet {
  /** interface towards the clients (198.18.2.0/24) and towards the servers (198.18.3.0/24, 198.18.9.0/24 behind) */
  inIf: string;
  outIf: string;
}

export const ROUTER = {
  clientSide: ['198.18.2.1', '198.18.2.4'],
  serverSide: ['198.18.3.1'],
  clients: ['198.18.2.2', '198.18.2.3'],
  servers: ['198.18.3.2', '198.18.3.3'],
  /** routed to the first server, which owns none of them: only a DNAT makes them land somewhere real */
  virtual: ['198.18.9.10', '198.18.9.20'],
  ports: [22, 80, 443, 1500, 3000, 3128, 5353, 8080],
  snatSource: '198.18.9.99',
  snatPort: 5000,
} as const;

type RChain = 'raw:PREROUTING' | 'mangle:PREROUTING' | 'mangle:FORWARD' | 'mangle:INPUT' | 'mangle:POSTROUTING' | 'mangle:MK'
  | 'nat:PREROUTING' | 'nat:POSTROUTING' | 'nat:INPUT' | 'nat:DN' | 'filter:INPUT' | 'filter:FORWARD' | 'filter:F1' | 'filter:F2';

function routerMatch(rnd: () => number, chain: RChain, n: RouterNet): string[] {
  const parts: string[] = [];
  const [table, name] = chain.split(':');
  const addrs = [...ROUTER.clients, ...ROUTER.servers, ...ROUTER.virtual, ...ROUTER.clientSide, ...ROUTER.serverSide];
  if (rnd() < 0.2) parts.push(`-s ${pick(rnd, ['198.18.2.2/32', '198.18.2.0/24', '! 198.18.2.3/32', ROUTER.snatSource + '/32'])}`.replace('-s !', '! -s'));
  if (rnd() < 0.3) parts.push(`-d ${pick(rnd, [...addrs.map((a) => `${a}/32`), '198.18.9.0/24', '198.18.3.0/24'])}`);
  const inOk = !(table === 'nat' && (name === 'POSTROUTING')) && name !== 'POSTROUTING';
  const outOk = name === 'FORWARD' || name === 'POSTROUTING' || name === 'F1' || name === 'F2';
  if (inOk && rnd() < 0.15) parts.push(pick(rnd, [`-i ${n.inIf}`, `! -i ${n.inIf}`, '-i pcl+', `-i ${n.outIf}`]));
  if (outOk && rnd() < 0.2) parts.push(pick(rnd, [`-o ${n.outIf}`, `! -o ${n.outIf}`, `-o ${n.inIf}`]));
  const proto = pick(rnd, ['', '', 'tcp', 'udp', 'icmp', 'tcp', 'udp']);
  if (proto) parts.push(`-p ${proto}`);
  if (proto === 'tcp' || proto === 'udp') {
    const r = rnd();
    if (r < 0.4) parts.push(`-m ${proto} ${pick(rnd, ['--dport 22', '--dport 80', '--dport 1000:3200', '! --dport 80', '--dport 3128', '--sport 40000:65535', `--sport ${ROUTER.snatPort}`])}`);
    else if (r < 0.55) parts.push(`-m multiport --dports ${pick(rnd, ['22,80,443', '443,1500', '8080,3000'])}`);
  }
  if (rnd() < 0.2 && table !== 'raw') parts.push(pick(rnd, ['-m conntrack --ctstate NEW', '-m conntrack --ctstate ESTABLISHED', '-m conntrack --ctstate DNAT', '-m conntrack ! --ctstate DNAT', '-m conntrack --ctstate SNAT', '-m conntrack --ctstate NEW,DNAT', '-m state --state ESTABLISHED,RELATED', '-m conntrack --ctstate INVALID,UNTRACKED']));
  if (rnd() < 0.1 && table === 'raw') parts.push(pick(rnd, ['-m conntrack --ctstate NEW', '-m state --state INVALID', '-m conntrack --ctstate UNTRACKED']));
  if (rnd() < 0.15 && table !== 'raw') parts.push(`-m mark --mark ${pick(rnd, ['0x1', '0x2/0x1', '0x1/0x1', '0x0/0x3', '0x3', '0x10/0xf0', '0x4/0x4'])}`);
  if (rnd() < 0.1) parts.push(`-m addrtype --dst-type ${pick(rnd, ['LOCAL', 'UNICAST', 'LOCAL,UNICAST'])}`);
  if (rnd() < 0.05) parts.push(`-m addrtype ! --dst-type ${pick(rnd, ['LOCAL', 'UNICAST'])}`);
  return parts;
}

function routerTarget(rnd: () => number, chain: RChain, proto: boolean): string {
  const [table, name] = chain.split(':');
  const user = name === 'MK' || name === 'DN' || name === 'F1' || name === 'F2';
  const t: string[] = ['', ''];
  if (user) t.push('-j RETURN');
  switch (table) {
    case 'raw':
      t.push('-j CT --notrack', '-j DROP', '-j ACCEPT');
      break;
    case 'mangle':
      t.push('-j MARK --set-xmark 0x1/0xffffffff', '-j MARK --set-mark 0x2/0x2', '-j MARK --or-mark 0x4', '-j MARK --set-xmark 0x10/0xf0', '-j ACCEPT');
      if (!user) t.push('-j MK', '-g MK');
      if (rnd() < 0.2) t.push('-j DROP');
      break;
    case 'nat':
      if (name === 'PREROUTING' || name === 'DN') {
        const to = pick(rnd, [...ROUTER.servers, ROUTER.virtual[1], ...ROUTER.clientSide, ROUTER.serverSide[0]]);
        t.push(`-j DNAT --to-destination ${to}`, '-j ACCEPT');
        if (proto) t.push(`-j DNAT --to-destination ${to}:${pick(rnd, ROUTER.ports)}`, `-j REDIRECT --to-ports ${pick(rnd, ROUTER.ports)}`, `-j DNAT --to-destination ${to}:1000-3200`);
        t.push('-j REDIRECT');
        if (!user) t.push('-j DN', '-j DN');
      } else {
        // MASQUERADE exists in POSTROUTING only
        const masq = name === 'POSTROUTING';
        t.push(`-j SNAT --to-source ${ROUTER.snatSource}`, '-j ACCEPT', ...(masq ? ['-j MASQUERADE'] : []));
        if (proto) t.push(`-j SNAT --to-source ${ROUTER.snatSource}:${ROUTER.snatPort}`, `-j SNAT --to-source ${ROUTER.snatSource}:1024-65535`, ...(masq ? [`-j MASQUERADE --to-ports ${ROUTER.snatPort}`] : []));
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
 * A router's ruleset over raw, mangle, nat and filter: marks and mark matches,
 * DNAT, REDIRECT, SNAT and MASQUERADE, conntrack states including DNAT and
 * SNAT, addrtype, user chains (jump, goto, RETURN), interfaces both ways.
 * filter OUTPUT drops everything: the router's own answers (RST, ICMP errors)
 * would otherwise run through POSTROUTING and count there. The security table
 * counts what is delivered locally, per destination address and port.
 */
export function randomRouterRuleset(seed: number, n: RouterNet, rules = 6): string {
  const rnd = makeRandom(seed);
  const out: string[] = [];
  const chains: Record<string, RChain[]> = {
    raw: ['raw:PREROUTING'],
    mangle: ['mangle:PREROUTING', 'mangle:INPUT', 'mangle:FORWARD', 'mangle:POSTROUTING', 'mangle:MK'],
    nat: ['nat:PREROUTING', 'nat:INPUT', 'nat:POSTROUTING', 'nat:DN'],
    filter: ['filter:INPUT', 'filter:FORWARD', 'filter:F1', 'filter:F2'],
  };
  const heads: Record<string, string[]> = {
    raw: [':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'],
    mangle: [':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':MK - [0:0]'],
    nat: [':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DN - [0:0]'],
    filter: [`:INPUT ${rnd() < 0.5 ? 'ACCEPT' : 'DROP'} [0:0]`, `:FORWARD ${rnd() < 0.5 ? 'ACCEPT' : 'DROP'} [0:0]`, ':OUTPUT DROP [0:0]', ':F1 - [0:0]', ':F2 - [0:0]'],
  };
  for (const table of ['raw', 'mangle', 'nat', 'filter']) {
    out.push(`*${table}`, ...heads[table]);
    for (const chain of chains[table]) {
      const count = chain === 'raw:PREROUTING' ? Math.floor(rnd() * 3) : Math.floor(rnd() * (rules + 1));
      for (let k = 0; k < count; k++) {
        const parts = routerMatch(rnd, chain, n);
        const proto = parts.some((p) => p === '-p tcp' || p === '-p udp');
        const t = routerTarget(rnd, chain, proto);
        out.push(`-A ${chain.split(':')[1]}${parts.length ? ' ' + parts.join(' ') : ''}${t ? ' ' + t : ''}`);
      }
    }
    out.push('COMMIT');
  }
  out.push('*security', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT');
  for (const a of [...ROUTER.clientSide, ...ROUTER.serverSide]) out.push(`-A INPUT -d ${a}/32`);
  for (const p of ['tcp', 'udp']) for (const port of ROUTER.ports) out.push(`-A INPUT -p ${p} -m ${p} --dport ${port}`);
  out.push('COMMIT');
  return out.join('\n') + '\n';
}

export interface RouterProbe extends RandomProbe {
  /** send a first packet and its answer before this one: the probe is ESTABLISHED */
  established: boolean;
}

export function randomRouterProbe(rnd: () => number, seq: number): RouterProbe {
  const established = rnd() < 0.25;
  const proto = established ? 'udp' : pick(rnd, ['tcp', 'udp', 'tcp', 'udp', 'icmp'] as const);
  const src = pick(rnd, ROUTER.clients);
  const dst = pick(rnd, [...ROUTER.servers, ...ROUTER.virtual, ...ROUTER.clientSide, ...ROUTER.serverSide, ...ROUTER.virtual]);
  if (proto === 'icmp') return { proto, src, dst, icmpType: 8, established: false };
  // fresh source ports: no probe looks like part of an earlier connection; the answered ones in 30000-30999
  const sport = established ? 30000 + (seq % 1000) : 40000 + (seq % 20000);
  return { proto, src, dst, sport, dport: pick(rnd, ROUTER.ports), established };
}
