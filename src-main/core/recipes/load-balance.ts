// load-balance: spread NEW connections to one port evenly over N backends.
// The seed's three rules with `--every 3 --packet 0/1/2` do not: each
// statistic rule has its own counter and sees only what earlier rules let
// through (measured 117/77/51 of 300, 55 unbalanced). The cascade that works:
// rule k of N takes every (N-k)th connection that reaches it, the last rule
// takes the rest unconditionally.
import { defineRecipe, type RecipeRule } from './types.js';
import { establishedAccept } from './common.js';
import { fam } from './family.js';
import { opt, ruleMaker } from './rules.js';

export const loadBalance = /* @__PURE__ */ defineRecipe({
  name: 'load-balance',
  title: 'Load balance incoming connections',
  summary: 'DNAT new connections to one port evenly over N backends (statistic cascade), with the FORWARD accepts',
  description:
    'Spreads new connections arriving on one port evenly over several backend servers. Each backend gets the same share: the first rule takes every Nth connection, the next every (N-1)th of the rest, and the last backend takes what is left. Only the first packet of a connection goes through the nat table, so a connection stays with its backend. The backends must send their replies back through this host (their default route), or use --masquerade.',
  ipv6:
    'The same cascade in ip6tables\' nat table (IPv6 NAT, kernel 3.7 and later; CentOS 7 has it) to the backends\' IPv6 addresses: a backend with its own port is written [ADDRESS]:PORT, as ip6tables reads it. The host needs IPv6 forwarding (net.ipv6.conf.all.forwarding=1), which is separate from IPv4\'s. Give the IPv6 backends in the same order as the IPv4 ones if each server has both.',
  params: [
    { name: 'port', label: 'Port', help: 'the port clients connect to on this host', type: 'port', required: true, example: '443' },
    { name: 'backends', label: 'Backends', help: 'the servers to spread connections over, as IP or IP:PORT, separated by commas (a backend without a port gets the same port)', type: 'ip-port-list', required: true, min: 2, max: 32, example: '10.0.0.11,10.0.0.12,10.0.0.13' },
    { name: 'backends6', label: 'IPv6 backends', help: 'the servers\' IPv6 addresses, as IPV6 or [IPV6]:PORT, separated by commas', type: 'ip-port-list', min: 2, max: 32, family: 'ipv6', twin: 'backends', example: '2001:db8:10::11,2001:db8:10::12' },
    { name: 'in', label: 'Incoming interface', help: 'only balance connections arriving on this interface (leave empty for any)', type: 'interface', example: 'eth0' },
    { name: 'proto', label: 'Protocol', help: 'the transport protocol of the service: tcp or udp', type: 'enum', choices: ['tcp', 'udp'], default: 'tcp' },
    { name: 'dst', label: 'Address of this host', help: 'only balance connections to this address of the host (leave empty for any)', type: 'ip', example: '198.51.100.10' },
    { name: 'dst6', label: 'IPv6 address of this host', help: 'only balance IPv6 connections to this address of the host (leave empty for any)', type: 'ip', family: 'ipv6', twin: 'dst', example: '2001:db8::10' },
    { name: 'masquerade', label: 'Masquerade towards the backends', help: 'rewrite the source of balanced connections to this host, for backends that do not route their replies through it', type: 'bool', default: false },
  ] as const,
  check(v) {
    const own = (dst: string | undefined, list: typeof v.backends | undefined, param: string, dstParam: string) =>
      dst && list?.some((b) => b.ip === dst)
        ? [{ param, message: `${dst} is this host's own address (--${dstParam})`, fix: 'list the backend servers, not the balancer; to move a port on this host use the port-forward recipe' }]
        : [];
    return [...own(v.dst, v.backends, 'backends', 'dst'), ...own(v.dst6, v.backends6, 'backends6', 'dst6')];
  },
  generate(v, ctx) {
    const F = fam(ctx.family);
    const rule = ruleMaker(ctx.family);
    const v6 = ctx.family === 'ipv6';
    // the twin check makes backends6 given whenever IPv6 rules are made; an empty list only for a direct generate()
    const backends = (v6 ? v.backends6 : v.backends) ?? [];
    const dst = v6 ? v.dst6 : v.dst;
    const n = backends.length;
    const head = `-A PREROUTING${opt('-d', dst && `${dst}${F.hostMask}`)}${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${v.port}`;
    const hostAddr = dst ?? F.probe.host;
    const probe = (k: number) => ({
      packet: { src: F.probe.client, dst: hostAddr, proto: v.proto, sport: F.probe.clientPort, dport: v.port, inIface: v.in ?? 'pcl0', state: 'NEW' },
      local: [hostAddr],
      // forwarded to a backend: said outright for IPv6, where the walk may not know the host's addresses
      ...(v6 ? { hook: 'FORWARD' as const } : {}),
      expect: 'ACCEPT' as const,
      what: `a new ${v.proto.toUpperCase()} connection to port ${v.port}${k ? ` (backend ${k + 1})` : ''}`,
    });
    const rules: RecipeRule[] = backends.map((b, k) => {
      const to = F.dnatTo(b.ip, b.port);
      const left = n - k;
      const stat = left > 1 ? ` -m statistic --mode nth --every ${left} --packet 0` : '';
      const why = left > 1
        ? `sends every ${ordinal(left)} new connection that reaches this rule to ${to}: ${k === 0 ? `1/${n} of all` : `1/${left} of the ${left}/${n} left by the rules above, which is again 1/${n} of all`}`
        : `sends every connection the rules above left (1/${n} of all) to ${to}; no statistic match, so none falls through unbalanced`;
      return rule('nat', `${head}${stat} -j DNAT --to-destination ${to}`, why, { probe: probe(k) });
    });
    const fwd = backends.map((b) => {
      const port = b.port ?? v.port;
      return rule('filter', `-A FORWARD -d ${b.ip}${F.hostMask}${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${port} -m conntrack --ctstate NEW -j ACCEPT`,
        `after DNAT the packet is addressed to the backend ${b.ip} port ${port} and is forwarded, not delivered here: FORWARD must accept it`,
        { probe: { packet: { src: F.probe.client, dst: b.ip, proto: v.proto, sport: F.probe.clientPort, dport: port, inIface: v.in ?? 'pcl0', outIface: 'pcl1', state: 'NEW' }, hook: 'FORWARD', expect: 'ACCEPT', what: `a new connection forwarded to ${b.ip}:${port}` } });
    });
    const masq = v.masquerade
      ? backends.map((b) => rule('nat', `-A POSTROUTING -d ${b.ip}${F.hostMask} -p ${v.proto} -m ${v.proto} --dport ${b.port ?? v.port} -m conntrack --ctstate DNAT -j MASQUERADE`,
          `rewrites the source of balanced connections to this host's address, so ${b.ip} answers through this host even when its default route goes elsewhere`))
      : [];
    return {
      chains: [],
      rules: [...rules, establishedAccept('FORWARD', {}, false, 'top', ctx.family), ...fwd, ...masq],
      preconditions: [
        F.forward,
        {
          kind: 'routing',
          what: `the backends route their replies through this host`,
          why: 'DNAT is undone on the reply only if the reply passes through this host; a reply sent straight to the client is dropped by it',
          check: 'ip route show default   (on each backend)',
          fix: 'make this host the backends\' default gateway, or use --masquerade',
        },
      ],
      notes: [`connections, not packets, are balanced: the nat table sees only the first packet of each connection`],
    };
  },
});

function ordinal(n: number): string {
  return n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}
