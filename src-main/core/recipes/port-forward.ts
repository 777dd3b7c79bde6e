// port-forward: connections to one port reach another port (on this host with
// REDIRECT, on another host with DNAT). The seed filtered on 422 in INPUT: after
// the DNAT the filter table sees port 22, so its rule never matched. Here the
// filter rule matches the port the packet really has, and only connections
// that came in through the forward (conntrack: DNAT, original port 422), so
// the target port itself is not opened to everyone.
import { defineRecipe, type RecipeRule } from './types.js';
import { establishedAccept } from './common.js';
import { fam, familiesOf, type FamilyChoice } from './family.js';
import { opt, ruleMaker } from './rules.js';

export const portForward = /* @__PURE__ */ defineRecipe({
  name: 'port-forward',
  title: 'Forward a port',
  summary: 'connections to --from-port reach --to-port (REDIRECT here, or DNAT to --to-host), filtered on the port after the translation',
  description:
    'Makes connections to one port reach another port: on this host (REDIRECT), or on another host (DNAT, which also needs forwarding). The filter rules that let them in match the port the packet has after the translation — the filter table never sees the original port — and only connections that really came through the forward, so the target port is not opened by itself.',
  ipv6:
    'The same rules in ip6tables\' nat table (IPv6 NAT, kernel 3.7 and later; CentOS 7 has it): REDIRECT to a port of this host, or DNAT to another host\'s IPv6 address, which ip6tables writes [ADDRESS]:PORT. Forwarding to another host needs IPv6 forwarding on (net.ipv6.conf.all.forwarding=1, separate from IPv4\'s net.ipv4.ip_forward). Where the other host has its own global IPv6 address, clients can often reach it directly — open the port in its firewall instead of translating.',
  params: [
    { name: 'from-port', label: 'Port clients use', help: 'the port clients connect to', type: 'port', required: true, example: '422' },
    { name: 'to-port', label: 'Port of the service', help: 'the port the service really listens on', type: 'port', required: true, example: '22' },
    { name: 'to-host', label: 'Other host', help: 'forward to this host instead of a port on this host (leave empty for this host)', type: 'ip', example: '10.0.0.5' },
    { name: 'to-host6', label: 'Other host (IPv6)', help: 'forward IPv6 connections to this IPv6 address (leave empty for a port on this host)', type: 'ip', family: 'ipv6', twin: 'to-host', twinOptional: true, example: '2001:db8:10::5' },
    { name: 'dst', label: 'Address of this host', help: 'only forward connections to this address of the host (leave empty for any)', type: 'ip', example: '198.51.100.10' },
    { name: 'dst6', label: 'IPv6 address of this host', help: 'only forward IPv6 connections to this address of the host (leave empty for any)', type: 'ip', family: 'ipv6', twin: 'dst', example: '2001:db8::10' },
    { name: 'in', label: 'Incoming interface', help: 'only forward connections arriving on this interface (leave empty for any)', type: 'interface', example: 'eth0' },
    { name: 'proto', label: 'Protocol', help: 'the transport protocol of the service: tcp or udp', type: 'enum', choices: ['tcp', 'udp'], default: 'tcp' },
    { name: 'source', label: 'Allowed clients', help: 'only forward connections from this network (leave empty for anyone)', type: 'cidr', example: '198.51.100.0/24' },
    { name: 'source6', label: 'Allowed IPv6 clients', help: 'only forward IPv6 connections from this network (leave empty for anyone)', type: 'cidr', family: 'ipv6', twin: 'source', example: '2001:db8:100::/48' },
  ] as const,
  check(v) {
    const fams = familiesOf(v.family as FamilyChoice | undefined);
    const both = fams.length === 2;
    if (both && !!v['to-host'] !== !!v['to-host6'])
      return [{ param: v['to-host'] ? 'to-host6' : 'to-host', message: `is missing: with both families, the IPv4 connections would go to ${v['to-host'] ? v['to-host'] : 'this host'} and the IPv6 ones to ${v['to-host6'] ? v['to-host6'] : 'this host'}`, fix: 'give both --to-host and --to-host6, neither, or one --family' }];
    const sameHost = fams.every((f) => !(f === 'ipv6' ? v['to-host6'] : v['to-host']));
    if (sameHost && v['from-port'] === v['to-port'])
      return [{ param: 'to-port', message: `is the same as --from-port (${v['from-port']}) on the same host: nothing to forward`, fix: 'give a different --to-port, or a --to-host' }];
    if (v['to-host'] && v['to-host'] === v.dst) return [{ param: 'to-host', message: 'is this host\'s own address (--dst)', fix: 'leave --to-host out to forward to a port on this host' }];
    if (v['to-host6'] && v['to-host6'] === v.dst6) return [{ param: 'to-host6', message: 'is this host\'s own address (--dst6)', fix: 'leave --to-host6 out to forward to a port on this host' }];
    return [];
  },
  generate(v, ctx) {
    const F = fam(ctx.family);
    const rule = ruleMaker(ctx.family);
    const v6 = ctx.family === 'ipv6';
    const from = v['from-port'];
    const to = v['to-port'];
    const other = v6 ? v['to-host6'] : v['to-host'];
    const dst = v6 ? v.dst6 : v.dst;
    const source = v6 ? v.source6 : v.source;
    const host = dst ?? F.probe.host;
    const client = source ? F.hostIn(source) : F.probe.client;
    const pre = `-A PREROUTING${opt('-s', source)}${opt('-d', dst && `${dst}${F.hostMask}`)}${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${from}`;
    const packet = { src: client, dst: host, proto: v.proto, sport: F.probe.clientPort, dport: from, inIface: v.in ?? 'pcl0', state: 'NEW' };
    // a DNAT to another host is forwarded: said outright for IPv6, where the walk may not know the host's addresses
    const hook = v6 && other ? { hook: 'FORWARD' as const } : {};
    const probe = (what: string) => ({ packet, local: [host], expect: 'ACCEPT' as const, what, ...hook });
    const ct = `-m conntrack --ctstate DNAT --ctorigdstport ${from}`;
    const rules: RecipeRule[] = [];
    if (!other) {
      rules.push(
        rule('nat', `${pre} -j REDIRECT --to-ports ${to}`, `sends connections to port ${from} of this host to port ${to} of this host`, { probe: probe(`a new connection to port ${from}`) }),
        rule('filter', `-A INPUT${opt('-s', source)}${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${to} ${ct} -j ACCEPT`,
          `accepts the forwarded connections: after REDIRECT the packet has port ${to}, not ${from}; the conntrack match takes only connections that arrived on port ${from}, so port ${to} itself is not opened`,
          { probe: probe(`a new connection to port ${from}, redirected to ${to}`) }),
        establishedAccept('OUTPUT', {}, true, 'top', ctx.family),
      );
      return { chains: [], rules, preconditions: [], notes: [] };
    }
    rules.push(
      rule('nat', `${pre} -j DNAT --to-destination ${F.dnatTo(other, to)}`, `sends connections to port ${from} on to ${other} port ${to}`, { probe: probe(`a new connection to port ${from}`) }),
      establishedAccept('FORWARD', {}, false, 'top', ctx.family),
      rule('filter', `-A FORWARD${opt('-s', source)} -d ${other}${F.hostMask}${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${to} ${ct} -j ACCEPT`,
        `forwards the translated connections: after DNAT the packet is addressed to ${other} port ${to} (not ${from}); the conntrack match takes only connections that arrived on port ${from}`,
        { probe: probe(`a new connection to port ${from}, forwarded to ${other}:${to}`) }),
    );
    return {
      chains: [],
      rules,
      preconditions: [
        F.forward,
        { kind: 'routing', what: `${other} routes its replies through this host`, why: 'the DNAT is undone on the reply only if it passes through this host', check: `ip route get <client address>   (on ${other})`, fix: `make this host ${other}'s gateway for the clients, or add a MASQUERADE rule in nat POSTROUTING for -d ${other}` },
      ],
      notes: [],
    };
  },
});
