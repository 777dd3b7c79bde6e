// port-forward: connections to one port reach another port (on this host with
// REDIRECT, on another host with DNAT). The seed filtered on 422 in INPUT: after
// the DNAT the filter table sees port 22, so its rule never matched. Here the
// filter rule matches the port the packet really has, and only connections
// that came in through the forward (conntrack: DNAT, original port 422), so
// the target port itself is not opened to everyone.
import { defineRecipe, type RecipeRule } from './types.js';
import { IP_FORWARD, establishedAccept } from './common.js';
import { hostIn, opt, PROBE, recipeRule } from './rules.js';

export const portForward = defineRecipe({
  name: 'port-forward',
  title: 'Forward a port',
  summary: 'connections to --from-port reach --to-port (REDIRECT here, or DNAT to --to-host), filtered on the port after the translation',
  description:
    'Makes connections to one port reach another port: on this host (REDIRECT), or on another host (DNAT, which also needs forwarding). The filter rules that let them in match the port the packet has after the translation — the filter table never sees the original port — and only connections that really came through the forward, so the target port is not opened by itself.',
  params: [
    { name: 'from-port', label: 'Port clients use', help: 'the port clients connect to', type: 'port', required: true, example: '422' },
    { name: 'to-port', label: 'Port of the service', help: 'the port the service really listens on', type: 'port', required: true, example: '22' },
    { name: 'to-host', label: 'Other host', help: 'forward to this host instead of a port on this host (leave empty for this host)', type: 'ip', example: '10.0.0.5' },
    { name: 'dst', label: 'Address of this host', help: 'only forward connections to this address of the host (leave empty for any)', type: 'ip', example: '198.51.100.10' },
    { name: 'in', label: 'Incoming interface', help: 'only forward connections arriving on this interface (leave empty for any)', type: 'interface', example: 'eth0' },
    { name: 'proto', label: 'Protocol', help: 'the transport protocol of the service: tcp or udp', type: 'enum', choices: ['tcp', 'udp'], default: 'tcp' },
    { name: 'source', label: 'Allowed clients', help: 'only forward connections from this network (leave empty for anyone)', type: 'cidr', example: '198.51.100.0/24' },
  ] as const,
  check(v) {
    if (!v['to-host'] && v['from-port'] === v['to-port'])
      return [{ param: 'to-port', message: `is the same as --from-port (${v['from-port']}) on the same host: nothing to forward`, fix: 'give a different --to-port, or a --to-host' }];
    if (v['to-host'] && v['to-host'] === v.dst) return [{ param: 'to-host', message: 'is this host\'s own address (--dst)', fix: 'leave --to-host out to forward to a port on this host' }];
    return [];
  },
  generate(v) {
    const from = v['from-port'];
    const to = v['to-port'];
    const other = v['to-host'];
    const host = v.dst ?? PROBE.host;
    const client = v.source ? hostIn(v.source) : PROBE.client;
    const pre = `-A PREROUTING${opt('-s', v.source)}${opt('-d', v.dst && `${v.dst}/32`)}${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${from}`;
    const packet = { src: client, dst: host, proto: v.proto, sport: PROBE.clientPort, dport: from, inIface: v.in ?? 'pcl0', state: 'NEW' };
    const probe = (what: string) => ({ packet, local: [host], expect: 'ACCEPT' as const, what });
    const ct = `-m conntrack --ctstate DNAT --ctorigdstport ${from}`;
    const rules: RecipeRule[] = [];
    if (!other) {
      rules.push(
        recipeRule('nat', `${pre} -j REDIRECT --to-ports ${to}`, `sends connections to port ${from} of this host to port ${to} of this host`, { probe: probe(`a new connection to port ${from}`) }),
        recipeRule('filter', `-A INPUT${opt('-s', v.source)}${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${to} ${ct} -j ACCEPT`,
          `accepts the forwarded connections: after REDIRECT the packet has port ${to}, not ${from}; the conntrack match takes only connections that arrived on port ${from}, so port ${to} itself is not opened`,
          { probe: probe(`a new connection to port ${from}, redirected to ${to}`) }),
        establishedAccept('OUTPUT', {}, true, 'top'),
      );
      return { chains: [], rules, preconditions: [], notes: [] };
    }
    rules.push(
      recipeRule('nat', `${pre} -j DNAT --to-destination ${other}:${to}`, `sends connections to port ${from} on to ${other} port ${to}`, { probe: probe(`a new connection to port ${from}`) }),
      establishedAccept('FORWARD'),
      recipeRule('filter', `-A FORWARD${opt('-s', v.source)} -d ${other}/32${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${to} ${ct} -j ACCEPT`,
        `forwards the translated connections: after DNAT the packet is addressed to ${other} port ${to} (not ${from}); the conntrack match takes only connections that arrived on port ${from}`,
        { probe: probe(`a new connection to port ${from}, forwarded to ${other}:${to}`) }),
    );
    return {
      chains: [],
      rules,
      preconditions: [
        IP_FORWARD,
        { kind: 'routing', what: `${other} routes its replies through this host`, why: 'the DNAT is undone on the reply only if it passes through this host', check: `ip route get <client address>   (on ${other})`, fix: `make this host ${other}'s gateway for the clients, or add a MASQUERADE rule in nat POSTROUTING for -d ${other}` },
      ],
      notes: [],
    };
  },
});
