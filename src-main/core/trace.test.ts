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
    // an ESTABLISHED packet does not see nat at all
    const e = trace(text, { ...ssh, dport: 422, state: 'ESTABLISHED' });
    expect(e.decidedBy).toMatchObject({ chain: 'INPUT', index: 1 });
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
    expect(r.truncated).toBe(true);
    expect(r.outcomes!.length).toBeLessThanOrEqual(9);
  });
});
