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
