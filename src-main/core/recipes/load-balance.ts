// load-balance: spread NEW connections to one port evenly over N backends.
// The seed's three rules with `--every 3 --packet 0/1/2` do not: each
// statistic rule has its own counter and sees only what earlier rules let
// through (measured 117/77/51 of 300, 55 unbalanced). The cascade that works:
// rule k of N takes every (N-k)th connection that reaches it, the last rule
// takes the rest unconditionally.
import { defineRecipe, type RecipeRule } from './types.js';
import { IP_FORWARD, establishedAccept } from './common.js';
import { opt, PROBE, recipeRule } from './rules.js';

export const loadBalance = defineRecipe({
  name: 'load-balance',
  title: 'Load balance incoming connections',
  summary: 'DNAT new connections to one port evenly over N backends (statistic cascade), with the FORWARD accepts',
  description:
    'Spreads new connections arriving on one port evenly over several backend servers. Each backend gets the same share: the first rule takes every Nth connection, the next every (N-1)th of the rest, and the last backend takes what is left. Only the first packet of a connection goes through the nat table, so a connection stays with its backend. The backends must send their replies back through this host (their default route), or use --masquerade.',
  params: [
    { name: 'port', label: 'Port', help: 'the port clients connect to on this host', type: 'port', required: true, example: '443' },
    { name: 'backends', label: 'Backends', help: 'the servers to spread connections over, as IP or IP:PORT, separated by commas (a backend without a port gets the same port)', type: 'ip-port-list', required: true, min: 2, max: 32, example: '10.0.0.11,10.0.0.12,10.0.0.13' },
    { name: 'in', label: 'Incoming interface', help: 'only balance connections arriving on this interface (leave empty for any)', type: 'interface', example: 'eth0' },
    { name: 'proto', label: 'Protocol', help: 'the transport protocol of the service: tcp or udp', type: 'enum', choices: ['tcp', 'udp'], default: 'tcp' },
    { name: 'dst', label: 'Address of this host', help: 'only balance connections to this address of the host (leave empty for any)', type: 'ip', example: '198.51.100.10' },
    { name: 'masquerade', label: 'Masquerade towards the backends', help: 'rewrite the source of balanced connections to this host, for backends that do not route their replies through it', type: 'bool', default: false },
  ] as const,
  check(v) {
    if (v.dst && v.backends.some((b) => b.ip === v.dst)) return [{ param: 'backends', message: `${v.dst} is this host's own address (--dst)`, fix: 'list the backend servers, not the balancer; to move a port on this host use the port-forward recipe' }];
    return [];
  },
  generate(v) {
    const n = v.backends.length;
    const head = `-A PREROUTING${opt('-d', v.dst && `${v.dst}/32`)}${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${v.port}`;
    const hostAddr = v.dst ?? PROBE.host;
    const probe = (k: number) => ({
      packet: { src: PROBE.client, dst: hostAddr, proto: v.proto, sport: PROBE.clientPort, dport: v.port, inIface: v.in ?? 'pcl0', state: 'NEW' },
      local: [hostAddr],
      expect: 'ACCEPT' as const,
      what: `a new ${v.proto.toUpperCase()} connection to port ${v.port}${k ? ` (backend ${k + 1})` : ''}`,
    });
    const rules: RecipeRule[] = v.backends.map((b, k) => {
      const to = `${b.ip}${b.port !== null ? `:${b.port}` : ''}`;
      const left = n - k;
      const stat = left > 1 ? ` -m statistic --mode nth --every ${left} --packet 0` : '';
      const why = left > 1
        ? `sends every ${ordinal(left)} new connection that reaches this rule to ${to}: ${k === 0 ? `1/${n} of all` : `1/${left} of the ${left}/${n} left by the rules above, which is again 1/${n} of all`}`
        : `sends every connection the rules above left (1/${n} of all) to ${to}; no statistic match, so none falls through unbalanced`;
      return recipeRule('nat', `${head}${stat} -j DNAT --to-destination ${to}`, why, { probe: probe(k) });
    });
    const fwd = v.backends.map((b) => {
      const port = b.port ?? v.port;
      return recipeRule('filter', `-A FORWARD -d ${b.ip}/32${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${port} -m conntrack --ctstate NEW -j ACCEPT`,
        `after DNAT the packet is addressed to the backend ${b.ip} port ${port} and is forwarded, not delivered here: FORWARD must accept it`,
        { probe: { packet: { src: PROBE.client, dst: b.ip, proto: v.proto, sport: PROBE.clientPort, dport: port, inIface: v.in ?? 'pcl0', outIface: 'pcl1', state: 'NEW' }, hook: 'FORWARD', expect: 'ACCEPT', what: `a new connection forwarded to ${b.ip}:${port}` } });
    });
    const masq = v.masquerade
      ? v.backends.map((b) => recipeRule('nat', `-A POSTROUTING -d ${b.ip}/32 -p ${v.proto} -m ${v.proto} --dport ${b.port ?? v.port} -m conntrack --ctstate DNAT -j MASQUERADE`,
          `rewrites the source of balanced connections to this host's address, so ${b.ip} answers through this host even when its default route goes elsewhere`))
      : [];
    return {
      chains: [],
      rules: [...rules, establishedAccept('FORWARD'), ...fwd, ...masq],
      preconditions: [
        IP_FORWARD,
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
