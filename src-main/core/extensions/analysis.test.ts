// A match that the tracer and the lint understand is one file: its options, its
// state, its printing and its `analysis`. This test proves it with a match that
// exists nowhere else — `-m portclass --class privileged|ephemeral` (destination
// port 0-1023 / 32768-60999) — registered here the way extensions/index.ts
// registers the real ones. Nothing in core/analysis or core/lint knows it: the
// tracer's answers and the lint's shadowing come from its analysis members alone,
// and the same match without them is opaque to both.
import { describe, expect, it } from 'vitest';
import { parseRuleset } from '../parse.js';
import { canonicalRuleset } from '../canonical.js';
import { lintRuleset } from '../lint.js';
import { ruleConds } from '../analysis/packet-match.js';
import { ruleSpace } from '../analysis/rule-space.js';
import { Dims, DIM, IfaceClasses, iv } from '../analysis/space.js';
import { fieldCond, inv } from '../analysis/packet.js';
import { tracePacket, type PacketSpec } from '../trace.js';
import { registerExtensions } from './registry.js';
import type { MatchAnalysis, MatchExtension } from './types.js';
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
    expect(sp).toEqual({ exact: true, chance: false, boxes: [new Map([[DIM.proto, [6, 6]], [DIM.dport, [0, 1023]]])] });
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
