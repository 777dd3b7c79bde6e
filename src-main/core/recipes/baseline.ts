// baseline: the seed's "most of the rules" — trusted network, SSH, ICMP,
// established connections, then REJECT everything else — ordered so it works:
// replies and SSH are accepted before the final REJECT, loopback first.
// In IPv6 the final REJECT would also cut neighbour discovery and router
// advertisements (the host loses IPv6 altogether), so the ICMPv6 messages
// RFC 4890 §4.4.1 says a host must not drop are accepted before it.
import { defineRecipe, type RecipeRule } from './types.js';
import { establishedAccept } from './common.js';
import { fam, rejectWith } from './family.js';
import { ruleMaker, type RuleMaker } from './rules.js';

const REJECT_CHOICES = ['icmp-port-unreachable', 'icmp-host-prohibited', 'icmp-admin-prohibited', 'icmp-net-unreachable', 'icmp-host-unreachable'] as const;

export const baseline = /* @__PURE__ */ defineRecipe({
  name: 'baseline',
  title: 'Basic host firewall',
  summary: 'accept established, loopback, trusted network, SSH and ICMP, then REJECT everything else',
  description:
    'A basic firewall for a server: replies of its own connections, loopback, everything from a trusted network, new SSH connections and ICMP (ping, path MTU discovery) are accepted; every other incoming packet is rejected by a rule at the bottom of INPUT. The policy stays ACCEPT, so flushing the rules never locks you out.',
  ipv6:
    'IPv6 needs ICMPv6 to work at all: neighbour solicitations and advertisements (IPv6\'s ARP), router advertisements (the address and default route of SLAAC) and multicast listener messages are always accepted, before the final REJECT, with the hop limit 255 that proves they come from the link (router solicitations too for a router). With "Accept ICMP" the errors IPv6 relies on (packet too big — routers do not fragment IPv6 —, destination unreachable, time exceeded, parameter problem) and ping, at most 5 a second, are accepted too. REJECT answers with the ICMPv6 type of the same meaning.',
  params: [
    { name: 'trusted', label: 'Trusted network', help: 'accept everything from this network, e.g. the admins\' subnet (leave empty for none)', type: 'cidr', example: '192.168.1.0/24' },
    { name: 'trusted6', label: 'Trusted IPv6 network', help: 'accept everything from this IPv6 network (leave empty for none)', type: 'cidr', family: 'ipv6', twin: 'trusted', twinOptional: true, example: '2001:db8:1::/64' },
    { name: 'ssh-port', label: 'SSH port', help: 'the port sshd listens on', type: 'port', default: '22' },
    { name: 'icmp', label: 'Accept ICMP', help: 'accept ping and the ICMP messages path MTU discovery needs', type: 'bool', default: true },
    { name: 'loopback', label: 'Accept loopback', help: 'accept everything on lo (local services)', type: 'bool', default: true },
    { name: 'reject-with', label: 'Reject with', help: 'the ICMP error rejected packets get (IPv6: the ICMPv6 error of the same meaning)', type: 'enum', choices: REJECT_CHOICES, default: 'icmp-host-prohibited' },
    { name: 'router', label: 'IPv6 router', help: 'also accept router solicitations (ICMPv6 133) from the link: for a host that answers them with router advertisements (radvd); router advertisements themselves are always accepted (a router with forwarding on ignores them anyway)', type: 'bool', default: false, family: 'ipv6' },
    { name: 'dhcpv6', label: 'DHCPv6 client', help: 'accept DHCPv6 answers from the link (UDP port 546 on a link-local address), as CentOS\'s stock ip6tables file does; only for a host that gets its IPv6 address by DHCPv6', type: 'bool', default: false, family: 'ipv6' },
  ] as const,
  generate(v, ctx) {
    const F = fam(ctx.family);
    const rule = ruleMaker(ctx.family);
    const pkt = (over: Record<string, unknown>) => ({ src: F.probe.client, dst: F.probe.host, proto: 'tcp', sport: F.probe.clientPort, dport: 3306, inIface: 'pcl0', state: 'NEW', ...over });
    const rules: RecipeRule[] = [{ ...establishedAccept('INPUT', {}, false, 'top', ctx.family), why: 'accepts the replies of connections this host opened and the rest of connections accepted below (and related ICMP errors); without it the final REJECT would cut them' }];
    if (v.loopback) {
      rules.push(rule('filter', '-A INPUT -i lo -j ACCEPT', 'accepts traffic of local services over the loopback interface', {
        position: 'top',
        probe: { packet: pkt({ src: F.probe.loopback, dst: F.probe.loopback, inIface: 'lo', dport: 5432 }), hook: 'INPUT', expect: 'ACCEPT', what: 'a local connection over lo' },
      }));
    }
    const trusted = ctx.family === 'ipv6' ? v.trusted6 : v.trusted;
    if (trusted) {
      rules.push(rule('filter', `-A INPUT -s ${trusted} -j ACCEPT`, `accepts everything from the trusted network ${trusted}`, {
        probe: { packet: pkt({ src: F.hostIn(trusted) }), local: [F.probe.host], expect: 'ACCEPT', what: `a new connection from ${trusted}` },
      }));
    }
    rules.push(rule('filter', `-A INPUT -p tcp -m tcp --dport ${v['ssh-port']} -j ACCEPT`, `accepts SSH on port ${v['ssh-port']} — before the final REJECT, or you lock yourself out`, {
      probe: { packet: pkt({ dport: v['ssh-port'] }), local: [F.probe.host], expect: 'ACCEPT', what: `a new SSH connection to port ${v['ssh-port']}` },
    }));
    if (ctx.family === 'ipv6') rules.push(...icmpv6Rules(rule, v.icmp, v.router), ...(v.dhcpv6 ? [dhcpv6Rule(rule)] : []));
    else if (v.icmp) {
      rules.push(rule('filter', '-A INPUT -p icmp -j ACCEPT', 'accepts ICMP: ping, and the "fragmentation needed" messages path MTU discovery relies on', {
        probe: { packet: { src: F.probe.client, dst: F.probe.host, proto: 'icmp', icmpType: 8, inIface: 'pcl0', state: 'NEW' }, local: [F.probe.host], expect: 'ACCEPT', what: 'a ping' },
      }));
    }
    const reject = rejectWith(ctx.family, v['reject-with']);
    rules.push(rule('filter', `-A INPUT -j REJECT --reject-with ${reject}`,
      'rejects every other incoming packet; it must stay the last rule of INPUT, since nothing after it can match. The policy stays ACCEPT, so flushing the rules never locks you out', { catchAll: true }));
    const notes = ctx.family === 'ipv6' && reject !== v['reject-with'] ? [`IPv6 rejects with ${reject}, ICMPv6's ${v['reject-with']}`] : [];
    return { chains: [], rules, preconditions: [], notes };
  },
});

/**
 * The ICMPv6 a host must not drop (RFC 4890 §4.4.1): neighbour discovery and
 * router advertisements always (only from the link: hop limit 255, which a
 * router would have decremented), multicast listener discovery from link-local
 * addresses; with `icmp`, the errors and a rate-limited ping.
 */
function icmpv6Rules(rule: RuleMaker, icmp: boolean, router: boolean): RecipeRule[] {
  const host = fam('ipv6').probe.host;
  // neighbour discovery is untracked by conntrack (observed on Linux: ctstate UNTRACKED), comes from
  // link-local addresses with hop limit 255; an error nobody's connection expects is INVALID
  const t = (type: number, tail: string, why: string, what: string, state = 'UNTRACKED', hopLimit = 255) =>
    rule('filter', `-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ${type}${tail} -j ACCEPT`, why, {
      probe: { packet: { src: 'fe80::1', dst: host, proto: 'ipv6-icmp', icmpType: type, hopLimit, inIface: 'pcl0', state }, local: [host], expect: 'ACCEPT', what },
    });
  const hl255 = ' -m hl --hl-eq 255';
  const linkLocal = (type: number, name: string) =>
    rule('filter', `-A INPUT -s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j ACCEPT`,
      `accepts multicast listener ${name} (ICMPv6 type ${type}) from link-local addresses: switches that snoop them stop sending this host the multicast neighbour discovery uses if it goes silent`, {
        probe: { packet: { src: 'fe80::1', dst: host, proto: 'ipv6-icmp', icmpType: type, hopLimit: 1, inIface: 'pcl0', state: 'UNTRACKED' }, local: [host], expect: 'ACCEPT', what: `a multicast listener ${name.replace(/s\b.*$/, '')}` },
      });
  const out: RecipeRule[] = [
    t(135, hl255, 'accepts neighbour solicitations (ICMPv6 135, IPv6\'s ARP) from the link; without them nobody can reach this host\'s addresses and it loses IPv6 altogether', 'a neighbour solicitation'),
    t(136, hl255, 'accepts neighbour advertisements (ICMPv6 136), the answers to this host\'s own solicitations; without them it cannot reach its router or neighbours', 'a neighbour advertisement'),
    t(134, hl255, 'accepts router advertisements (ICMPv6 134) from the link: the prefix and default route of SLAAC; without them they expire and the host loses IPv6 unless it is configured statically', 'a router advertisement'),
    ...(router ? [t(133, hl255, 'accepts router solicitations (ICMPv6 133) from the link: hosts ask the router for its advertisement when they start, instead of waiting for the next one', 'a router solicitation')] : []),
    linkLocal(130, 'queries'), linkLocal(131, 'reports'), linkLocal(132, 'done messages'), linkLocal(143, 'reports (MLDv2)'),
  ];
  if (!icmp) return out;
  const err = (type: number, name: string, why: string) =>
    t(type, '', `accepts ICMPv6 ${name} (type ${type}): ${why}`, `an ICMPv6 ${name}`, 'INVALID', 64);
  out.push(
    err(1, 'destination unreachable', 'tells a connection at once that its peer cannot be reached, instead of a timeout'),
    err(2, 'packet too big', 'IPv6 routers never fragment: path MTU discovery depends on this message, and without it large packets vanish'),
    err(3, 'time exceeded', 'reports routing loops and makes traceroute work'),
    err(4, 'parameter problem', 'reports a header the other end could not read'),
    rule('filter', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -m limit --limit 5/sec --limit-burst 10 -j ACCEPT',
      'accepts ping (echo request, ICMPv6 128), at most 5 a second after a burst of 10, so a ping flood is cut by the final REJECT'),
  );
  return out;
}

function dhcpv6Rule(rule: RuleMaker): RecipeRule {
  return rule('filter', '-A INPUT -d fe80::/64 -p udp -m udp --dport 546 -m conntrack --ctstate NEW -j ACCEPT',
    'accepts DHCPv6 answers on this host\'s link-local address (UDP 546): the server answers a multicast request, so conntrack does not see them as replies');
}
