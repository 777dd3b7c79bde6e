// The tracer on IPv6 (ip6tables) rulesets: addresses and prefixes, ICMPv6
// types as ip6tables names them, hop limits, the IPv6 nat table, REJECT with
// ICMPv6 types, addrtype, and the host's addresses and routes in IPv6.
import { describe, expect, it } from 'vitest';
import { parseRuleset } from './index.js';
import { tracePacket, TraceInputError, type PacketSpec, type TraceOptions } from './trace.js';

function rs6(text: string) {
  const r = parseRuleset(text, { family: 'ipv6' });
  const errors = r.findings.filter((f) => f.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => `${e.line}: ${e.message}`).join('\n'));
  expect(r.ruleset.family).toBe('ipv6');
  return r.ruleset;
}
const filter6 = (rules: string, policy = 'ACCEPT') => rs6(`*filter\n:INPUT ${policy} [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}\nCOMMIT\n`);
const NAT_HEAD = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';
const ssh6: PacketSpec = { src: '2001:db8:9::5', dst: '2001:db8:1::1', proto: 'tcp', sport: 40000, dport: 22, inIface: 'eth0' };
const trace = (text: string, p: PacketSpec, o?: TraceOptions) => tracePacket(rs6(text), p, o);

// a host that drops by default and lets in what IPv6 needs (RFC 4890) and SSH from one network
const HOST = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -m hl --hl-eq 255 -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -m hl --hl-eq 255 -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -s fe80::/10 -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -m limit --limit 10/sec -j ACCEPT
-A INPUT -s 2001:db8:9::/48 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A INPUT -j REJECT --reject-with icmp6-adm-prohibited
COMMIT
`;

describe('tracePacket on IPv6', () => {
  it('tcp 22 from inside an IPv6 prefix is accepted; from outside it, rejected with a TCP reset', () => {
    const r = trace(HOST, ssh6);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy).toMatchObject({ chain: 'INPUT', index: 7 });
    expect(r.packet).toEqual({ src: '2001:db8:9::5', dst: '2001:db8:1::1', sport: 40000, dport: 22 });
    const out = trace(HOST, { ...ssh6, src: '2001:db8:a::5' });
    expect(out.verdict).toBe('REJECT');
    expect(out.decidedBy).toMatchObject({ index: 8 });
    expect(out.path.at(-1)!.action).toBe('REJECT (tcp-reset)');
    // the prefix boundary: 2001:db8:9:ffff:… is inside /48, 2001:db8:8:… is not
    expect(trace(HOST, { ...ssh6, src: '2001:db8:9:ffff:ffff:ffff:ffff:ffff' }).verdict).toBe('ACCEPT');
    expect(trace(HOST, { ...ssh6, src: '2001:db8:8:ffff::1' }).verdict).toBe('REJECT');
  });

  it('neighbour discovery: the ICMPv6 type by name, with hop limit 255 by default', () => {
    const ns = trace(HOST, { src: 'fe80::2', dst: 'ff02::1:ff00:1', proto: 'icmpv6', icmpType: 'neighbour-solicitation', inIface: 'eth0' });
    expect(ns.verdict).toBe('ACCEPT');
    expect(ns.decidedBy).toMatchObject({ index: 3 });
    // the American spelling and a number, as ip6tables takes them
    expect(trace(HOST, { src: 'fe80::2', dst: 'fe80::1', proto: 'ipv6-icmp', icmpType: 'neighbor-advertisement', inIface: 'eth0' }).decidedBy).toMatchObject({ index: 4 });
    expect(trace(HOST, { src: 'fe80::2', dst: 'fe80::1', proto: 58, icmpType: 136, inIface: 'eth0' }).decidedBy).toMatchObject({ index: 4 });
    // a forged one from off-link (hop limit below 255) falls through to the REJECT
    const forged = trace(HOST, { src: '2001:db8:a::1', dst: 'fe80::1', proto: 'icmp', icmpType: 'neighbour-solicitation', hopLimit: 60, inIface: 'eth0' });
    expect(forged.verdict).toBe('REJECT');
    expect(forged.path.at(-1)!.action).toBe('REJECT (icmp6-adm-prohibited)');
  });

  it('router advertisements only from link-local sources', () => {
    expect(trace(HOST, { src: 'fe80::1', dst: 'ff02::1', proto: 'icmp', icmpType: 'router-advertisement', inIface: 'eth0' }).verdict).toBe('ACCEPT');
    expect(trace(HOST, { src: '2001:db8:a::1', dst: 'ff02::1', proto: 'icmp', icmpType: 'router-advertisement', inIface: 'eth0' }).verdict).toBe('REJECT');
  });

  it('icmp6 echo: a ping by default, accepted under the rate limit and rejected over it', () => {
    const r = trace(HOST, { src: '2001:db8:a::1', dst: '2001:db8:1::1', proto: 'icmp', inIface: 'eth0' });
    expect(r.verdict).toBe('CONDITIONAL');
    expect(r.outcomes!.map((o) => `${o.verdict} if ${o.condition}`)).toEqual(['REJECT if over 10/sec', 'ACCEPT if under 10/sec']);
    // an echo reply (129) is not an echo request
    expect(trace(HOST, { src: '2001:db8:a::1', dst: '2001:db8:1::1', proto: 'icmp', icmpType: 'echo-reply', inIface: 'eth0' }).verdict).toBe('REJECT');
    // the ICMPv6 types and codes as ip6tables reads them: destination-unreachable/port-unreachable is 1/4
    const r2 = tracePacket(filter6('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/4 -j DROP'), { src: '2001:db8::1', dst: '2001:db8::2', proto: 'icmp', icmpType: 'port-unreachable', inIface: 'eth0' });
    expect(r2.verdict).toBe('DROP');
    const r3 = tracePacket(filter6('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/4 -j DROP'), { src: '2001:db8::1', dst: '2001:db8::2', proto: 'icmp', icmpType: 'no-route', inIface: 'eth0' });
    expect(r3.verdict).toBe('ACCEPT');
  });

  it('an open hop limit forks on -m hl; a given one decides', () => {
    const text = filter6('-A INPUT -p tcp -m hl --hl-lt 10 -j DROP');
    const open = tracePacket(text, ssh6);
    expect(open.verdict).toBe('CONDITIONAL');
    expect(tracePacket(text, { ...ssh6, hopLimit: 5 }).verdict).toBe('DROP');
    expect(tracePacket(text, { ...ssh6, hopLimit: 64 }).verdict).toBe('ACCEPT');
  });

  it('nat6: a DNAT with a bracketed address and port turns INPUT into FORWARD, and filter sees the new destination', () => {
    const text = `${NAT_HEAD}-A PREROUTING -d 2001:db8:1::1/128 -p tcp -m tcp --dport 8080 -j DNAT --to-destination [2001:db8:2::10]:80\nCOMMIT\n`
      + '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -d 2001:db8:2::10/128 -p tcp -m tcp --dport 80 -j ACCEPT\nCOMMIT\n';
    const r = trace(text, { ...ssh6, dport: 8080 }, { local: ['eth0=2001:db8:1::1'], routes: ['2001:db8:2::/64=eth1'] });
    expect(r.verdict).toBe('ACCEPT');
    expect(r.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    expect(r.path[0].action).toBe('DNAT to [2001:db8:2::10]:80');
    expect(r.decidedBy).toMatchObject({ table: 'filter', chain: 'FORWARD', index: 1 });
    expect(r.packet).toEqual({ src: '2001:db8:9::5', dst: '2001:db8:2::10', sport: 40000, dport: 80 });
    // a DNAT to an address without a port (no brackets) keeps the port
    const plain = `${NAT_HEAD}-A PREROUTING -p tcp -m tcp --dport 22 -j DNAT --to-destination 2001:db8:2::10\nCOMMIT\n`;
    const p = trace(plain, ssh6, { local: ['2001:db8:1::1'] });
    expect(p.path[0].action).toBe('DNAT to 2001:db8:2::10');
    expect(p.packet).toMatchObject({ dst: '2001:db8:2::10', dport: 22 });
    expect(p.hooks).toContain('FORWARD');
  });

  it('nat6: a DNAT to an address range leaves the destination open; a source already in an SNAT range is kept', () => {
    const text = `${NAT_HEAD}-A PREROUTING -p tcp -m tcp --dport 22 -j DNAT --to-destination [2001:db8:2::10-2001:db8:2::12]:2222\n`
      + '-A POSTROUTING -o eth1 -j SNAT --to-source 2001:db8:9::1-2001:db8:9::ff\nCOMMIT\n';
    const r = trace(text, ssh6, { local: ['eth0=2001:db8:1::1'], routes: ['default=eth1'] });
    expect(r.path[0].action).toBe('DNAT to one of [2001:db8:2::10-2001:db8:2::12]:2222');
    // the destination is open, so is the route out: both ways, each with the port known
    expect(r.outcomes!.map((o) => [o.condition, o.packet.dst, o.packet.dport])).toEqual([['not leaving by eth1', null, 2222], ['leaving by eth1', null, 2222]]);
    expect(r.outcomes![1].path.at(-1)!.action).toBe('SNAT to 2001:db8:9::5');
  });

  it('nat6: REDIRECT goes to the incoming interface\'s first address; MASQUERADE picks the source by scope and prefix', () => {
    const redirect = `${NAT_HEAD}-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 3128\nCOMMIT\n`;
    const r = trace(redirect, { ...ssh6, dport: 80 }, { local: ['eth0=fe80::1', 'eth0=2001:db8:1::1'] });
    expect(r.path[0].action).toBe('REDIRECT to [fe80::1]:3128');
    expect(r.hooks).toEqual(['PREROUTING', 'INPUT']);
    // from the host itself: ::1
    const out = trace(`${NAT_HEAD}-A OUTPUT -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 3128\nCOMMIT\n`, { src: '2001:db8:1::1', dst: '2001:db8:5::1', proto: 'tcp', dport: 80, outIface: 'eth1' });
    expect(out.path[0].action).toBe('REDIRECT to [::1]:3128');
    const masq = `${NAT_HEAD}-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n`;
    const local = ['eth1=fe80::9', 'eth1=2001:db8:5::9', 'eth1=2001:db8:7::9'];
    const fwd = (dst: string) => trace(masq, { src: '2001:db8:9::5', dst, proto: 'udp', sport: 5000, dport: 53, inIface: 'eth0', outIface: 'eth1' }, { local });
    expect(fwd('2001:db8:5::1').packet).toMatchObject({ src: '2001:db8:5::9' });
    expect(fwd('2001:db8:7::1').packet).toMatchObject({ src: '2001:db8:7::9' });
    expect(fwd('fe80::1').packet).toMatchObject({ src: 'fe80::9' });
    // the longest common prefix: 2001:db8:6:: shares more with 2001:db8:7:: than with 2001:db8:5::
    expect(fwd('2001:db8:6::1').packet).toMatchObject({ src: '2001:db8:7::9' });
    // two equally good candidates: the first as `ip -6 addr show` lists them, as the kernel keeps the first
    expect(fwd('2001:db8:8::1').packet).toMatchObject({ src: '2001:db8:5::9' });
    // one given without its interface could be the outgoing interface's and win: not told
    const loose = (dst: string) => trace(masq, { src: '2001:db8:9::5', dst, proto: 'udp', sport: 5000, dport: 53, inIface: 'eth0', outIface: 'eth1' }, { local: [...local, '2001:db8:6::9'] });
    expect(loose('2001:db8:6::1').packet).toMatchObject({ src: null });
    expect(loose('fe80::1').packet).toMatchObject({ src: 'fe80::9' });
  });

  it('nat6: MASQUERADE counts the common prefix up to each address\'s own prefix length (IFACE=IP/LEN), /64 where not given', () => {
    const masq = `${NAT_HEAD}-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n`;
    const fwd = (dst: string, local: string[]) => trace(masq, { src: '2001:db8:9::5', dst, proto: 'udp', sport: 5000, dport: 53, inIface: 'eth0', outIface: 'eth1' }, { local }).packet?.src;
    // 126 bits in common with the /126 one, 125 with the other: both /64 would tie (the first wins), the lengths decide
    expect(fwd('2001:db8:3::2', ['eth1=2001:db8:3::5/64', 'eth1=2001:db8:3::1/126'])).toBe('2001:db8:3::1');
    expect(fwd('2001:db8:3::2', ['eth1=2001:db8:3::5', 'eth1=2001:db8:3::1'])).toBe('2001:db8:3::5');
    // a /56 shares 120 bits with the destination but counts 56; the /64 one shares 64 and counts 64
    expect(fwd('2001:db8:3::2', ['eth1=2001:db8:3::100/56', 'eth1=2001:db8:3:0:ffff::1/64'])).toBe('2001:db8:3:0:ffff::1');
    // only a link-local address on the way out: a global address of another interface (scope first)
    expect(fwd('2001:db8:3::2', ['eth0=2001:db8:2::1/64', 'eth1=fe80::9/64'])).toBe('2001:db8:2::1');
    // a unique-local address on the way out beats a global one elsewhere: the outgoing interface before the label
    expect(fwd('2001:db8:3::2', ['eth0=2001:db8:2::1/64', 'eth1=fd00::9/64'])).toBe('fd00::9');
    // on the way out: a global one and a unique-local one; the label (global like the destination) decides
    expect(fwd('2001:db8:3::2', ['eth1=fd00::9/64', 'eth1=2001:db8:7::9/64'])).toBe('2001:db8:7::9');
    // the outgoing interface's addresses not given: not told
    expect(fwd('2001:db8:3::2', ['eth0=2001:db8:2::1/64'])).toBeNull();
    expect(() => fwd('2001:db8:3::2', ['eth1=2001:db8:3::1/129'])).toThrow(TraceInputError);
  });

  it('addrtype ANYCAST and UNREACHABLE from the routes known (as the kernel\'s route lookup answers, observed in a namespace)', () => {
    const text = rs6('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -m addrtype --dst-type ANYCAST -j DROP\n-A PREROUTING -m addrtype --dst-type UNREACHABLE -j DROP\nCOMMIT\n');
    const local = ['eth0=2001:db8:1::1/64', 'eth0=2001:db8:5::1/120'];
    const routes = ['2001:db8:9::/64=eth0', 'default=eth1'];
    const at = (dst: string, o: TraceOptions) => tracePacket(text, { ...ssh6, dst }, { hook: 'INPUT', ...o }).verdict;
    // the subnet-router anycast address of an on-link prefix
    expect(at('2001:db8:1::', { local })).toBe('DROP');
    expect(at('2001:db8:5::', { local })).toBe('DROP');
    // in an on-link prefix, not its network address: neither
    expect(at('2001:db8:1::2', { local })).toBe('ACCEPT');
    // the host's own and multicast: neither
    expect(at('2001:db8:1::1', { local })).toBe('ACCEPT');
    expect(at('ff02::1', { local })).toBe('ACCEPT');
    // outside every on-link prefix: not told without routes; with the routing table, covered by a route or not
    expect(at('2001:db8:7::1', { local })).toBe('CONDITIONAL');
    expect(at('2001:db8:7::1', { local, routes })).toBe('ACCEPT');
    expect(at('2001:db8:7::1', { local, routes: ['2001:db8:9::/64=eth0'] })).toBe('DROP');
    // a told route's own network address: anycast only if it has no gateway, which a route given does not say
    expect(at('2001:db8:9::', { local, routes })).toBe('CONDITIONAL');
    // without /LEN an address makes no on-link prefix
    expect(at('2001:db8:1::', { local: ['eth0=2001:db8:1::1'] })).toBe('CONDITIONAL');
  });

  it('addrtype LOCAL and MULTICAST on IPv6 addresses; UNICAST includes the host\'s own', () => {
    const text = filter6('-A INPUT -m addrtype --dst-type MULTICAST -j DROP\n-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp6-port-unreachable', 'ACCEPT');
    const opts = { local: ['2001:db8:1::1'] };
    expect(tracePacket(text, { ...ssh6, dst: 'ff02::1' }, opts).verdict).toBe('DROP');
    expect(tracePacket(text, ssh6, opts).verdict).toBe('ACCEPT');
    expect(tracePacket(text, { ...ssh6, dst: '::1', inIface: 'lo' }, opts).verdict).toBe('ACCEPT');
    // not one of the host's: forwarded, and INPUT's addrtype rules never see it
    const other = tracePacket(text, { ...ssh6, dst: '2001:db8:1::2' }, opts);
    expect(other.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    // the host's addresses not given: an INPUT packet's destination is taken to be the host's own
    expect(tracePacket(text, { ...ssh6, dst: '2001:db8:1::2' }, { hook: 'INPUT' }).verdict).toBe('ACCEPT');
    const sure = filter6('-A OUTPUT -m addrtype --dst-type LOCAL -j ACCEPT\n-A OUTPUT -j REJECT --reject-with icmp6-port-unreachable');
    expect(tracePacket(sure, { src: '2001:db8:1::1', dst: '2001:db8:5::1', proto: 'udp', sport: 1, dport: 53, outIface: 'eth0' }, opts).verdict).toBe('REJECT');
    expect(tracePacket(sure, { src: '2001:db8:1::1', dst: '2001:db8:5::1', proto: 'udp', sport: 1, dport: 53, outIface: 'eth0' }).verdict).toBe('CONDITIONAL');
    // ip6tables asks each of UNICAST and LOCAL to hold (not either): a local address is both
    const both = filter6('-A INPUT -m addrtype --dst-type UNICAST,LOCAL -j DROP');
    expect(tracePacket(both, ssh6, opts).verdict).toBe('DROP');
    expect(tracePacket(both, { ...ssh6, dst: '2001:db8:1::2' }, opts).verdict).toBe('ACCEPT');
  });

  it('a forwarded packet has one hop less in FORWARD than in PREROUTING (ip6_forward)', () => {
    const text = rs6(`*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n`
      + '-A PREROUTING -m hl --hl-eq 64\n-A FORWARD -m hl --hl-eq 63 -j DROP\nCOMMIT\n');
    const r = tracePacket(text, { ...ssh6, dst: '2001:db8:5::1', hopLimit: 64 }, { local: ['2001:db8:1::1'] });
    expect(r.path.filter((s) => s.index !== null).map((s) => `${s.chain} #${s.index}`)).toEqual(['PREROUTING #1', 'FORWARD #1']);
    expect(r.verdict).toBe('DROP');
    // delivered locally: no hop taken off
    expect(tracePacket(text, { ...ssh6, hopLimit: 64 }, { local: ['2001:db8:1::1'] }).verdict).toBe('ACCEPT');
  });

  it('iprange with IPv6 addresses', () => {
    const text = filter6('-A INPUT -m iprange --src-range 2001:db8::10-2001:db8::20 -j DROP');
    expect(tracePacket(text, { ...ssh6, src: '2001:db8::15' }).verdict).toBe('DROP');
    expect(tracePacket(text, { ...ssh6, src: '2001:db8::21' }).verdict).toBe('ACCEPT');
  });

  it('routes pick the outgoing interface of a forwarded packet by longest IPv6 prefix', () => {
    const text = filter6('-A FORWARD -o eth2 -j DROP\n-A FORWARD -o eth1 -j ACCEPT', 'DROP');
    const o = { local: ['eth0=2001:db8:1::1'], routes: ['2001:db8::/32=eth1', '2001:db8:5::/48=eth2'], hook: 'INPUT' as const };
    expect(tracePacket(text, { ...ssh6, dst: '2001:db8:6::1' }, o).verdict).toBe('ACCEPT');
    expect(tracePacket(text, { ...ssh6, dst: '2001:db8:5::1' }, o).verdict).toBe('DROP');
  });

  it('an ESTABLISHED packet of a DNATed IPv6 connection gets its connection\'s translation', () => {
    const text = `${NAT_HEAD}-A PREROUTING -p tcp -m tcp --dport 22 -j DNAT --to-destination [2001:db8:2::10]:2222\nCOMMIT\n`;
    const r = trace(text, { ...ssh6, state: 'ESTABLISHED' }, { local: ['2001:db8:1::1'] });
    expect(r.path[0].action).toMatch(/^conntrack: DNAT to \[2001:db8:2::10\]:2222/);
    expect(r.packet).toMatchObject({ dst: '2001:db8:2::10', dport: 2222 });
  });

  it('a RELATED ICMPv6 error gets the translation of the connection it is about; a RELATED connection of its own runs through nat', () => {
    const text = `${NAT_HEAD}-A PREROUTING -d 2001:db8:1::1/128 -p udp -m udp --dport 53 -j DNAT --to-destination [2001:db8:2::10]:5353\n`
      + '-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n';
    const o = { local: ['eth0=2001:db8:1::1/64', 'eth1=2001:db8:2::1/64'], routes: ['2001:db8:2::/64=eth1'] };
    // port unreachable about the answer of a connection to 2001:db8:1::1: a TCP or ping connection got no DNAT, a UDP one to port 53 did
    const err = trace(text, { src: '2001:db8:9::5', dst: '2001:db8:1::1', proto: 'icmp', icmpType: 'port-unreachable', inIface: 'eth0', state: 'RELATED' }, o);
    expect(err.outcomes).toHaveLength(2);
    const dnat = err.outcomes!.find((x) => /DNAT/.test(x.condition))!;
    expect(dnat.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    // addresses translated (MASQUERADE's source too), no ports on an ICMPv6 error
    expect(dnat.packet).toMatchObject({ src: '2001:db8:2::1', dst: '2001:db8:2::10' });
    expect(dnat.packet.dport ?? null).toBeNull();
    expect(err.outcomes!.find((x) => !/DNAT/.test(x.condition))!.hooks).toEqual(['PREROUTING', 'INPUT']);
    // an expected connection's first packet (FTP data, say) meets the nat table itself
    const data = trace(text, { src: '2001:db8:9::5', dst: '2001:db8:1::1', proto: 'udp', sport: 20, dport: 53, inIface: 'eth0', state: 'RELATED' }, o);
    expect(data.path[0].action).toMatch(/^DNAT to \[2001:db8:2::10\]:5353/);
  });

  it('bad IPv6 input is a clear TraceInputError', () => {
    const rs = filter6('');
    expect(() => tracePacket(rs, { ...ssh6, src: '198.18.0.1' })).toThrow(/source: "198\.18\.0\.1" is not an IPv6 address \(it is an IPv4 address/);
    expect(() => tracePacket(rs, { ...ssh6, dst: '2001:db8::g' })).toThrow(TraceInputError);
    expect(() => tracePacket(rs, { ...ssh6, proto: 'icmp', icmpType: 'echo' })).toThrow(/icmpv6 type: "echo"/);
    expect(() => tracePacket(rs, ssh6, { local: ['eth0=198.18.0.1'] })).toThrow(/local address: "eth0=198\.18\.0\.1" is not an IPv6 address/);
    expect(() => tracePacket(rs, ssh6, { routes: ['2001:db8::/129=eth0'] })).toThrow(/route: "2001:db8::\/129=eth0"/);
    // and an IPv6 address in an IPv4 trace
    const v4 = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n').ruleset;
    expect(() => tracePacket(v4, ssh6)).toThrow(/is not an IPv4 address \(it is an IPv6 address/);
  });
});
