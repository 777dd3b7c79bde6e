import { describe, expect, it } from 'vitest';
import { parseRuleset } from './index.js';
import { describeTrace, tracePacket, TraceInputError, type PacketSpec, type TraceOptions } from './trace.js';

function rs(text: string) {
  const r = parseRuleset(text);
  const errors = r.findings.filter((f) => f.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => `${e.line}: ${e.message}`).join('\n'));
  return r.ruleset;
}
const filter = (rules: string, policy = 'ACCEPT', extra = '') => rs(`*filter\n:INPUT ${policy} [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n${extra}${rules}\nCOMMIT\n`);
const ssh: PacketSpec = { src: '203.0.113.5', dst: '198.51.100.1', proto: 'tcp', sport: 40000, dport: 22, inIface: 'eth0' };
const trace = (text: string, p: PacketSpec, o?: TraceOptions) => tracePacket(rs(text), p, o);

describe('tracePacket', () => {
  it('first matching rule with a verdict decides (ORDER MATTERS)', () => {
    const r = tracePacket(filter('-A INPUT -p tcp --dport 22 -j DROP\n-A INPUT -p tcp --dport 22 -j ACCEPT'), ssh);
    expect(r.verdict).toBe('DROP');
    expect(r.decidedBy).toEqual({ table: 'filter', chain: 'INPUT', index: 1, line: 5 });
    expect(r.path.map((s) => s.action)).toEqual(['DROP']);
    expect(r.outcomes).toBeUndefined();
  });

  it('the policy decides when nothing matches (decidedBy null)', () => {
    const r = tracePacket(filter('-A INPUT -p udp --dport 53 -j ACCEPT', 'DROP'), ssh);
    expect(r.verdict).toBe('DROP');
    expect(r.decidedBy).toBeNull();
    expect(r.path).toEqual([{ table: 'filter', chain: 'INPUT', index: null, line: 2, rule: null, action: 'policy DROP' }]);
  });

  it('follows a jump into a user chain and RETURN back', () => {
    const r = tracePacket(filter('-A INPUT -j CHK\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A CHK -s 10.0.0.0/8 -j DROP\n-A CHK -j RETURN\n-A CHK -j DROP', 'DROP', ':CHK - [0:0]\n'), ssh);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.path.map((s) => `${s.chain}#${s.index}:${s.action}`)).toEqual(['INPUT#1:jump CHK', 'CHK#2:RETURN', 'INPUT#2:ACCEPT']);
  });

  it('goto does not come back to the calling chain: RETURN goes to the policy', () => {
    const r = tracePacket(filter('-A INPUT -g CHK\n-A INPUT -j ACCEPT\n-A CHK -j RETURN', 'DROP', ':CHK - [0:0]\n'), ssh);
    expect(r.verdict).toBe('DROP');
    expect(r.path.map((s) => `${s.chain}#${s.index}:${s.action}`)).toEqual(['INPUT#1:goto CHK', 'CHK#1:RETURN', 'INPUT#null:policy DROP']);
  });

  it('the end of a user chain returns to the caller', () => {
    const r = tracePacket(filter('-A INPUT -j LOGGING\n-A INPUT -j ACCEPT\n-A LOGGING -s 10.0.0.0/8 -j DROP', 'DROP', ':LOGGING - [0:0]\n'), ssh);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy?.index).toBe(2);
  });

  it('non-terminal targets are recorded and the walk goes on', () => {
    const r = tracePacket(filter('-A INPUT -j LOGGING\n-A LOGGING -j LOG --log-prefix "dropped: "\n-A LOGGING -j DROP', 'ACCEPT', ':LOGGING - [0:0]\n'), ssh);
    expect(r.verdict).toBe('DROP');
    expect(r.path.map((s) => s.action)).toEqual(['jump LOGGING', 'LOG (continue)', 'DROP']);
    expect(r.decidedBy).toMatchObject({ chain: 'LOGGING', index: 2 });
  });

  it('REJECT is its own verdict', () => {
    expect(tracePacket(filter('-A INPUT -j REJECT'), ssh).verdict).toBe('REJECT');
  });

  it('matches ports, protocols, addresses, interfaces with + wildcards, and negations', () => {
    const f = filter([
      '-A INPUT -p udp -j DROP',
      '-A INPUT -s 203.0.113.0/25 -i eth+ -p tcp -m tcp ! --dport 22 -j DROP',
      '-A INPUT -i eth1 -j DROP',
      '-A INPUT -m multiport -p tcp --dports 20:25,80 -m iprange --src-range 203.0.113.1-203.0.113.9 -j ACCEPT',
    ].join('\n'), 'DROP');
    const r = tracePacket(f, ssh);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy?.index).toBe(4);
    expect(tracePacket(f, { ...ssh, src: '203.0.113.10' }).verdict).toBe('DROP');
    expect(tracePacket(f, { ...ssh, dport: 80 }).decidedBy?.index).toBe(2);
    expect(tracePacket(f, { ...ssh, inIface: 'eth1' }).decidedBy?.index).toBe(3);
  });

  it('uses the conntrack state: state and conntrack --ctstate', () => {
    const f = filter('-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT\n-A INPUT -m conntrack --ctstate INVALID -j DROP\n-A INPUT -j REJECT', 'DROP');
    expect(tracePacket(f, { ...ssh, state: 'ESTABLISHED' }).verdict).toBe('ACCEPT');
    expect(tracePacket(f, { ...ssh, state: 'INVALID' }).decidedBy?.index).toBe(2);
    expect(tracePacket(f, ssh).verdict).toBe('REJECT');
  });

  it('matches ICMP types and tcp flags', () => {
    const f = filter('-A INPUT -p icmp --icmp-type echo-request -j ACCEPT\n-A INPUT -p tcp --syn -j DROP\n-A INPUT -j ACCEPT', 'DROP');
    expect(tracePacket(f, { src: '1.2.3.4', dst: '5.6.7.8', proto: 'icmp', icmpType: 'echo-request' }).decidedBy?.index).toBe(1);
    expect(tracePacket(f, { src: '1.2.3.4', dst: '5.6.7.8', proto: 'icmp', icmpType: 0 }).decidedBy?.index).toBe(3);
    expect(tracePacket(f, ssh).verdict).toBe('DROP');
    expect(tracePacket(f, { ...ssh, state: 'ESTABLISHED' }).decidedBy?.index).toBe(3);
  });

  it('forks on a limit match and reports each outcome with its condition', () => {
    const f = filter('-A INPUT -p tcp --dport 80 -m limit --limit 25/minute --limit-burst 100 -j ACCEPT\n-A INPUT -j DROP');
    const r = tracePacket(f, { ...ssh, dport: 80 });
    expect(r.verdict).toBe('CONDITIONAL');
    expect(r.outcomes?.map((o) => [o.verdict, o.condition, o.decidedBy?.index])).toEqual([
      ['DROP', 'over 25/min', 2],
      ['ACCEPT', 'under 25/min', 1],
    ]);
    expect(describeTrace(r)).toBe('DROP by INPUT #2 if over 25/min; otherwise ACCEPT by INPUT #1 if under 25/min');
  });

  it('forks on fields the description leaves open, and keeps later rules consistent with the assumption', () => {
    const f = filter('-A INPUT -i eth0 -p tcp --dport 22 -j ACCEPT\n-A INPUT -i eth0 -j DROP\n-A INPUT -j REJECT');
    const r = tracePacket(f, { ...ssh, inIface: undefined }, { hook: 'INPUT' });
    expect(r.outcomes?.map((o) => [o.verdict, o.condition])).toEqual([
      ['REJECT', 'not arriving on eth0'],
      ['ACCEPT', 'arriving on eth0'],
    ]);
  });

  it('a statistic cascade forks into every share', () => {
    const f = rs(`*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 443 -m statistic --mode nth --every 3 --packet 0 -j DNAT --to-destination 10.0.0.1
-A PREROUTING -p tcp --dport 443 -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 10.0.0.2
-A PREROUTING -p tcp --dport 443 -j DNAT --to-destination 10.0.0.3
COMMIT
*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]
-A FORWARD -d 10.0.0.0/24 -p tcp --dport 443 -j ACCEPT
COMMIT
`);
    const r = tracePacket(f, { ...ssh, dport: 443 }, { local: ['198.51.100.1'] });
    expect(r.verdict).toBe('ACCEPT');
    expect(r.outcomes).toHaveLength(3);
    for (const o of r.outcomes!) expect(o.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    expect(r.outcomes!.map((o) => o.path[0].action)).toEqual(['DNAT to 10.0.0.3', 'DNAT to 10.0.0.2', 'DNAT to 10.0.0.1']);
  });

  it('DNAT to a local address keeps the INPUT path, with the new port (422 → 22)', () => {
    const text = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.1/32 -p tcp -m tcp --dport 422 -j DNAT --to-destination 198.51.100.1:22
COMMIT
*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 422 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`;
    const r = trace(text, { ...ssh, dport: 422 });
    expect(r.hooks).toEqual(['PREROUTING', 'INPUT']);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy).toMatchObject({ chain: 'INPUT', index: 2 });
    // a packet of the ESTABLISHED connection does not see nat, but conntrack gives it the connection's translation
    const e = trace(text, { ...ssh, dport: 422, state: 'ESTABLISHED' });
    expect(e.decidedBy).toMatchObject({ chain: 'INPUT', index: 2 });
    expect(e.path.filter((s) => s.table === 'nat').map((s) => [s.index, s.action])).toEqual([[null, "conntrack: DNAT to 198.51.100.1:22 (the connection's, set up by its first packet)"]]);
  });

  it('DNAT to an address not in --local turns INPUT into FORWARD', () => {
    const text = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.7:80
-A POSTROUTING -o eth1 -j MASQUERADE
COMMIT
*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]
-A FORWARD -d 10.0.0.7/32 -p tcp --dport 80 -j ACCEPT
COMMIT
`;
    const r = trace(text, { ...ssh, dport: 8080, outIface: undefined }, { local: ['198.51.100.1'] });
    expect(r.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    expect(r.outcomes?.every((o) => o.verdict === 'ACCEPT')).toBe(true);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy).toMatchObject({ chain: 'FORWARD', index: 1 });
  });

  it('REDIRECT always delivers locally', () => {
    const text = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 3128
COMMIT
*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 3128 -j ACCEPT
COMMIT
`;
    const r = trace(text, { ...ssh, dport: 80, dst: '8.8.8.8' }, { local: ['198.51.100.1'] });
    expect(r.hooks).toEqual(['PREROUTING', 'INPUT']);
    expect(r.verdict).toBe('ACCEPT');
  });

  it('picks the hook from the interfaces: OUTPUT with only --out, FORWARD with both', () => {
    const f = filter('-A INPUT -j DROP\n-A FORWARD -j REJECT\n-A OUTPUT -j ACCEPT');
    expect(tracePacket(f, { ...ssh, inIface: undefined, outIface: 'eth0' }).hooks).toEqual(['OUTPUT', 'POSTROUTING']);
    expect(tracePacket(f, { ...ssh, outIface: 'eth1' }).verdict).toBe('REJECT');
    expect(tracePacket(f, ssh).verdict).toBe('DROP');
  });

  it('walks raw → mangle → nat → filter in order and sees marks set on the way', () => {
    const text = `*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 22 -j MARK --set-mark 0x7
COMMIT
*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]
-A PREROUTING -s 203.0.113.0/24 -j ACCEPT
COMMIT
*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]
-A INPUT -m mark --mark 0x7 -j ACCEPT
COMMIT
`;
    const r = trace(text, ssh);
    expect(r.path.map((s) => `${s.table}/${s.chain}#${s.index}`)).toEqual(['raw/PREROUTING#1', 'mangle/PREROUTING#1', 'mangle/PREROUTING#null', 'mangle/INPUT#null', 'filter/INPUT#1']);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy).toMatchObject({ table: 'filter', index: 1 });
  });

  it('CT --notrack makes the packet UNTRACKED and skips nat', () => {
    const text = `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp --dport 22 -j CT --notrack
COMMIT
*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state UNTRACKED -j ACCEPT
COMMIT
`;
    expect(trace(text, ssh).verdict).toBe('ACCEPT');
  });

  it('a rule with a match we do not model forks instead of guessing', () => {
    const r = tracePacket(filter('-A INPUT -m ttl --ttl-gt 5 -j DROP'), ssh);
    expect(r.verdict).toBe('CONDITIONAL');
    expect(r.outcomes?.map((o) => o.verdict)).toEqual(['ACCEPT', 'DROP']);
  });

  it('rejects bad descriptions', () => {
    expect(() => tracePacket(filter(''), { ...ssh, src: '300.1.1.1' })).toThrow(TraceInputError);
    expect(() => tracePacket(filter(''), { ...ssh, proto: 'tcpp' })).toThrow(TraceInputError);
    expect(() => tracePacket(filter(''), { ...ssh, state: 'OPEN' })).toThrow(TraceInputError);
  });

  it('bounds the number of outcomes', () => {
    const rules = Array.from({ length: 20 }, (_, k) => `-A INPUT -m limit --limit ${k + 1}/min -j ACCEPT`).join('\n');
    const r = tracePacket(filter(rules, 'DROP'), ssh, { maxOutcomes: 8 });
    // past the bound nothing is claimed: UNKNOWN, with the outcomes found so far
    expect(r).toMatchObject({ verdict: 'UNKNOWN', decidedBy: null, truncated: true, unknown: { reason: 'the packet has more than 8 distinct outcomes' } });
    expect(r.outcomes!.length).toBeLessThanOrEqual(9);
    expect(describeTrace(r)).toBe('UNKNOWN: gave up: the packet has more than 8 distinct outcomes');
    // within the default bound every outcome is there
    expect(tracePacket(filter(rules, 'DROP'), ssh).outcomes).toHaveLength(21);
  });
});

describe('tracePacket on forwarded and NATed traffic, as the kernel does it', () => {
  const NAT = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';
  const FILTER = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n';
  const fwd: PacketSpec = { src: '198.18.1.2', dst: '198.19.9.10', proto: 'tcp', sport: 40000, dport: 80, inIface: 'eth0' };
  const local = ['eth0=198.18.1.1', 'eth1=198.19.2.1'];
  const routes = ['198.19.0.0/16=eth1'];

  it('ctstate DNAT is known for a NEW packet: set by a DNAT that changed the destination, not by one to the same place', () => {
    const text = `${NAT}-A PREROUTING -d 198.19.9.10/32 -j DNAT --to-destination 198.19.2.2\n-A PREROUTING -d 198.19.2.3/32 -j DNAT --to-destination 198.19.2.3\nCOMMIT\n${FILTER}-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT\nCOMMIT\n`;
    const dnat = trace(text, fwd, { local, routes });
    expect(dnat).toMatchObject({ verdict: 'ACCEPT', decidedBy: { chain: 'FORWARD', index: 1 }, packet: { dst: '198.19.2.2', dport: 80 } });
    expect(dnat.outcomes).toBeUndefined();
    expect(trace(text, { ...fwd, dst: '198.19.2.2' }, { local, routes })).toMatchObject({ verdict: 'DROP', decidedBy: null });
    // DNAT to the address and port it already has: no DNAT status
    expect(trace(text, { ...fwd, dst: '198.19.2.3' }, { local, routes })).toMatchObject({ verdict: 'DROP', decidedBy: null });
    // SNAT happens after filter: a NEW packet never has it there
    const snat = `${FILTER}-A FORWARD -m conntrack --ctstate SNAT -j ACCEPT\n-A FORWARD -m conntrack ! --ctstate SNAT -j REJECT\nCOMMIT\n`;
    expect(trace(snat, fwd, { local, routes })).toMatchObject({ verdict: 'REJECT', decidedBy: { index: 2 } });
    // a packet of an established connection: its first packet's translation tells
    expect(trace(text, { ...fwd, state: 'ESTABLISHED' }, { local, routes })).toMatchObject({ verdict: 'ACCEPT', decidedBy: { index: 1 }, packet: { dst: '198.19.2.2' } });
    expect(trace(text, { ...fwd, dst: '198.19.2.2', state: 'ESTABLISHED' }, { local, routes }).verdict).toBe('DROP');
  });

  it('-m mark --mark V/M compares (mark & M) with V unmasked: bits of V outside M never match', () => {
    const text = `*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-xmark 0x3/0xffffffff
-A PREROUTING -m mark --mark 0x2/0x1 -j DROP
-A PREROUTING -m mark --mark 0x1/0x1 -j MARK --set-xmark 0x10/0x0
COMMIT\n${FILTER}-A FORWARD -m mark --mark 0x13 -j ACCEPT\nCOMMIT\n`;
    const r = trace(text, fwd, { local, routes });
    expect(r.path.map((s) => `${s.table} ${s.chain} #${s.index}`)).not.toContain('mangle PREROUTING #2');
    expect(r).toMatchObject({ verdict: 'ACCEPT', decidedBy: { table: 'filter', chain: 'FORWARD', index: 1 } });
  });

  it('REDIRECT sends the packet to the incoming interface\'s primary address, where --dst-type LOCAL holds', () => {
    const text = `${NAT}-A PREROUTING -p tcp -j REDIRECT --to-ports 3128\nCOMMIT
*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]
-A INPUT -d 198.19.2.1/32 -j REJECT
-A INPUT -m addrtype ! --dst-type LOCAL -j DROP
-A INPUT -d 198.18.1.1/32 -p tcp --dport 3128 -j ACCEPT
COMMIT\n`;
    const r = trace(text, fwd, { local, routes });
    expect(r).toMatchObject({ verdict: 'ACCEPT', decidedBy: { chain: 'INPUT', index: 3 }, hooks: ['PREROUTING', 'INPUT'], packet: { dst: '198.18.1.1', dport: 3128 } });
    // not told the interface's address: the destination is open (but local), and the walk forks on it
    const open = trace(text, fwd, { local: ['198.18.1.1', '198.19.2.1'] });
    expect(open.verdict).toBe('CONDITIONAL');
    expect(open.outcomes!.map((o) => [o.verdict, o.condition])).toEqual([
      ['DROP', 'to outside 198.19.2.1/32 and to outside 198.18.1.1/32'],
      ['ACCEPT', 'to outside 198.19.2.1/32 and to 198.18.1.1/32'],
      ['REJECT', 'to 198.19.2.1/32'],
    ]);
    expect(open.path[0].action).toBe('REDIRECT to the primary address of eth0:3128');
    // locally generated: to 127.0.0.1
    const out = trace(`${NAT}-A OUTPUT -p tcp -j REDIRECT --to-ports 3128\nCOMMIT\n`, { src: '198.18.1.1', dst: '203.0.113.9', proto: 'tcp', sport: 40000, dport: 80, outIface: 'eth0' });
    expect(out.packet).toMatchObject({ dst: '127.0.0.1', dport: 3128 });
  });

  it('addrtype LOCAL and UNICAST exclude each other', () => {
    const text = `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]
-A INPUT -m addrtype --dst-type UNICAST -j REJECT
-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT
-A FORWARD -m addrtype --dst-type LOCAL -j REJECT
-A FORWARD -m addrtype --dst-type UNICAST -j ACCEPT
COMMIT\n`;
    expect(trace(text, { ...fwd, dst: '198.18.1.1' }, { local, routes })).toMatchObject({ verdict: 'ACCEPT', decidedBy: { chain: 'INPUT', index: 2 } });
    expect(trace(text, { ...fwd, dst: '198.19.2.2' }, { local, routes })).toMatchObject({ verdict: 'ACCEPT', decidedBy: { chain: 'FORWARD', index: 2 } });
    // a possible subnet broadcast address is not known to be unicast without the host's subnets
    expect(trace(text, { ...fwd, dst: '198.19.2.255' }, { local, routes }).verdict).toBe('CONDITIONAL');
  });

  it('MASQUERADE and SNAT on an accepted forward: the packet leaves with the new source', () => {
    const text = `${NAT}-A POSTROUTING -o eth1 -p tcp -j MASQUERADE\n-A POSTROUTING -o eth1 -p udp -j SNAT --to-source 198.19.2.9:1000-2000\nCOMMIT\n${FILTER}-A FORWARD -j ACCEPT\nCOMMIT\n`;
    expect(trace(text, fwd, { local, routes }).packet).toEqual({ src: '198.19.2.1', dst: '198.19.9.10', sport: 40000, dport: 80 });
    // a port outside the SNAT range: the kernel picks one, so it is not known
    expect(trace(text, { ...fwd, proto: 'udp' }, { local, routes }).packet).toEqual({ src: '198.19.2.9', dst: '198.19.9.10', sport: null, dport: 80 });
  });

  it('raw runs before conntrack: -m conntrack sees every packet there as INVALID', () => {
    const text = `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -m conntrack --ctstate NEW -j DROP\n-A PREROUTING -m state --state INVALID -j CT --notrack\nCOMMIT
*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state UNTRACKED -j ACCEPT\nCOMMIT\n`;
    expect(trace(text, { ...fwd, dst: '198.18.1.1' }, { local, routes })).toMatchObject({ verdict: 'ACCEPT', decidedBy: { chain: 'INPUT', index: 1 } });
  });
});

describe('tracePacket merges identical states', () => {
  it('ways that differ only by chance and end the same are one outcome', () => {
    const rules = Array.from({ length: 30 }, (_, k) => `-A INPUT -m statistic --mode random --probability 0.50000000000 -j LOG --log-prefix "s${k} "`).join('\n');
    const r = tracePacket(filter(`${rules}\n-A INPUT -p tcp --dport 22 -j ACCEPT`, 'DROP'), ssh, { maxSteps: 500 });
    expect(r.verdict).toBe('ACCEPT');
    expect(r.outcomes).toBeUndefined();
    expect(r.decidedBy?.index).toBe(31);
  });

  it('a field left open stays consistent across a merge (no outcome mixes both answers)', () => {
    const r = tracePacket(filter('-A INPUT -j C\n-A INPUT -j C\n-A INPUT -i eth1 -j DROP\n-A C -i eth1 -j LOG\n-A C -m limit --limit 1/s -j LOG', 'ACCEPT', ':C - [0:0]\n'), { ...ssh, inIface: undefined }, { hook: 'INPUT' });
    expect(r.outcomes?.map((o) => [o.verdict, o.condition])).toEqual([['ACCEPT', 'not arriving on eth1'], ['DROP', 'arriving on eth1']]);
  });
});
