// A match or target that the tracer and the lint understand is one file: its
// options, its state, its printing and its `analysis`. This test proves it with
// a match that exists nowhere else — `-m portclass --class privileged|ephemeral`
// (destination port 0-1023 / 32768-60999) — and a target that exists nowhere
// else — `-j BLACKHOLE [--answer]` (drop, or answer with a TCP reset) —
// registered here the way extensions/index.ts registers the real ones. Nothing
// in core/analysis or core/lint knows them: the tracer's answers and the lint's
// shadowing come from their analysis members alone, and the same extension
// without them is opaque to both. Then each real target's meaning, one case each.
import { describe, expect, it } from 'vitest';
import { parseRuleset } from '../parse.js';
import { canonicalRuleset } from '../canonical.js';
import { lintRuleset } from '../lint.js';
import { ruleConds } from '../analysis/packet-match.js';
import { ruleSpace } from '../analysis/rule-space.js';
import { Box, Dims, DIM, IfaceClasses, iv } from '../analysis/space.js';
import { fieldCond, inv } from '../analysis/packet.js';
import { tracePacket, type PacketSpec } from '../trace.js';
import { registerExtensions } from './registry.js';
import type { MatchAnalysis, MatchExtension, TargetAnalysis, TargetExtension } from './types.js';
import { registeredTargets } from './registry.js';
import { targetAction } from '../analysis/targets.js';
import type { TargetAction } from '../analysis/target-action.js';
import type { Family, Rule } from '../model.js';
import { ValueError } from '../values.js';
import './index.js';

interface PortClass {
  name: 'privileged' | 'ephemeral';
  invert: boolean;
}
const RANGES = { privileged: [0, 1023], ephemeral: [32768, 60999] } as const;

const portclassAnalysis: MatchAnalysis<PortClass> = {
  conditions({ name, invert }) {
    const [lo, hi] = RANGES[name];
    const text = `${invert ? '! ' : ''}--class ${name}`;
    return [fieldCond(text, `${invert ? 'not ' : ''}to a ${name} port`, (p) => inv(invert, p.dport === undefined ? undefined : p.dport >= lo && p.dport <= hi))];
  },
  space({ name, invert }, space) {
    space.set(DIM.dport, iv(RANGES[name][0], RANGES[name][1]), invert);
    return true;
  },
};

function portclassMatch(extName: string, analysis?: MatchAnalysis<PortClass>): MatchExtension<PortClass> {
  return {
    kind: 'match',
    name: extName,
    options: [{
      name: 'class', arg: 'required', invert: true,
      parse: ([v]) => {
        if (v !== 'privileged' && v !== 'ephemeral') throw new ValueError(`${extName}: unknown class "${v}"`, 'invalid-argument', 'privileged or ephemeral');
        return v;
      },
    }],
    finalize(options) {
      const o = options[options.length - 1];
      if (!o) throw new ValueError(`${extName}: --class is required`, 'missing-argument', 'add --class privileged');
      return { name: o.value as PortClass['name'], invert: o.invert };
    },
    save: (m) => `${m.state.invert ? ' !' : ''} --class ${m.state.name}`,
    analysis,
  };
}

registerExtensions([portclassMatch('portclass', portclassAnalysis), portclassMatch('portclassopaque')]);

const filter = (rules: string) => {
  const r = parseRuleset(`*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}\nCOMMIT\n`);
  expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  return r.ruleset;
};
const pkt = (dport: number): PacketSpec => ({ src: '203.0.113.5', dst: '198.51.100.1', proto: 'tcp', sport: 40000, dport, inIface: 'eth0' });

describe('a match understood through its analysis members only', () => {
  it('parses and prints like any extension', () => {
    const rs = filter('-A INPUT -p tcp -m portclass ! --class ephemeral -j ACCEPT');
    expect(canonicalRuleset(rs)).toContain('-A INPUT -p tcp -m portclass ! --class ephemeral -j ACCEPT');
  });

  it('gives the tracer its conditions: the packet is decided, not forked', () => {
    const rs = filter('-A INPUT -p tcp -m portclass --class privileged -j ACCEPT');
    const rule = rs.tables[0].chains[0].rules[0];
    expect(ruleConds(rule).map((c) => [c.text, c.holds, c.chance])).toEqual([['-p 6', '-p 6', false], ['--class privileged', 'to a privileged port', false]]);
    expect(tracePacket(rs, pkt(22), { hook: 'INPUT' }).verdict).toBe('ACCEPT');
    expect(tracePacket(rs, pkt(40000), { hook: 'INPUT' }).verdict).toBe('DROP');
    // negated, as the member says
    const neg = filter('-A INPUT -p tcp -m portclass ! --class privileged -j ACCEPT');
    expect(tracePacket(neg, pkt(22), { hook: 'INPUT' }).verdict).toBe('DROP');
    expect(tracePacket(neg, pkt(8080), { hook: 'INPUT' }).verdict).toBe('ACCEPT');
  });

  it('gives the lint its packet space: a narrower rule after it is shadowed', () => {
    const rs = filter('-A INPUT -p tcp -m portclass --class privileged -j ACCEPT\n-A INPUT -p tcp --dport 22 -j DROP');
    const rule = rs.tables[0].chains[0].rules[0];
    const inIfaces = new IfaceClasses([]);
    const outIfaces = new IfaceClasses([]);
    const sp = ruleSpace(rule, { dims: new Dims(inIfaces.max, outIfaces.max), inIfaces, outIfaces });
    expect(sp).toEqual({ exact: true, chance: false, boxes: [Box.of([[DIM.proto, [6, 6]], [DIM.dport, [0, 1023]]])] });
    const shadowed = lintRuleset(rs).filter((f) => f.code === 'shadowed-rule');
    // line 6: the DROP rule (line 1 *filter, 2-4 the chains, 5 the portclass rule)
    expect(shadowed.map((f) => f.line)).toEqual([6]);
  });

  it('without analysis members the same match is opaque to both', () => {
    const rs = filter('-A INPUT -p tcp -m portclassopaque --class privileged -j ACCEPT\n-A INPUT -p tcp --dport 22 -j DROP');
    const rule = rs.tables[0].chains[0].rules[0];
    expect(ruleConds(rule).map((c) => c.text)).toEqual(['-p 6', '-m portclassopaque --class privileged']);
    const r = tracePacket(rs, pkt(22), { hook: 'INPUT' });
    expect(r.verdict).toBe('CONDITIONAL');
    expect(r.outcomes?.map((o) => [o.verdict, o.condition])).toEqual([
      ['DROP', '-m portclassopaque --class privileged does not match'],
      ['ACCEPT', '-m portclassopaque --class privileged matches'],
    ]);
    expect(lintRuleset(rs).filter((f) => f.code === 'shadowed-rule')).toEqual([]);
  });
});

interface Blackhole {
  answer: boolean;
}

const blackholeAnalysis: TargetAnalysis<Blackhole> = {
  action: ({ answer }) => (answer ? { kind: 'reject', with: 'tcp-reset' } : { kind: 'drop' }),
};

function blackholeTarget(extName: string, analysis?: TargetAnalysis<Blackhole>): TargetExtension<Blackhole> {
  return {
    kind: 'target',
    name: extName,
    tables: ['filter'],
    // without an analysis member this is all the analysis knows: the packet goes on
    terminal: false,
    options: [{ name: 'answer', arg: 'none' }],
    finalize: (options) => ({ answer: options.length > 0 }),
    save: (t) => (t.state.answer ? ' --answer' : ''),
    analysis,
  };
}

registerExtensions([blackholeTarget('BLACKHOLE', blackholeAnalysis), blackholeTarget('BLACKHOLEOPAQUE')]);

describe('a target understood through its analysis member only', () => {
  it('parses and prints like any extension', () => {
    const rs = filter('-A INPUT -p tcp -j BLACKHOLE --answer');
    expect(canonicalRuleset(rs)).toContain('-A INPUT -p tcp -j BLACKHOLE --answer');
  });

  it('gives the tracer its verdict, from its state', () => {
    const rs = filter('-A INPUT -p tcp --dport 22 -j BLACKHOLE --answer\n-A INPUT -p tcp -j BLACKHOLE\n-A INPUT -j ACCEPT');
    const ssh = tracePacket(rs, pkt(22), { hook: 'INPUT' });
    expect([ssh.verdict, ssh.decidedBy?.index, ssh.path.at(-1)?.action]).toEqual(['REJECT', 1, 'REJECT (tcp-reset)']);
    const web = tracePacket(rs, pkt(80), { hook: 'INPUT' });
    expect([web.verdict, web.decidedBy?.index]).toEqual(['DROP', 2]);
  });

  it('gives the lint the end of the chain: a narrower rule after it is shadowed', () => {
    const rs = filter('-A INPUT -p tcp -j BLACKHOLE\n-A INPUT -p tcp --dport 22 -j ACCEPT');
    expect(lintRuleset(rs).filter((f) => f.code === 'shadowed-rule').map((f) => f.line)).toEqual([6]);
  });

  it('without the member the same target lets the packet go on, and shadows nothing', () => {
    const rs = filter('-A INPUT -p tcp -j BLACKHOLEOPAQUE\n-A INPUT -p tcp --dport 22 -j ACCEPT');
    const r = tracePacket(rs, pkt(22), { hook: 'INPUT' });
    expect([r.verdict, r.decidedBy?.index, r.path[0]?.action]).toEqual(['ACCEPT', 2, 'BLACKHOLEOPAQUE (continue)']);
    expect(lintRuleset(rs).filter((f) => f.code === 'shadowed-rule')).toEqual([]);
  });
});

/** The target of the one rule in `table` `chain` (`-A CHAIN RULE`), parsed in `family`. */
function ruleIn(table: string, chain: string, rule: string, family: Family = 'ipv4'): Rule {
  const r = parseRuleset(`*${table}\n:${chain} ACCEPT [0:0]\n-A ${chain} ${rule}\nCOMMIT\n`, { family });
  expect(r.findings.filter((f) => f.severity === 'error'), rule).toEqual([]);
  return r.ruleset.tables[0].chains.find((c) => c.name === chain)!.rules[0];
}

/** An action with its mark arithmetic applied to (mark 0xabcd, ctmark 0x1234), to compare as data. */
function shown(a: TargetAction): unknown {
  return a.kind === 'mark' ? { ...a, apply: a.apply(0xabcd, 0x1234) } : a;
}

// [table, chain, rule, family, the action]: one case per target whose extension has analysis, and the defaults
const CASES: Array<[string, string, string, Family, unknown]> = [
  ['filter', 'INPUT', '-j ACCEPT', 'ipv4', { kind: 'accept' }],
  ['filter', 'INPUT', '-j DROP', 'ipv4', { kind: 'drop' }],
  ['filter', 'INPUT', '-j RETURN', 'ipv4', { kind: 'return' }],
  ['filter', 'INPUT', '-j QUEUE', 'ipv4', { kind: 'queue', name: 'QUEUE' }],
  ['filter', 'INPUT', '-j REJECT', 'ipv4', { kind: 'reject', with: 'icmp-port-unreachable' }],
  ['filter', 'INPUT', '-j REJECT', 'ipv6', { kind: 'reject', with: 'icmp6-port-unreachable' }],
  ['filter', 'INPUT', '-p tcp -j REJECT --reject-with tcp-rst', 'ipv4', { kind: 'reject', with: 'tcp-reset' }],
  ['nat', 'PREROUTING', '-p tcp -j DNAT --to-destination 10.0.0.1-10.0.0.3:80-90', 'ipv4',
    { kind: 'dnat', name: 'DNAT', addr: 0x0a000001, addrHi: 0x0a000003, port: 80, portHi: 90, toLocal: false, text: '-j DNAT --to-destination 10.0.0.1-10.0.0.3:80-90' }],
  ['nat', 'PREROUTING', '-p tcp -j DNAT --to-destination [2001:db8::1]:8080', 'ipv6',
    { kind: 'dnat', name: 'DNAT', addr: 0x20010db8000000000000000000000001n, addrHi: 0x20010db8000000000000000000000001n, port: 8080, portHi: 8080, toLocal: false, text: '-j DNAT --to-destination [2001:db8::1]:8080' }],
  ['nat', 'PREROUTING', '-p tcp -j REDIRECT --to-ports 3128', 'ipv4',
    { kind: 'dnat', name: 'REDIRECT', addr: null, addrHi: null, port: 3128, portHi: 3128, toLocal: true, text: '-j REDIRECT --to-ports 3128' }],
  ['nat', 'POSTROUTING', '-j SNAT --to-source 192.0.2.7', 'ipv4',
    { kind: 'snat', name: 'SNAT', addr: 0xc0000207, addrHi: 0xc0000207, port: null, portHi: null, fromInterface: false, text: '-j SNAT --to-source 192.0.2.7' }],
  ['nat', 'POSTROUTING', '-p udp -j MASQUERADE --to-ports 1024-2000', 'ipv4',
    { kind: 'snat', name: 'MASQUERADE', addr: null, addrHi: null, port: 1024, portHi: 2000, fromInterface: true, text: '-j MASQUERADE --to-ports 1024-2000' }],
  // (0xabcd & ~0xff) ^ 0x10
  ['mangle', 'PREROUTING', '-j MARK --set-mark 0x10/0xff', 'ipv4', { kind: 'mark', field: 'mark', apply: 0xab10, text: '-j MARK --set-xmark 0x10/0xff' }],
  ['mangle', 'PREROUTING', '-j MARK --or-mark 0x10000', 'ipv4', { kind: 'mark', field: 'mark', apply: 0x1abcd, text: '-j MARK --set-xmark 0x10000/0x10000' }],
  ['mangle', 'PREROUTING', '-j CONNMARK --set-mark 5', 'ipv4', { kind: 'mark', field: 'ctmark', apply: 5, text: '-j CONNMARK --set-xmark 0x5/0xffffffff' }],
  ['mangle', 'PREROUTING', '-j CONNMARK --save-mark', 'ipv4',
    { kind: 'mark', field: 'ctmark', apply: 0xabcd, text: '-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff' }],
  ['mangle', 'PREROUTING', '-j CONNMARK --restore-mark', 'ipv4',
    { kind: 'mark', field: 'mark', apply: 0x1234, text: '-j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff' }],
  ['raw', 'PREROUTING', '-j CT --notrack', 'ipv4', { kind: 'notrack' }],
  ['raw', 'PREROUTING', '-p tcp -j CT --helper ftp', 'ipv4', { kind: 'continue', name: 'CT' }],
  ['raw', 'PREROUTING', '-j NOTRACK', 'ipv4', { kind: 'notrack' }],
  ['filter', 'INPUT', '-j LOG --log-prefix "in: "', 'ipv4', { kind: 'continue', name: 'LOG', log: true }],
  ['filter', 'INPUT', '-j NFLOG --nflog-group 2', 'ipv6', { kind: 'continue', name: 'NFLOG', log: true }],
  ['filter', 'INPUT', '-j NFQUEUE --queue-num 3', 'ipv4', { kind: 'queue', name: 'NFQUEUE' }],
  ['filter', 'INPUT', '-j NFQUEUE --queue-bypass', 'ipv4', { kind: 'unknown', name: 'NFQUEUE --queue-bypass' }],
  // no analysis member: `terminal` says it all
  ['nat', 'PREROUTING', '-j NETMAP --to 10.1.0.0/16', 'ipv4', { kind: 'terminal', name: 'NETMAP' }],
  ['mangle', 'PREROUTING', '-j TTL --ttl-set 64', 'ipv4', { kind: 'continue', name: 'TTL' }],
  // known to iptables, not modelled here (kept token for token)
  ['mangle', 'PREROUTING', '-p tcp -j TPROXY --on-port 3129', 'ipv4', { kind: 'terminal', name: 'TPROXY' }],
  ['filter', 'INPUT', '-j ULOG', 'ipv4', { kind: 'continue', name: 'ULOG', log: true }],
  ['mangle', 'INPUT', '-j SECMARK --selctx system_u:object_r:ssh_packet_t:s0', 'ipv4', { kind: 'continue', name: 'SECMARK' }],
  ['filter', 'INPUT', '-j web', 'ipv4', { kind: 'jump', chain: 'web' }],
];

describe("each target's meaning, from its extension", () => {
  it.each(CASES)('%s %s %s (%s)', (table, chain, rule, family, want) => {
    const text = `*${table}\n:${chain} ACCEPT [0:0]\n${rule.endsWith(' web') ? ':web - [0:0]\n' : ''}-A ${chain} ${rule}\nCOMMIT\n`;
    const r = parseRuleset(text, { family });
    expect(r.findings.filter((f) => f.severity === 'error'), rule).toEqual([]);
    const got = targetAction(r.ruleset.tables[0].chains.find((c) => c.name === chain)!.rules[0]);
    expect(shown(got)).toEqual(want);
  });

  it('every target with an analysis member has a case above', () => {
    const covered = new Set(CASES.map(([, , rule]) => /-j (\S+)/.exec(rule)![1]));
    const withAnalysis = registeredTargets().filter((t) => t.analysis && !['BLACKHOLE'].includes(t.name)).map((t) => t.name);
    expect(withAnalysis.length).toBeGreaterThanOrEqual(16);
    expect(withAnalysis.filter((n) => !covered.has(n))).toEqual([]);
  });

  it('the action is worked out once per target and shared by the rules that share it', () => {
    const r = ruleIn('nat', 'PREROUTING', '-p tcp -j DNAT --to-destination 10.0.0.1');
    expect(targetAction(r)).toBe(targetAction({ ...r }));
  });
});
