// dns-out: let this host ask DNS servers. The seed accepted every UDP packet
// with source port 53 — anyone can send from port 53 and reach any UDP port.
// The replies are recognised by conntrack instead.
import { defineRecipe } from './types.js';
import { establishedAccept } from './common.js';
import { fam } from './family.js';
import { opt, ruleMaker } from './rules.js';

export const dnsOut = /* @__PURE__ */ defineRecipe({
  name: 'dns-out',
  title: 'Allow outbound DNS',
  summary: 'DNS queries out over UDP and TCP, replies in by connection state (not by source port 53)',
  description:
    'Lets this host query DNS servers over UDP and TCP port 53 (TCP is used for large answers). The answers come back as replies of those connections, recognised by connection tracking: accepting "anything from port 53", as the original recipe did, lets anyone reach every port by sending from port 53.',
  ipv6: 'The same rules in ip6tables for DNS servers reached over IPv6 (a resolver in /etc/resolv.conf with an IPv6 address, or one the host picks by itself). With a DNS server network for IPv4, give the IPv6 one too, or the IPv6 rules would allow every server.',
  params: [
    { name: 'if', label: 'Interface', help: 'only towards DNS servers on this interface (leave empty for any)', type: 'interface', example: 'eth0' },
    { name: 'servers', label: 'DNS server network', help: 'only to these servers (leave empty for any)', type: 'cidr', example: '192.0.2.53/32' },
    { name: 'servers6', label: 'DNS server IPv6 network', help: 'only to these IPv6 servers (leave empty for any)', type: 'cidr', family: 'ipv6', twin: 'servers', example: '2001:db8::53/128' },
    { name: 'tcp', label: 'DNS over TCP too', help: 'also allow TCP port 53 (answers larger than 512 bytes, DNSSEC)', type: 'bool', default: true },
  ] as const,
  generate(v, ctx) {
    const F = fam(ctx.family);
    const rule = ruleMaker(ctx.family);
    const servers = ctx.family === 'ipv6' ? v.servers6 : v.servers;
    const server = servers ? F.hostIn(servers) : F.probe.remote;
    const out = (proto: 'udp' | 'tcp') =>
      rule('filter', `-A OUTPUT${opt('-d', servers)}${opt('-o', v.if)} -p ${proto} -m ${proto} --dport 53 -j ACCEPT`,
        `lets this host send DNS queries over ${proto.toUpperCase()} to port 53${servers ? ` of ${servers}` : ''}`,
        { probe: { packet: { src: F.probe.host, dst: server, proto, sport: F.probe.clientPort, dport: 53, outIface: v.if ?? 'pcl1', state: 'NEW' }, hook: 'OUTPUT', local: [F.probe.host], expect: 'ACCEPT', what: `a DNS query over ${proto.toUpperCase()}` } });
    const rules = [out('udp'), ...(v.tcp ? [out('tcp')] : [])];
    const reply = establishedAccept('INPUT', { in: v.if }, false, 'top', ctx.family);
    reply.why = 'lets in the answers: they are replies of the queries above, so conntrack knows them — unlike "source port 53", which anyone can send from';
    rules.push(reply);
    return { chains: [], rules, preconditions: [], notes: [] };
  },
});
