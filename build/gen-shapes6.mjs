// IPv6 shapes for the bench (ip6tables-restore input, compared against
// ip6tables-legacy-restore --test), written the way people write them: the
// same address in compressed, upper-case, full and embedded-IPv4 notation,
// protocol and ICMPv6 type names as well as numbers.
//   blocklist6  tens of thousands of /128 and /64 DROPs (fail2ban, abuse lists)
//   mixed6      a host that is also a router: ICMPv6 by type, conntrack,
//               multiport, rt/frag/hl, per-customer chains, a mangle table
import { rng, writeIp6 } from './shape-util.mjs';

/** hosting providers' prefixes, where most IPv6 abuse comes from */
const PROVIDERS = [[0x2a01, 0x4f8], [0x2604, 0xa880], [0x2001, 0x41d0], [0x2a03, 0xb0c0], [0x2600, 0x3c00], [0x2a02, 0xc207], [0x2406, 0xda00], [0x2803, 0x9800]];

/** the i-th distinct /64 under a provider (the index sits in groups 2 and 3) */
function net64(rnd, i) {
  const p = PROVIDERS[rnd(PROVIDERS.length)];
  return [p[0], p[1], (i >> 12) & 0xffff, ((i & 0xfff) << 4) | rnd(16)];
}

/** an interface id: mostly random (SLAAC privacy), some small (::1, ::2 on servers), some mapped IPv4 */
function iid(rnd) {
  const k = rnd(10);
  if (k < 2) return [0, 0, 0, 1 + rnd(20)];
  return [rnd(0x10000), rnd(0x10000), rnd(0x10000), rnd(0x10000)];
}

/** notation: mostly compressed, then upper case, full, dotted-quad tail, uncompressed */
const style = (rnd) => [0, 0, 0, 0, 1, 1, 2, 3, 4][rnd(9)];

function blocklist6(n, seed) {
  const rnd = rng(seed);
  const out = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':blocklist6 - [0:0]', ':f2b-sshd - [0:0]'];
  out.push('-A INPUT -i lo -j ACCEPT', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -m hl --hl-eq 255 -j ACCEPT',
    '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -m hl --hl-eq 255 -j ACCEPT',
    '-A INPUT -j blocklist6', '-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd');
  for (let i = 0; out.length < n; i++) {
    const k = rnd(20);
    const net = net64(rnd, i);
    if (k < 12) out.push(`-A blocklist6 -s ${writeIp6([...net, ...iid(rnd)], style(rnd))}${rnd(3) ? '/128' : ''} -j DROP`);
    else if (k < 16) out.push(`-A blocklist6 -s ${writeIp6([...net, 0, 0, 0, 0], style(rnd))}/64 -j DROP`);
    else if (k < 18) out.push(`-A f2b-sshd -s ${writeIp6([...net, ...iid(rnd)], style(rnd))}/128 -j REJECT --reject-with icmp6-port-unreachable`);
    else if (k < 19) out.push(`-A OUTPUT -d ${writeIp6([...net, 0, 0, 0, 0], style(rnd))}/64 -j REJECT --reject-with icmp6-adm-prohibited`);
    // a mapped IPv4 source (IPv4 traffic on a dual-stack socket): always dotted
    else out.push(`-A blocklist6 -s ::ffff:${45 + rnd(2) * 140}.${(i >> 8) & 255}.${i & 255}.${1 + rnd(254)}/128 -j DROP`);
  }
  out.push('-A f2b-sshd -j RETURN', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', 'COMMIT');
  return out;
}

const ICMP6_TYPES = ['echo-request', 'echo-reply', 'destination-unreachable', 'packet-too-big', 'time-exceeded', 'parameter-problem', '128', '129', '1', '2', '3/0', '4'];
const PROTO_ICMP6 = ['ipv6-icmp', 'icmpv6', '58'];

/** the host's own rules: ND with hop limit 255, DHCPv6, routing header type 0 and fragments dropped */
function hostHead() {
  const nd = [133, 134, 135, 136].map((t) => `-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m hl --hl-eq 255 -j ACCEPT`);
  return ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':admin - [0:0]', ':logdrop - [0:0]',
    '-A INPUT -i lo -j ACCEPT', '-A INPUT -m rt --rt-type 0 -j DROP', '-A INPUT -m conntrack --ctstate INVALID -j DROP',
    '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', ...nd,
    '-A INPUT -s fe80::/10 -d fe80::/10 -p udp -m udp --sport 547 --dport 546 -j ACCEPT',
    '-A INPUT -m frag --fragid 0:4294967295 --fragmore -j logdrop', '-A INPUT -j admin',
    '-A FORWARD -m rt --rt-type 0 --rt-segsleft 0 -j DROP', '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type packet-too-big -j ACCEPT',
    '-A logdrop -m limit --limit 5/min --limit-burst 10 -j LOG --log-prefix "ip6 drop: " --log-level 4', '-A logdrop -j DROP'];
}

/** one customer's chain: services on its hosts, ICMPv6 by type, hop-limit and fragment rules */
function customer(rnd, c, count) {
  const pre = [0x2a0c, 0xb640 + (c >> 16), c & 0xffff];
  const chain = `cust-${c}`;
  const lines = [`-A FORWARD -d ${writeIp6([...pre, 0, 0, 0, 0, 0], style(rnd))}/48 -j ${chain}`];
  const decl = `:${chain} - [0:0]`;
  for (let k = 0; k < count; k++) {
    const host = writeIp6([...pre, rnd(16), 0, 0, 0, 1 + rnd(200)], style(rnd));
    const from = writeIp6([0x2001, 0x67c, rnd(0x10000), rnd(0x10000), 0, 0, 0, 0], style(rnd));
    const p = 1 + rnd(60000);
    const kinds = [
      () => `-A ${chain} -d ${host}/128 -p tcp -m multiport --dports 80,443,${p} -m conntrack --ctstate NEW -j ACCEPT`,
      () => `-A ${chain} -d ${host} -p ${PROTO_ICMP6[rnd(3)]} --icmpv6-type ${ICMP6_TYPES[rnd(ICMP6_TYPES.length)]} -m limit --limit ${1 + rnd(20)}/sec -j ACCEPT`,
      () => `-A ${chain} -s ${from}/64 -d ${host}/128 -p udp -m udp --dport ${p} -m state --state NEW -j ACCEPT`,
      () => `-A ${chain} -d ${host}/128 -m hl --hl-lt ${2 + rnd(5)} -j DROP`,
      () => `-A ${chain} -d ${host}/128 -m frag --fraglast -m comment --comment "cust ${c} frag" -j LOG --log-prefix "frag6 ${c} "`,
      () => `-A ${chain} -s ${from}/64 -p tcp --dport ${p} -j REJECT --reject-with icmp6-adm-prohibited`,
      () => `-A admin -s ${from}/64 -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m comment --comment "admin ${c}.${k}" -j ACCEPT`,
    ];
    lines.push(kinds[rnd(kinds.length)]());
  }
  lines.push(`-A ${chain} -j RETURN`);
  return { decl, lines };
}

function mixed6(n, seed) {
  const rnd = rng(seed);
  const head = hostHead();
  const decls = [];
  const rules = [];
  for (let c = 0; head.length + rules.length < n; c++) {
    const { decl, lines } = customer(rnd, c, 4 + rnd(30));
    decls.push(decl);
    rules.push(...lines);
  }
  const mangle = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    '-A PREROUTING -m rt --rt-type 0 -j DROP', '-A PREROUTING -m ipv6header --header ipv6-route --soft -j DROP',
    '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', '-A POSTROUTING -o ppp0 -j HL --hl-set 64', 'COMMIT'];
  const filter = [...head.slice(0, 6), ...decls, ...head.slice(6), ...rules,
    '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -j REJECT --reject-with icmp6-port-unreachable', 'COMMIT'];
  return [...filter, ...mangle];
}

export const SHAPES6 = { blocklist6, mixed6 };
